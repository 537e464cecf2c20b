"""Hostile input: JSON nested too deep or too large, and uploads refused half-way, get a clear
4xx in JSON (never an HTML page, never a 500), change nothing and leave no file behind."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import crib_state
from toolcrib.crib.models import CribSettings, Photo

pytestmark = pytest.mark.django_db

DEEP = 1500  # past Python's own recursion limit: a RecursionError before the limits
NESTED = 900  # parses in Python, still far past the crib's depth limit


def nested(levels):
    return "[" * levels + "]" * levels


def assert_json_refusal(response, status, message):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["detail"], response.json()


@pytest.mark.parametrize("levels", [DEEP, NESTED])
def test_it_refuses_a_deeply_nested_issue_body(api, storekeeper, crib, levels):
    client = api(storekeeper)
    before = crib_state()
    response = client.generic(
        "POST", "/api/issues/", nested(levels), content_type="application/json"
    )
    assert_json_refusal(response, 400, "The JSON body is nested deeper than 20 levels.")
    assert crib_state() == before


def test_it_refuses_deeply_nested_settings(api, crib_admin):
    threshold = CribSettings.current().recount_threshold
    body = '{"recount_threshold": ' + nested(DEEP) + "}"
    response = api(crib_admin).generic(
        "PUT", "/api/settings/", body, content_type="application/json"
    )
    assert_json_refusal(response, 400, "nested deeper than 20 levels")
    assert CribSettings.current().recount_threshold == threshold


def test_it_still_reads_an_ordinary_body(api, crib_admin):
    response = api(crib_admin).put(
        "/api/settings/", {"recount_threshold": 88.5, "x": [[[1]]]}, format="json"
    )
    assert response.status_code == 200 and response.json()["recount_threshold"] == 88.5


def test_it_refuses_a_30_mb_body_in_json(api, storekeeper, crib):
    client = api(storekeeper)
    before = crib_state()
    body = b'{"engineer": 1, "tools": [], "pad": "' + b"x" * (30 * 1024 * 1024) + b'"}'
    response = client.generic("POST", "/api/issues/", body, content_type="application/json")
    assert_json_refusal(response, 413, "The request is larger than 1024 KB.")
    assert crib_state() == before


def test_it_refuses_a_body_over_the_json_limit_even_when_it_says_it_is_a_form(api, storekeeper):
    response = api(storekeeper).generic(
        "POST",
        "/api/issues/",
        b"engineer=1&pad=" + b"x" * (2 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert_json_refusal(response, 413, "The request is larger than 1024 KB.")


def test_it_answers_json_for_an_unknown_api_address(api, qa):
    response = api(qa).get("/api/no-such-thing/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def stored_files(settings):
    return sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def test_it_refuses_deeply_nested_boxes_in_a_multipart_upload(api, storekeeper, jpeg, settings):
    response = api(storekeeper).post(
        "/api/recognition/",
        {
            "image": SimpleUploadedFile("kit.jpg", jpeg(640, 480), "image/jpeg"),
            "boxes": nested(DEEP),
        },
        format="multipart",
    )
    assert_json_refusal(response, 400, "boxes")
    assert response.json()["errors"] == {"boxes[0]": ["The box is nested deeper than 20 levels."]}
    assert not Photo.objects.exists() and stored_files(settings) == []


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_it_refuses_a_deeply_nested_enrolment_box(api, crib_admin, crib, fmt, settings):
    client = api(crib_admin)
    before = crib_state()
    response = client.post(
        "/api/enrolments/",
        {"tool_instance": crib.free.pk, "photo": crib.photo.pk, "box": nested(DEEP)},
        format=fmt,
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "nested deeper than 20 levels" in response.json()["detail"]
    assert crib_state() == before


def test_a_refused_box_leaves_no_photo_file_behind(api, storekeeper, jpeg, settings):
    response = api(storekeeper).post(
        "/api/recognition/",
        {
            "image": SimpleUploadedFile("kit.jpg", jpeg(640, 480), "image/jpeg"),
            "boxes": "[10, 10, 9000, 100]",
        },
        format="multipart",
    )
    assert_json_refusal(response, 400, "lies outside the photo (640x480)")
    assert not Photo.objects.exists()
    assert stored_files(settings) == []  # no sweep_photos needed


def test_a_refused_enrolment_upload_leaves_no_photo_file_behind(
    api, crib_admin, crib, jpeg, settings
):
    kept = stored_files(settings)
    response = api(crib_admin).post(
        "/api/enrolments/",
        {
            "tool_instance": crib.free.pk,
            "image": SimpleUploadedFile("ref.jpg", jpeg(320, 240), "image/jpeg"),
            "box": "[0, 0, 400, 100]",
        },
        format="multipart",
    )
    assert_json_refusal(response, 400, "lies outside the photo (320x240)")
    assert stored_files(settings) == kept


def test_it_refuses_an_upload_over_the_limit_before_reading_it(api, storekeeper, settings):
    settings.TOOLCRIB_MAX_UPLOAD_MB = 1
    response = api(storekeeper).post(
        "/api/photos/",
        {"image": SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"\0" * (3 * 1024 * 1024))},
        format="multipart",
    )
    assert_json_refusal(response, 413, "The upload is larger than 1 MB.")
    assert not Photo.objects.exists() and stored_files(settings) == []
