"""Scans, picks by hand and close-ups over the API, as the pages do them: an issue line says how
its tool was picked (scanned label, typed by hand, or read off the photo), a return takes the
numbers the desk scanned, and a close-up of an undecided line's tool decides it by its marking
(real OCR on a crop of the real lockwire pliers' etched AT-288293-6)."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from toolcrib.crib import marking_reader, services
from toolcrib.crib.models import AuditEvent, Issue, Photo, Return, ReturnedTool, ToolInstance
from toolcrib.crib.services import ToolLine

pytestmark = pytest.mark.django_db
# Where the number is etched on the pliers in the shared photo (bench/marking_boxes.csv), with
# a margin: what a phone held over the number sees.
NUMBER = (556, 334, 710, 426)


def jpeg_of(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=92)
    return buf.getvalue()


@pytest.fixture
def pliers_close_up(photos_dir):
    image = Image.open(Path(photos_dir) / "single" / "5_safety_pliers__black.jpg")
    return jpeg_of(image.convert("RGB").crop(NUMBER))


def media_files():
    return sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def sources(issue_id):
    issue = Issue.objects.get(pk=issue_id)
    return {t.tool_instance.inventory_number: t.marking_source for t in issue.tools.all()}


@pytest.mark.model
@pytest.mark.photos
def test_an_issue_records_how_each_tool_was_picked(api, storekeeper, qa, engineer, tool_factory):
    from tests.kit_photos import compose

    scanned, typed, shown = tool_factory("AT-1001"), tool_factory("AT-1002"), tool_factory("SCR-1")
    client = api(storekeeper)
    data, [box] = compose([("1_screw_flat__black", (100, 100), 0)])
    photo = client.post(
        "/api/photos/", {"image": SimpleUploadedFile("kit.jpg", data)}, format="multipart"
    ).json()["id"]
    # As on the page: the box is recognised first and the marking reader reads it before submit.
    client.post("/api/recognition/", {"photo": photo, "boxes": [list(box)]}, format="json")
    marking_reader.drain()

    response = client.post(
        "/api/issues/",
        {
            "engineer": engineer.pk,
            "tools": [
                {"tool_instance": scanned.pk, "scanned": True},
                {"tool_instance": typed.pk},  # no photo, no scan: its number was given by hand
                # Photographed, but the storekeeper chose the tool (the screw carries no number).
                {"tool_instance": shown.pk, "photo": photo, "box": list(box), "typed": True},
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    marking = {t["inventory_number"]: t["marking"] for t in response.json()["tools"]}
    assert {n: m["source"] for n, m in marking.items()} == {
        "AT-1001": "scanned",
        "AT-1002": "typed",
        "SCR-1": "typed",
    }
    assert marking["AT-1002"]["message"] == "picked by hand at the desk"
    # What the photo's reader said is kept beside the pick, in words.
    assert marking["SCR-1"]["message"].startswith("picked by hand at the desk; the photo's marking")
    report = api(qa).get(f"/api/issues/{response.json()['id']}/report/").json()
    assert {t["inventory_number"]: t["marking"]["source"] for t in report["tools"]} == {
        "AT-1001": "scanned",
        "AT-1002": "typed",
        "SCR-1": "typed",
    }
    # The audit trail lists what was read or scanned off the tools; a pick by hand is no reading.
    assert AuditEvent.objects.get(action="issued").after["markings"] == {"AT-1001": "AT-1001"}


def test_an_issue_line_is_scanned_or_typed_and_a_scan_has_no_photo(
    api, storekeeper, engineer, tool_factory, jpeg
):
    tool = tool_factory("AT-1")
    client = api(storekeeper)
    photo = client.post(
        "/api/photos/", {"image": SimpleUploadedFile("p.jpg", jpeg(640, 480))}, format="multipart"
    ).json()["id"]
    for line, said in [
        (
            {"scanned": True, "photo": photo, "box": [0, 0, 100, 100]},
            "A scanned line has no photo: send `scanned` without `photo` and `box`.",
        ),
        ({"scanned": True, "typed": True}, "A line is either `scanned` or `typed`, not both."),
        ({"scanned": "perhaps"}, "Must be a valid boolean."),
    ]:
        response = client.post(
            "/api/issues/",
            {"engineer": engineer.pk, "tools": [{"tool_instance": tool.pk, **line}]},
            format="json",
        )
        assert response.status_code == 400
        assert said in str(response.json()["errors"])
    tool.refresh_from_db()
    assert tool.status == ToolInstance.Status.IN_CRIB and not Issue.objects.exists()


@pytest.fixture
def held(storekeeper, engineer, tool_factory):
    """Two tools issued to the engineer without a photo."""
    tools = [tool_factory("AT-288293-6"), tool_factory("AT-288293-5", 9)]
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(t) for t in tools]
    )
    return tools


def test_a_return_takes_the_numbers_the_desk_scanned(api, desk, engineer, held):
    response = api(desk).post(
        "/api/returns/",
        {"engineer": engineer.pk, "crops": [], "scanned_numbers": ["at-288293-6"]},
        format="json",
    )

    assert response.status_code == 201, response.content
    [line] = response.json()["tools"]
    assert (line["inventory_number"], line["decision"], line["marking_check"]) == (
        "AT-288293-6",
        "accepted",
        "confirmed",
    )
    assert line["marking"]["source"] == "scanned"
    assert [t["inventory_number"] for t in response.json()["still_out_tools"]] == ["AT-288293-5"]
    assert ToolInstance.objects.get(inventory_number="AT-288293-6").status == "in_crib"


def test_a_scanned_number_that_is_not_theirs_returns_nothing(
    api, desk, engineer, held, tool_factory
):
    tool_factory("AT-777777-7")
    client = api(desk)
    for numbers, said in [
        (["AT-999999-9"], "There is no tool AT-999999-9 in the crib's records."),
        (
            ["AT-288293-6", "AT-777777-7"],
            "AT-777777-7 is not among the tools Ivan Petrov (E1001) has to return.",
        ),
    ]:
        response = client.post(
            "/api/returns/",
            {"engineer": engineer.pk, "crops": [], "scanned_numbers": numbers},
            format="json",
        )
        assert (response.status_code, response.json()["detail"]) == (400, said)
    response = client.post(
        "/api/returns/",
        {"engineer": engineer.pk, "crops": [], "scanned_numbers": "AT-288293-6"},
        format="json",
    )
    assert response.status_code == 400 and "scanned_numbers" in response.json()["errors"]
    assert not Return.objects.exists()
    assert set(
        ToolInstance.objects.filter(pk__in=[t.pk for t in held]).values_list("status", flat=True)
    ) == {"issued"}


@pytest.fixture
def waiting_line(desk, engineer, held):
    """The engineer's shift ended with nothing brought back: both tools wait for a recount."""
    tool_return = services.return_tools(
        engineer=engineer, desk_user=desk, sightings=[], ends="shift"
    )
    return tool_return.tools.get(issued_tool__tool_instance__inventory_number="AT-288293-6")


def close_up(client, line, data, name="close-up.jpg"):
    return client.post(
        f"/api/returned-tools/{line.pk}/close-up/",
        {"image": SimpleUploadedFile(name, data)},
        format="multipart",
    )


@pytest.mark.photos
def test_a_close_up_that_reads_the_issued_number_accepts_the_line(
    api, desk, waiting_line, pliers_close_up
):
    response = close_up(api(desk), waiting_line, pliers_close_up)

    assert response.status_code == 200, response.content
    line = response.json()
    assert (line["decision"], line["marking_check"], line["decided_by"]) == (
        "accepted",
        "confirmed",
        "rita",
    )
    assert (line["marking"]["text"], line["marking"]["source"]) == ("AT-288293-6", "ocr")
    assert Photo.objects.filter(pk=line["close_up"]).exists()
    assert line["reason"].startswith("marking confirms it (verified by marking")
    assert ToolInstance.objects.get(inventory_number="AT-288293-6").status == "in_crib"


@pytest.mark.photos
def test_a_close_up_of_another_tools_number_sends_the_line_to_a_recount(
    api, desk, engineer, waiting_line, pliers_close_up
):
    wrench = ReturnedTool.objects.get(issued_tool__tool_instance__inventory_number="AT-288293-5")

    line = close_up(api(desk), wrench, pliers_close_up).json()

    assert (line["decision"], line["marking_check"]) == ("recount_required", "swapped")
    assert "swapped: this is AT-288293-6, issued was AT-288293-5" in line["reason"]


@pytest.mark.photos
def test_a_close_up_that_decides_nothing_changes_nothing(
    api, desk, qa, waiting_line, jpeg, pliers_close_up
):
    client = api(desk)
    photos, files = Photo.objects.count(), media_files()
    for response, said in [
        (
            close_up(client, waiting_line, jpeg(400, 300)),
            "The close-up of AT-288293-6 decides nothing",
        ),
        (close_up(client, waiting_line, b"not a picture"), "not an image"),
        (
            client.post(f"/api/returned-tools/{waiting_line.pk}/close-up/", {}, format="multipart"),
            "No file was submitted.",
        ),
    ]:
        assert response.status_code == 400, response.content
        assert said in str(response.json())
    # Who may not decide a recount may not send a close-up either; a line that is not there is 404.
    assert close_up(api(qa), waiting_line, pliers_close_up).status_code == 403
    assert (
        client.post("/api/returned-tools/999999/close-up/", {}, format="multipart").status_code
        == 404
    )
    waiting_line.refresh_from_db()
    assert waiting_line.decision == "recount_required" and waiting_line.close_up is None
    assert Photo.objects.count() == photos and media_files() == files
    assert not AuditEvent.objects.filter(action="close-up read").exists()


def test_a_decided_line_takes_no_close_up(api, desk, waiting_line, jpeg):
    services.decide_recount(waiting_line, user=desk, found=True, reason="on the shadow board")

    response = close_up(api(desk), waiting_line, jpeg(400, 300))

    assert response.status_code == 400
    assert response.json()["detail"] == "This tool was already decided: recounted and accepted."


def test_the_schema_describes_scans_picks_and_close_ups(api):
    schema = api().get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/returned-tools/{id}/close-up/"]["post"]
    assert list(operation["requestBody"]["content"]) == ["multipart/form-data"]
    parts = schema["components"]["schemas"]
    assert {"scanned", "typed"} <= set(parts["ToolLine"]["properties"])
    assert "scanned_numbers" in parts["ReturnRequest"]["properties"]
    assert "close_up" in parts["ReturnedTool"]["properties"]
