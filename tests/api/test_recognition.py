"""Recognising a photo over the API: boxes (given or proposed), likely tool types, and what the
answer says when the model is unavailable."""

import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from inference import runtime

pytestmark = pytest.mark.django_db


@pytest.mark.model
@pytest.mark.photos
def test_it_proposes_boxes_and_names_the_tools_in_a_kit_photo(api, storekeeper):
    from tests.kit_photos import compose

    data, boxes = compose(
        [("1_screw_flat__black", (50, 50), 0), ("10_open_end_wrench_3_4__black", (700, 500), 0)]
    )
    response = api(storekeeper).post(
        "/api/recognition/",
        {"image": SimpleUploadedFile("kit.jpg", data, "image/jpeg")},
        format="multipart",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (
        body["recognition"]["available"] is True and len(body["recognition"]["model_sha256"]) == 64
    )
    assert len(body["tools"]) >= 2
    assert all(0 <= tool["confidence"] <= 1 for tool in body["tools"])
    # Proposed boxes are in the photo's own pixels: each tool's box is found where it was laid.
    for x0, _y0, x1, _y1 in boxes:
        assert any(
            abs(t["box"][0] - x0) < 40 and abs(t["box"][2] - x1) < 40 for t in body["tools"]
        ), body["tools"]
    top_types = {tool["types"][0]["name"] for tool in body["tools"] if tool["types"]}
    assert {"Flat screwdriver", "Open-end wrench 3/4"} <= top_types


@pytest.fixture
def no_model(monkeypatch, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("TOOLCRIB_MODEL", str(tmp_path / "absent.onnx"))
    monkeypatch.setenv(
        "TOOLCRIB_MODEL_URL", f"http://127.0.0.1:{port}/clf.onnx"
    )  # nothing listens there
    runtime.reset_model()
    yield
    runtime.reset_model()


def test_it_says_so_when_recognition_is_off_and_still_answers(api, storekeeper, jpeg, no_model):
    response = api(storekeeper).post(
        "/api/recognition/",
        {
            "image": SimpleUploadedFile("kit.jpg", jpeg(640, 480), "image/jpeg"),
            "boxes": "[10, 10, 200, 100]",
        },
        format="multipart",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["recognition"]["available"] is False
    assert body["recognition"]["message"].startswith("Visual recognition is disabled")
    assert body["tools"] == [
        {"box": [10, 10, 200, 100], "confidence": 1.0, "types": [], "instances": []}
    ]


def test_it_refuses_a_box_outside_the_photo(api, storekeeper, jpeg):
    client = api(storekeeper)
    photo = client.post(
        "/api/photos/",
        {"image": SimpleUploadedFile("k.jpg", jpeg(640, 480), "image/jpeg")},
        format="multipart",
    ).json()
    response = client.post(
        "/api/recognition/",
        {"photo": photo["id"], "boxes": [[0, 0, 100, 100], [0, 0, 900, 100]]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Box [0, 0, 900, 100] lies outside the photo (640x480)."}


@pytest.mark.parametrize("box", ["[0, 0, 10]", "not json", "[10, 10, 5, 5]"])
def test_it_refuses_a_box_it_cannot_read_and_keeps_nothing(api, storekeeper, jpeg, box):
    from toolcrib.crib.models import Photo

    response = api(storekeeper).post(
        "/api/recognition/",
        {"image": SimpleUploadedFile("k.jpg", jpeg(640, 480), "image/jpeg"), "boxes": box},
        format="multipart",
    )
    assert response.status_code == 400 and response.json()["detail"]
    assert not Photo.objects.exists()


def test_it_keeps_no_new_photo_whose_boxes_do_not_fit(api, storekeeper, jpeg):
    from toolcrib.crib.models import Photo

    response = api(storekeeper).post(
        "/api/recognition/",
        {
            "image": SimpleUploadedFile("k.jpg", jpeg(640, 480), "image/jpeg"),
            "boxes": "[0, 0, 900, 100]",
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert not Photo.objects.exists()
