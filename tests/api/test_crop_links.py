"""A machine reading a report with its API token can follow the report's crop links."""

import io

import pytest
from PIL import Image

from toolcrib.crib import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolment(tool_factory, crib_admin, jpeg):
    photo = services.store_photo(jpeg(640, 480, colour=(30, 90, 160)))
    return services.enrol(tool_factory("AT-1"), photo, (100, 50, 300, 150), user=crib_admin)


def test_it_serves_a_crop_to_a_token(api, qa, enrolment):
    response = api(qa).get(f"/crops/enrolment/{enrolment.pk}.jpg")

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size == (200, 100)


def test_it_sends_a_wrong_token_to_the_login_page(api, enrolment):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get(f"/crops/enrolment/{enrolment.pk}.jpg")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
