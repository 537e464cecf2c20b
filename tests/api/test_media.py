"""Stored photos under /media/ are evidence: every role reads them, the uploader reads their
own, a signed-in user with no role gets 403, a stranger is sent to sign in."""

import pytest

from toolcrib.crib import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(jpeg, storekeeper):
    return services.store_photo(jpeg(64, 48), user=storekeeper)


def url(photo):
    return "/" + "media/" + photo.image.name


@pytest.mark.parametrize("role", ["storekeeper", "return desk", "admin", "QA"])
def test_every_role_reads_a_stored_photo(client, role_users, photo, role):
    client.force_login(role_users[role])
    response = client.get(url(photo))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == photo.image.open("rb").read()


def test_a_user_without_a_role_gets_403(client, role_users, photo):
    client.force_login(role_users["nobody"])
    assert client.get(url(photo)).status_code == 403


def test_the_uploader_reads_their_own_photo_even_without_a_role(client, make_user, jpeg):
    camera = make_user("camera-7")
    own = services.store_photo(jpeg(64, 48), user=camera)
    other = services.store_photo(jpeg(32, 24), user=make_user("camera-8"))
    client.force_login(camera)
    assert client.get(url(own)).status_code == 200
    assert client.get(url(other)).status_code == 403


def test_a_stranger_is_sent_to_sign_in(client, photo):
    response = client.get(url(photo))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_machine_reads_photos_with_its_token_as_its_role_allows(api, role_users, photo):
    link = api(role_users["QA"]).get(f"/api/photos/{photo.pk}/").json()["image"]
    assert api(role_users["QA"]).get(link).status_code == 200
    assert api(role_users["nobody"]).get(link).status_code == 403


def test_nothing_but_stored_photos_is_served(client, role_users, photo, settings):
    (settings.MEDIA_ROOT / "secret.txt").write_text("not a photo")
    client.force_login(role_users["QA"])
    assert client.get("/media/secret.txt").status_code == 404
    assert client.get("/media/photos/../../secret_key").status_code == 404
