"""API tokens: the admin makes one for a machine (shown once), and revokes it."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from toolcrib.crib.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_it_makes_a_token_that_works_until_revoked(api, crib_admin, make_user):
    camera = make_user("camera-1", "storekeeper")
    admin = api(crib_admin)

    made = admin.post("/api/tokens/", {"user": "camera-1"}, format="json")

    assert made.status_code == 201
    key = made.json()["key"]
    machine = APIClient()
    machine.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert machine.get("/api/tool-types/").status_code == 200
    listed = admin.get("/api/tokens/").json()["results"]
    assert {t["user"] for t in listed} >= {"camera-1"} and key not in str(listed)

    assert admin.delete(f"/api/tokens/{camera.pk}/").status_code == 204
    refused = machine.get("/api/tool-types/")
    assert refused.status_code == 401 and refused.json() == {"detail": "Invalid token."}
    assert list(
        AuditEvent.objects.filter(object_type="user", action__startswith="token").values_list(
            "action", "actor_name"
        )
    ) == [("token revoked", "adam"), ("token created", "adam")]


def test_it_makes_one_token_per_user(api, crib_admin, make_user):
    make_user("camera-1")
    client = api(crib_admin)
    client.post("/api/tokens/", {"user": "camera-1"}, format="json")
    again = client.post("/api/tokens/", {"user": "camera-1"}, format="json")
    assert again.status_code == 400
    assert again.json()["errors"] == {"user": ["camera-1 already has a token: revoke it first."]}


def test_it_lets_no_admin_mint_a_superuser_s_token(api, crib_admin, make_user):
    make_user("root", is_superuser=True)
    response = api(crib_admin).post("/api/tokens/", {"user": "root"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "user": ["root is a superuser: only a superuser may change them or make their token."]
    }
    assert not Token.objects.filter(user__username="root").exists()
