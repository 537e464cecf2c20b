"""Taking a return over the API: per-tool results with match %, the recount decision, the
JSON report, and retries that do not take the return twice."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from toolcrib.crib import marking_reader
from toolcrib.crib.models import AuditEvent, Return, ToolInstance

pytestmark = pytest.mark.django_db
SCREW, PLIERS, WRENCH, PHILLIPS = (
    "1_screw_flat__black",
    "5_safety_pliers__black",
    "10_open_end_wrench_3_4__black",
    "2_screw_plus__black",
)


def photograph(client, placements):
    from tests.kit_photos import compose

    data, boxes = compose(placements)
    response = client.post(
        "/api/photos/",
        {"image": SimpleUploadedFile("kit.jpg", data, "image/jpeg")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return [{"photo": response.json()["id"], "box": list(box)} for box in boxes]


@pytest.fixture
def kit(api, storekeeper, engineer, tool_factory, model_path, photos_dir):
    """Three tools issued to the engineer over the API, from one photo of them on the desk."""
    tools = [
        tool_factory("SCR-0001", 0),
        tool_factory("AT-288293-6", 4),
        tool_factory("AT-288293-5", 9),  # the number etched on the wrench in the photos
    ]
    client = api(storekeeper)
    crops = photograph(
        client, [(SCREW, (50, 50), 0), (PLIERS, (900, 100), 0), (WRENCH, (200, 500), 0)]
    )
    lines = [{"tool_instance": t.pk, **crop} for t, crop in zip(tools, crops)]
    assert (
        client.post(
            "/api/issues/", {"engineer": engineer.pk, "tools": lines}, format="json"
        ).status_code
        == 201
    )
    return tools


def test_it_shows_each_tool_s_match_and_decision(kit, api, desk, engineer):
    client = api(desk)
    # The lockwire pliers stayed behind; a Phillips screwdriver came back in their place.
    crops = photograph(
        client, [(WRENCH, (700, 550), 3), (SCREW, (100, 900), 2), (PHILLIPS, (1000, 100), 1)]
    )

    response = client.post(
        "/api/returns/", {"engineer": engineer.pk, "crops": crops, "ends": "shift"}, format="json"
    )

    assert response.status_code == 201, response.content
    tool_return = response.json()
    lines = {line["inventory_number"]: line for line in tool_return["tools"]}
    assert {n: line["decision"] for n, line in lines.items()} == {
        "SCR-0001": "confirm_by_eye",  # the model is not sure of its type here
        "AT-288293-5": "accepted",
        "AT-288293-6": "recount_required",
        None: "extra",
    }
    wrench = lines["AT-288293-5"]
    # Nobody read the markings before this submit: decided on the look, the marking pending.
    assert wrench["marking_pending"] and wrench["marking_check"] == ""
    assert wrench["verdict_reason"].endswith("; marking being read")
    assert wrench["match_percent"] > 95 and wrench["probability"] is not None
    assert tool_return["accepted_risk"] == 20 and tool_return["calibration"] == "built in"
    assert lines["AT-288293-6"]["reason"] == "not found in the return photo"
    assert lines[None]["reason"] == "not issued to Ivan Petrov (E1001)" and lines[None]["crop_url"]
    assert client.get(f"/api/returns/{tool_return['id']}/").json() == tool_return
    flagged = client.get("/api/returned-tools/", {"decision": "recount_required"}).json()["results"]
    assert [line["inventory_number"] for line in flagged] == ["AT-288293-6"]
    # The marking reader reads them (its loop's body, here): the etched number confirms the
    # wrench, and the line says so.
    marking_reader.drain()
    wrench = client.get(f"/api/returned-tools/{wrench['id']}/").json()
    assert (wrench["marking_pending"], wrench["marking_check"]) == (False, "confirmed")
    assert wrench["decision"] == "accepted"
    assert "verified by marking" in wrench["verdict_reason"]
    assert wrench["marking"]["text"] == "AT-288293-5"


def test_it_takes_confirmations_by_eye_several_at_once_without_a_reason(kit, api, desk, engineer):
    client = api(desk)
    crops = photograph(
        client, [(WRENCH, (700, 550), 3), (SCREW, (100, 900), 2), (PHILLIPS, (1000, 100), 1)]
    )
    tool_return = client.post(
        "/api/returns/", {"engineer": engineer.pk, "crops": crops, "ends": "shift"}, format="json"
    ).json()
    lines = {line["inventory_number"]: line for line in tool_return["tools"]}
    waiting, missing = lines["SCR-0001"], lines["AT-288293-6"]

    # A line that is not waiting for a look refuses the lot: nothing is confirmed.
    refused = client.post(
        "/api/returned-tools/confirm/", {"lines": [waiting["id"], missing["id"]]}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["detail"] == (
        "AT-288293-6 is not waiting for a confirmation (recount required); nothing was confirmed."
    )
    assert (
        client.get(f"/api/returned-tools/{waiting['id']}/").json()["decision"] == "confirm_by_eye"
    )

    done = client.post("/api/returned-tools/confirm/", {"lines": [waiting["id"]]}, format="json")

    assert done.status_code == 200, done.content
    [line] = done.json()
    assert line["decision"] == "confirmed" and line["decided_by"] == "rita"
    assert ToolInstance.objects.get(inventory_number="SCR-0001").status == "in_crib"
    event = AuditEvent.objects.get(action="confirmed by eye")
    assert event.actor_name == "rita" and event.after == {"decision": "confirmed"}
    again = client.post("/api/returned-tools/confirm/", {"lines": [waiting["id"]]}, format="json")
    assert again.status_code == 400 and "confirmed by eye" in again.json()["detail"]


def test_it_refuses_confirmations_from_who_may_not_decide(kit, api, qa, desk, engineer):
    tool_return = (
        api(desk)
        .post(
            "/api/returns/", {"engineer": engineer.pk, "crops": [], "ends": "shift"}, format="json"
        )
        .json()
    )
    response = api(qa).post(
        "/api/returned-tools/confirm/", {"lines": [tool_return["tools"][0]["id"]]}, format="json"
    )
    assert response.status_code == 403


def test_it_takes_the_desk_s_recount_decision(kit, api, desk, engineer):
    client = api(desk)
    line = client.post(
        "/api/returns/", {"engineer": engineer.pk, "crops": [], "ends": "shift"}, format="json"
    ).json()["tools"][1]
    assert line["decision"] == "recount_required"

    response = client.post(
        f"/api/returned-tools/{line['id']}/recount/",
        {"found": False, "reason": "not in their toolbox"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["decision"] == "missing" and response.json()["decided_by"] == "rita"
    assert (
        ToolInstance.objects.get(inventory_number=line["inventory_number"]).status
        == ToolInstance.Status.LOST
    )
    assert (
        api(desk).get("/api/dashboard/").json()["lost"][0]["inventory_number"]
        == line["inventory_number"]
    )
    event = AuditEvent.objects.get(action="recount")
    assert event.actor_name == "rita" and event.after == {
        "decision": "missing",
        "reason": "not in their toolbox",
    }

    again = client.post(
        f"/api/returned-tools/{line['id']}/recount/",
        {"found": True, "reason": "found it"},
        format="json",
    )
    assert again.status_code == 400 and again.json() == {
        "detail": "This tool was already decided: missing."
    }


def test_it_wants_a_reason_for_a_recount(kit, api, desk, engineer):
    client = api(desk)
    line = client.post(
        "/api/returns/", {"engineer": engineer.pk, "crops": [], "ends": "shift"}, format="json"
    ).json()["tools"][0]
    response = client.post(
        f"/api/returned-tools/{line['id']}/recount/", {"found": True, "reason": ""}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": ["This field may not be blank."]}
    assert client.get(f"/api/returned-tools/{line['id']}/").json()["decision"] == "recount_required"


def test_it_reports_a_return_in_the_versioned_format(kit, api, desk, qa, engineer):
    crops = photograph(
        api(desk), [(WRENCH, (700, 550), 3), (SCREW, (100, 900), 2), (PLIERS, (1000, 100), 1)]
    )
    tool_return = (
        api(desk)
        .post("/api/returns/", {"engineer": engineer.pk, "crops": crops}, format="json")
        .json()
    )

    report = api(qa).get(f"/api/returns/{tool_return['id']}/report/").json()

    assert report["format"] == "toolcrib.report/3" and report["kind"] == "return"
    assert (
        report["engineer"] == {"badge_number": "E1001", "name": "Ivan Petrov"}
        and report["desk_user"] == "rita"
    )
    assert [t["decision"] for t in report["tools"]] == ["accepted"] * 3
    # Each says why: its marking, or the calibrated match (with the raw one beside it).
    for t in report["tools"]:
        assert t["why"].startswith("marking confirms it") or (
            t["why"].startswith("same type, ") and t["probability"] >= tool_return["accept_level"]
        )
    assert all(
        t["crop_url"].startswith("http://testserver/crops/returned/") for t in report["tools"]
    )
    assert all(
        t["issue_crop_url"].startswith("http://testserver/crops/issued/") for t in report["tools"]
    )
    issue_report = api(qa).get(f"/api/issues/{report['tools'][0]['issue_id']}/report/").json()
    assert issue_report["kind"] == "issue" and len(issue_report["tools"]) == 3
    assert all(t["returned_or_closed_at"] for t in issue_report["tools"])


def test_it_takes_a_retried_return_once(kit, api, desk, engineer):
    client = api(desk)
    body = {"engineer": engineer.pk, "crops": [], "ends": "shift"}
    first = client.post("/api/returns/", body, format="json", HTTP_IDEMPOTENCY_KEY="ret-0001")
    again = client.post("/api/returns/", body, format="json", HTTP_IDEMPOTENCY_KEY="ret-0001")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Return.objects.count() == 1


def test_it_refuses_a_return_from_someone_who_holds_nothing(api, desk, engineer):
    response = api(desk).post(
        "/api/returns/", {"engineer": engineer.pk, "crops": [], "ends": "shift"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Ivan Petrov (E1001) holds no tools to return."}


def test_a_normal_return_leaves_what_is_not_in_the_photo_still_out(kit, api, desk, engineer):
    client = api(desk)
    crops = photograph(client, [(WRENCH, (700, 550), 3)])

    normal = client.post("/api/returns/", {"engineer": engineer.pk, "crops": crops}, format="json")

    assert normal.status_code == 201, normal.content
    body = normal.json()
    assert body["ends"] == "nothing"
    assert [t["inventory_number"] for t in body["tools"]] == ["AT-288293-5"]
    assert sorted(t["inventory_number"] for t in body["still_out_tools"]) == [
        "AT-288293-6",
        "SCR-0001",
    ]
    assert engineer.held_tools().count() == 2

    # At the end of the job the same two go to a recount.
    ended = client.post(
        "/api/returns/", {"engineer": engineer.pk, "crops": [], "ends": "job"}, format="json"
    ).json()
    assert ended["ends"] == "job" and ended["still_out_tools"] == []
    assert {t["decision"] for t in ended["tools"]} == {"recount_required"}


def test_it_refuses_a_return_that_ends_something_unknown(kit, api, desk, engineer):
    response = api(desk).post(
        "/api/returns/", {"engineer": engineer.pk, "crops": [], "ends": "lunch"}, format="json"
    )
    assert response.status_code == 400
    assert "ends" in response.json()["errors"]
    empty = api(desk).post("/api/returns/", {"engineer": engineer.pk, "crops": []}, format="json")
    assert (
        empty.status_code == 400 and "a normal return leaves every tool" in empty.json()["detail"]
    )
    assert not Return.objects.exists()
