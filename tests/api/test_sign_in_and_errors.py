"""How the API is reached: a session for the browser (with its CSRF guard), a token for
machines; the schema and Swagger UI; one error format everywhere."""

import pytest
from django.http import HttpRequest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_serves_the_browser_s_session_with_its_csrf_guard(storekeeper, engineer, tool_factory):
    tool = tool_factory("AT-1")
    browser = Client(enforce_csrf_checks=True)
    # Log-in throttling (django-axes) needs the request a real log-in comes with.
    assert browser.login(request=HttpRequest(), username="stella", password="crib-pass-123")
    assert browser.get("/api/tool-instances/").status_code == 200

    body = {"engineer": engineer.pk, "tools": [{"tool_instance": tool.pk}]}
    forged = browser.post("/api/issues/", body, content_type="application/json")
    assert forged.status_code == 403 and forged.json()["detail"].startswith("CSRF Failed")

    browser.get("/accounts/login/")  # any page sets the CSRF cookie
    response = browser.post(
        "/api/issues/",
        body,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
    )
    assert response.status_code == 201


def test_it_asks_a_stranger_for_a_token(api):
    response = api().get("/api/tool-instances/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_it_answers_an_unknown_record_with_404_in_the_error_format(api, qa):
    response = api(qa).get("/api/tool-instances/999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No ToolInstance matches the given query."}


def test_it_publishes_the_schema_and_swagger_ui(api):
    schema = api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    issue = schema["paths"]["/api/issues/"]["post"]
    assert {"201", "400", "401", "403", "409"} <= set(issue["responses"])
    assert issue["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert [p["name"] for p in issue["parameters"]] == ["Idempotency-Key"]
    docs = api().get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
