"""Turned boxes over the API: sent, recognised, kept on the line, given back as sent, shown
turned level; refused in words when they leave the photo, with nothing written."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from toolcrib.crib.models import AuditEvent, BoxMarking, BoxRecognition, Issue, IssuedTool

pytestmark = [pytest.mark.django_db, pytest.mark.model, pytest.mark.photos]
WHITE = (255, 255, 255)


@pytest.fixture
def diagonal(api, storekeeper, photos_dir):
    """A photo of the catalogue wrench lying at 35° (clockwise) on a white table, stored; and
    its turned box."""
    tool = Image.open(photos_dir / "catalog" / "10_open_end_wrench_3_4.jpg").convert("RGB")
    tool = tool.crop((35, 175, 730, 310))
    table = Image.new("RGB", (1600, 1200), WHITE)
    t = tool.rotate(-35, Image.Resampling.BICUBIC, expand=True, fillcolor=WHITE)
    table.paste(t, (300, 300))
    cx, cy = 300 + t.width / 2, 300 + t.height / 2
    box = [round(cx - tool.width / 2), round(cy - tool.height / 2)]
    box += [box[0] + tool.width, box[1] + tool.height, 35.0]
    buf = io.BytesIO()
    table.save(buf, "JPEG", quality=92)
    photo = api(storekeeper).post(
        "/api/photos/",
        {"image": SimpleUploadedFile("kit.jpg", buf.getvalue(), "image/jpeg")},
        format="multipart",
    )
    assert photo.status_code == 201, photo.content
    return photo.json()["id"], box, tool.size


def test_a_turned_box_is_recognised_and_given_back_as_sent(api, storekeeper, diagonal):
    photo, box, _ = diagonal
    answer = api(storekeeper).post(
        "/api/recognition/", {"photo": photo, "boxes": [box]}, format="json"
    )
    assert answer.status_code == 200, answer.content
    [tool] = answer.json()["tools"]
    assert tool["box"] == box
    assert tool["types"][0]["name"] == "Open-end wrench 3/4"
    assert BoxRecognition.objects.get(photo=photo).angle == 35.0


def test_the_proposer_answers_a_turned_box_for_a_diagonal_tool(api, storekeeper, diagonal):
    photo, box, _ = diagonal
    answer = api(storekeeper).post("/api/recognition/", {"photo": photo}, format="json")
    [tool] = answer.json()["tools"]
    assert len(tool["box"]) == 5 and abs(tool["box"][4] - 35.0) < 3, tool["box"]
    assert all(abs(a - b) < 25 for a, b in zip(tool["box"], box)), (tool["box"], box)


def test_an_issue_keeps_the_turned_box_and_shows_the_tool_level(
    api, storekeeper, engineer, tool_factory, diagonal
):
    photo, box, (w, h) = diagonal
    wrench = tool_factory("AT-288293-5", 9)
    client = api(storekeeper)
    made = client.post(
        "/api/issues/",
        {
            "engineer": engineer.pk,
            "tools": [{"tool_instance": wrench.pk, "photo": photo, "box": box}],
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    [line] = made.json()["tools"]
    assert line["box"] == box
    assert IssuedTool.objects.get(pk=line["id"]).box == tuple(box)
    crop = client.get(line["crop_url"])
    assert crop.status_code == 200
    shown = Image.open(
        io.BytesIO(b"".join(crop.streaming_content) if crop.streaming else crop.content)
    )
    # Level, as long as the tool and as narrow: not the diagonal's square bounds.
    assert shown.width / shown.height == pytest.approx(w / h, rel=0.05)


@pytest.mark.parametrize(
    "box, words",
    [
        ([-280, 500, 320, 540, 10], "turned, lies outside the photo"),
        ([100, 100, 300, 140, "east"], "fifth number is its turn in degrees"),
        ([100, 100, 300, 140, 10, 5], "no more than 5"),
    ],
)
def test_a_turned_box_that_does_not_fit_is_refused_and_nothing_is_issued(
    api, storekeeper, engineer, tool_factory, diagonal, box, words
):
    photo, _, _ = diagonal
    wrench = tool_factory("AT-288293-5", 9)
    events = AuditEvent.objects.count()
    refused = api(storekeeper).post(
        "/api/issues/",
        {
            "engineer": engineer.pk,
            "tools": [{"tool_instance": wrench.pk, "photo": photo, "box": box}],
        },
        format="json",
    )
    assert refused.status_code == 400
    assert words in refused.content.decode()
    assert not Issue.objects.exists() and AuditEvent.objects.count() == events


def test_the_database_keeps_an_upright_box_inside_the_photo(diagonal):
    """Only a turned box may start left of or above the photo: a row written past the services
    with an upright box at x0 < 0 is refused by the database itself."""
    from django.db import IntegrityError, transaction

    photo, box, _ = diagonal
    fields = {"photo_id": photo, "rules": "r", "y0": 10, "x1": 50, "y1": 60}
    with pytest.raises(IntegrityError), transaction.atomic():
        BoxMarking.objects.create(x0=-5, **fields)
    BoxMarking.objects.create(x0=-5, angle=30.0, **fields)  # turned: its corners decide
