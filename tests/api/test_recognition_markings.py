"""The recognition answer carries what was read off each tool at upload (the real OCR on the
lockwire pliers' etched AT-288293-6, photos composed from ../shared/photos/single), what it
says about the crib's tools, and keeps it for the issue or return that uses the box. The
marking reader runs beside the tests (its loop in a thread: the `reader` fixture)."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from toolcrib.crib.models import BoxMarking

pytestmark = [pytest.mark.model, pytest.mark.photos, pytest.mark.usefixtures("reader")]
PLIERS = "5_safety_pliers__black"


def recognise(api, user, markings="wait"):
    from tests.kit_photos import single_photo

    data, _ = single_photo(PLIERS)
    body = {"image": SimpleUploadedFile("pliers.jpg", data, "image/jpeg"), "markings": markings}
    response = api(user).post("/api/recognition/", body, format="multipart")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_marking_that_names_a_tool_of_the_crib_is_confirmed_with_that_tool(
    api, storekeeper, tool_factory
):
    tool = tool_factory("AT-288293-6", 4)
    tool_factory("AT-288293-5", 4)  # an identical pair of pliers: the marking tells them apart

    body = recognise(api, storekeeper)

    [pliers] = [t for t in body["tools"] if t["marking"] and t["marking"]["text"]]
    marking = pliers["marking"]
    assert marking["check"] == "confirmed"
    assert (marking["tool_instance"], marking["inventory_number"]) == (tool.pk, "AT-288293-6")
    assert (marking["text"], marking["source"], marking["status"]) == (
        "AT-288293-6",
        "ocr",
        "read",
    )
    # Where the number is, in the photo's pixels: inside the tool's box.
    x0, y0, x1, y1 = marking["box"]
    bx0, by0, bx1, by1 = pliers["box"]
    assert bx0 <= x0 < x1 <= bx1 and by0 <= y0 < y1 <= by1
    # Kept with the photo, box by box: the issue that uses these boxes does not read again.
    assert BoxMarking.objects.filter(photo_id=body["photo"]).count() == len(body["tools"])


def test_a_number_no_tool_has_is_unknown_and_names_nobody(api, storekeeper, tool_factory):
    tool_factory("AT-288293-5", 4)

    body = recognise(api, storekeeper)

    checks = [t["marking"] for t in body["tools"] if t["marking"]["text"]]
    assert [(m["check"], m["text"], m["tool_instance"]) for m in checks] == [
        ("unknown_number", "AT-288293-6", None)
    ]
    assert "no tool of the crib" in checks[0]["message"]


def test_a_box_with_no_marking_says_not_read(api, storekeeper):
    from tests.kit_photos import compose

    data, [box] = compose([("1_screw_flat__black", (150, 120), 0)])
    client = api(storekeeper)
    photo = client.post(
        "/api/photos/",
        {"image": SimpleUploadedFile("screw.jpg", data, "image/jpeg")},
        format="multipart",
    ).json()
    response = client.post(
        "/api/recognition/",
        {"photo": photo["id"], "boxes": [list(box)], "markings": "wait"},
        format="json",
    )

    assert response.status_code == 200, response.content
    [tool] = response.json()["tools"]
    assert tool["marking"]["check"] in ("not_read", "partial")
    assert tool["marking"]["text"] is None and tool["marking"]["tool_instance"] is None


def test_boxes_come_first_and_the_markings_after_on_a_second_call(api, storekeeper, tool_factory):
    tool = tool_factory("AT-288293-6", 4)

    first = recognise(api, storekeeper, markings="later")

    # The first answer does not wait for the OCR: every box's marking is still being read,
    # queued for the marking reader.
    assert first["tools"] and {t["marking"]["check"] for t in first["tools"]} == {"reading"}
    assert BoxMarking.objects.filter(photo_id=first["photo"]).exists()
    boxes = [t["box"] for t in first["tools"]]
    client = api(storekeeper)
    # Asked again (as the page polls) until the reader has read them all.
    for _ in range(600):
        response = client.post(
            "/api/recognition/markings/", {"photo": first["photo"], "boxes": boxes}, format="json"
        )
        assert response.status_code == 200, response.content
        read = response.json()["markings"]
        if "reading" not in {m["marking"]["check"] for m in read}:
            break
        time.sleep(0.2)
    assert [m["box"] for m in read] == boxes
    [pliers] = [m["marking"] for m in read if m["marking"]["text"]]
    assert (pliers["check"], pliers["tool_instance"]) == ("confirmed", tool.pk)
    assert BoxMarking.objects.filter(photo_id=first["photo"]).count() == len(boxes)
    # Asked again, the boxes come with their kept markings at once.
    again = client.post(
        "/api/recognition/", {"photo": first["photo"], "boxes": boxes}, format="json"
    ).json()
    assert [t["marking"]["check"] for t in again["tools"]] == [m["marking"]["check"] for m in read]


def test_markings_of_a_box_outside_the_photo_are_refused(api, storekeeper):
    from tests.kit_photos import single_photo

    data, _ = single_photo(PLIERS)
    client = api(storekeeper)
    photo = client.post(
        "/api/photos/",
        {"image": SimpleUploadedFile("pliers.jpg", data, "image/jpeg")},
        format="multipart",
    ).json()
    response = client.post(
        "/api/recognition/markings/",
        {"photo": photo["id"], "boxes": [[0, 0, 99999, 99999]]},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert "box" in response.content.decode().lower()
    assert not BoxMarking.objects.filter(photo_id=photo["id"]).exists()
