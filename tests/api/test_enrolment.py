"""Enrolling a tool instance over the API: a new photo (multipart) or a stored one, with the
tool's box; the server computes the feature, never the client."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from toolcrib.crib.models import AuditEvent, Enrolment, Photo

pytestmark = pytest.mark.django_db


def tool_photo(name="5_safety_pliers__black"):
    from tests.kit_photos import single_photo

    return single_photo(name)


@pytest.mark.model
@pytest.mark.photos
def test_it_enrols_a_tool_from_a_new_photo(api, crib_admin, tool_factory):
    tool = tool_factory("AT-288293-6", 4)
    data, box = tool_photo()

    response = api(crib_admin).post(
        "/api/enrolments/",
        {
            "tool_instance": tool.pk,
            "image": SimpleUploadedFile("pliers.jpg", data, "image/jpeg"),
            "box": list(box),
        },
        format="multipart",
    )

    assert response.status_code == 201, response.content
    enrolment = response.json()
    assert enrolment["box"] == list(box) and enrolment["enrolled_by"] == "adam"
    assert enrolment["crop_url"] == f"http://testserver/crops/enrolment/{enrolment['id']}.jpg"
    assert len(enrolment["model_sha256"]) == 64
    assert Enrolment.objects.get().embedding is not None
    assert AuditEvent.objects.filter(
        action="created", object_type="enrolment", actor_name="adam"
    ).exists()


@pytest.mark.model
@pytest.mark.photos
def test_it_enrols_a_tool_from_a_stored_photo_and_the_tool_is_then_recognised(
    api, crib_admin, storekeeper, tool_factory
):
    tool = tool_factory("AT-288293-6", 4)
    data, box = tool_photo()
    client = api(crib_admin)
    photo = client.post(
        "/api/photos/",
        {"image": SimpleUploadedFile("p.jpg", data, "image/jpeg")},
        format="multipart",
    ).json()

    response = client.post(
        "/api/enrolments/",
        {"tool_instance": tool.pk, "photo": photo["id"], "box": list(box)},
        format="json",
    )
    assert response.status_code == 201, response.content

    found = (
        api(storekeeper)
        .post("/api/recognition/", {"photo": photo["id"], "boxes": [list(box)]}, format="json")
        .json()
    )
    [tool_found] = found["tools"]
    assert tool_found["types"][0]["name"] == "Lockwire pliers"
    assert tool_found["instances"][0]["inventory_number"] == "AT-288293-6"
    assert tool_found["instances"][0]["match_percent"] > 99


def test_it_refuses_a_box_outside_the_photo_and_keeps_nothing(api, crib_admin, tool_factory, jpeg):
    tool = tool_factory("AT-1")
    response = api(crib_admin).post(
        "/api/enrolments/",
        {
            "tool_instance": tool.pk,
            "image": SimpleUploadedFile("t.jpg", jpeg(640, 480), "image/jpeg"),
            "box": [0, 0, 641, 100],
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "Box [0, 0, 641, 100] lies outside the photo (640x480)."}
    assert not Enrolment.objects.exists() and not Photo.objects.exists()


def test_it_wants_one_photo_either_stored_or_new(api, crib_admin, tool_factory):
    response = api(crib_admin).post(
        "/api/enrolments/",
        {"tool_instance": tool_factory("AT-1").pk, "box": [0, 0, 5, 5]},
        format="json",
    )
    assert response.status_code == 400
    assert (
        response.json()["detail"]
        == "Send either `photo` (a stored photo's id) or `image` (a new photo)."
    )
