"""Photos in an S3-compatible object store (TOOLCRIB_S3_BUCKET): uploads land in the bucket,
not on the application server's disk, and the app reads them back by role. Against a real S3
protocol server on 127.0.0.1 (moto's server mode)."""

import io

import pytest
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from toolcrib.crib import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_bucket(settings, s3_bucket):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": s3_bucket["TOOLCRIB_S3_BUCKET"],
                "endpoint_url": s3_bucket["TOOLCRIB_S3_ENDPOINT_URL"],
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    return s3_bucket


def objects(bucket):
    listed = bucket["client"].list_objects_v2(Bucket=bucket["TOOLCRIB_S3_BUCKET"])
    return {o["Key"] for o in listed.get("Contents", [])}


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_upload_goes_to_the_bucket_not_the_local_folder(in_bucket, storekeeper, jpeg, settings):
    data = jpeg(640, 480, colour=(30, 90, 160))
    response = client_for(storekeeper).post(
        "/api/photos/", {"image": io.BytesIO(data)}, format="multipart"
    )

    assert response.status_code == 201, response.content
    from toolcrib.crib.models import Photo

    photo = Photo.objects.get(pk=response.json()["id"])
    assert objects(in_bucket) == {photo.image.name}
    stored = in_bucket["client"].get_object(
        Bucket=in_bucket["TOOLCRIB_S3_BUCKET"], Key=photo.image.name
    )
    assert stored["Body"].read() == data
    assert not (settings.MEDIA_ROOT / "photos").exists()


def test_evidence_is_read_from_the_bucket_by_role_only(
    in_bucket, tool_factory, crib_admin, qa, make_user, jpeg
):
    photo = services.store_photo(jpeg(640, 480, colour=(30, 90, 160)))
    enrolment = services.enrol(tool_factory("AT-1"), photo, (100, 50, 300, 150), user=crib_admin)
    assert photo.image.name in objects(in_bucket)

    page = Client()
    page.force_login(qa)
    response = page.get(f"/crops/enrolment/{enrolment.pk}.jpg")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size == (200, 100)

    page.force_login(make_user("norole"))  # signed in, but no role
    assert page.get(f"/crops/enrolment/{enrolment.pk}.jpg").status_code == 403


def test_a_stored_photo_is_served_from_the_bucket_to_readers_only(
    in_bucket, storekeeper, make_user, jpeg
):
    data = jpeg(320, 240, colour=(120, 60, 30))
    photo = services.store_photo(data, user=storekeeper)
    url = f"/media/{photo.image.name}"
    page = Client()

    page.force_login(make_user("qa-reader", "QA"))
    response = page.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data

    page.force_login(make_user("norole"))  # signed in, no role, not the uploader
    assert page.get(url).status_code == 403
