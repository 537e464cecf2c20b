"""Uploading photos: a photo is kept; anything too big, too many pixels or not a photo gets a
400 that says why, and nothing is kept."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from toolcrib.crib.models import Photo

pytestmark = pytest.mark.django_db


def upload(client, data, name="kit.jpg"):
    return client.post(
        "/api/photos/", {"image": SimpleUploadedFile(name, data, "image/jpeg")}, format="multipart"
    )


def test_it_keeps_a_photo_in_its_upright_frame(api, storekeeper, jpeg):
    response = upload(api(storekeeper), jpeg(640, 480, orientation=6))

    assert response.status_code == 201
    photo = response.json()
    assert (photo["width"], photo["height"]) == (480, 640)
    assert photo["uploaded_by"] == "stella" and len(photo["sha256"]) == 64
    assert photo["image"].startswith("http://testserver/media/photos/")


@pytest.mark.parametrize(
    "limit, make, message",
    [
        (
            "TOOLCRIB_MAX_UPLOAD_MB",
            lambda jpeg: jpeg(100, 100) + b"\0" * (1024 * 1024),
            "The photo is larger than 1 MB.",
        ),
        (
            "TOOLCRIB_MAX_PHOTO_PIXELS",
            lambda jpeg: jpeg(2000, 1000),
            "The photo is 2000x1000 pixels; the limit is 1 megapixels.",
        ),
        (
            None,
            lambda jpeg: b"%PDF-1.4 not a photo",
            "The upload is not an image in a format we can read (JPEG, PNG, WEBP, ...).",
        ),
        (
            None,
            lambda jpeg: jpeg(800, 600)[:3000],
            "The photo is damaged or truncated and cannot be read",
        ),
    ],
)
def test_it_refuses_what_is_not_a_photo_it_can_keep(
    api, storekeeper, jpeg, settings, monkeypatch, limit, make, message
):
    settings.TOOLCRIB_MAX_UPLOAD_MB = 1
    monkeypatch.setenv("TOOLCRIB_MAX_PHOTO_PIXELS", "1000000")
    response = upload(api(storekeeper), make(jpeg))

    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    assert not Photo.objects.exists()


def test_it_wants_the_photo_as_a_multipart_file(api, storekeeper):
    client = api(storekeeper)
    assert client.post("/api/photos/", {"image": "kit.jpg"}, format="json").status_code == 415
    response = client.post("/api/photos/", {}, format="multipart")
    assert response.status_code == 400 and response.json()["errors"] == {
        "image": ["No file was submitted."]
    }


def test_it_keeps_photos_as_evidence(api, crib_admin, jpeg):
    client = api(crib_admin)
    photo = upload(client, jpeg(64, 48)).json()
    assert client.delete(f"/api/photos/{photo['id']}/").status_code == 405
    assert client.patch(f"/api/photos/{photo['id']}/", {}, format="multipart").status_code == 405
    assert Photo.objects.count() == 1
