"""An extra line's actions over the API: not a tool, this is AT-…, foreign tool; QA closes a
foreign tool report. The same services as the pages (toolcrib/crib/extras.py)."""

import pytest

from toolcrib.crib.models import AuditEvent, Engineer, ToolInstance
from toolcrib.crib.services import ToolLine

pytestmark = pytest.mark.django_db
PLIERS, WRENCH = "5_safety_pliers__black", "10_open_end_wrench_3_4__black"
TABLE = [1250, 850, 1450, 1050]


@pytest.fixture
def extras_waiting(api, desk, engineer, storekeeper, tool_factory, model_path, photos_dir):
    """Ivan brings back his wrench, Boris's pliers and a patch of table boxed as a tool."""
    from tests.api.test_return import photograph
    from toolcrib.crib import services

    wrench, pliers = tool_factory("AT-288293-5", 9), tool_factory("AT-288293-6", 4)
    boris = Engineer.objects.create(badge_number="E2002", name="Boris")
    client = api(storekeeper)
    for who, tool, name in ((engineer, wrench, WRENCH), (boris, pliers, PLIERS)):
        [crop] = photograph(client, [(name, (300, 300), 0)])
        photo = services.Photo.objects.get(pk=crop["photo"])
        services.issue_tools(
            engineer=who, storekeeper=storekeeper, lines=[ToolLine(tool, photo, crop["box"])]
        )
    client = api(desk)
    crops = photograph(client, [(WRENCH, (700, 550), 3), (PLIERS, (300, 200), 1)])
    crops.append({"photo": crops[0]["photo"], "box": TABLE})
    body = client.post("/api/returns/", {"engineer": engineer.pk, "crops": crops}, format="json")
    lines = [t for t in body.json()["tools"] if t["decision"] == "extra"]
    assert len(lines) == 2
    pliers_line = next(t for t in lines if t["box"] != TABLE)
    texture = next(t for t in lines if t["box"] == TABLE)
    return pliers_line, texture, boris


def test_the_desk_acts_on_each_extra_line(api, desk, qa, extras_waiting):
    pliers_line, texture, boris = extras_waiting
    client = api(desk)

    dismissed = client.post(f"/api/returned-tools/{texture['id']}/not-a-tool/", {}, format="json")
    found = client.post(
        f"/api/returned-tools/{pliers_line['id']}/identify/",
        {"number": "AT-288293-6"},
        format="json",
    )

    assert dismissed.status_code == 200 and dismissed.json()["decision"] == "not_a_tool"
    assert dismissed.json()["crop_url"]  # kept as evidence
    assert found.status_code == 200, found.content
    pliers = ToolInstance.objects.get(inventory_number="AT-288293-6")
    assert found.json()["decision"] == "identified" and found.json()["identified_as"] == pliers.pk
    assert pliers.status == "in_crib" and not boris.held_tools().exists()
    assert api(qa).get("/api/dashboard/").json()["flagged"] == []
    # Acted on: a second action is refused with the crib's message, nothing changes.
    again = client.post(f"/api/returned-tools/{texture['id']}/foreign/", {}, format="json")
    assert again.status_code == 400 and "not an extra tool waiting" in again.json()["detail"]


def test_a_foreign_tool_waits_for_qa(api, desk, qa, extras_waiting):
    _, texture, _ = extras_waiting
    reported = api(desk).post(
        f"/api/returned-tools/{texture['id']}/foreign/", {"note": "a torque wrench"}, format="json"
    )
    assert reported.status_code == 200 and reported.json()["decision"] == "foreign"

    board = api(qa).get("/api/dashboard/").json()
    assert board["figures"]["foreign_reports"] == 1
    [report] = board["foreign_reports"]
    assert (
        report["note"] == "a torque wrench" and report["crop_url"] and report["closed_at"] is None
    )
    assert api(qa).get("/api/foreign-reports/?open=true").json()["count"] == 1

    # The desk cannot close it; QA must say what was done.
    url = f"/api/foreign-reports/{report['id']}/close/"
    assert api(desk).post(url, {"note": "done"}, format="json").status_code == 403
    assert api(qa).post(url, {"note": ""}, format="json").status_code == 400
    closed = api(qa).post(url, {"note": "handed to the airline"}, format="json")

    assert closed.status_code == 200 and closed.json()["closed_by"] == "quinn"
    assert api(qa).get("/api/foreign-reports/?open=true").json()["count"] == 0
    assert api(qa).get("/api/dashboard/").json()["foreign_reports"] == []
    assert AuditEvent.objects.filter(action="foreign tool report closed").count() == 1


def test_an_unknown_number_is_a_clear_400(api, desk, extras_waiting):
    _, texture, _ = extras_waiting
    response = api(desk).post(
        f"/api/returned-tools/{texture['id']}/identify/", {"number": "AT-404"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "No crib tool is numbered AT-404; nothing was changed."}
