"""Issuing over the API: a kit photographed at the desk, refusals that change nothing, and
retries that do not issue twice."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from toolcrib.crib.models import AuditEvent, Issue, ToolInstance

pytestmark = pytest.mark.django_db
SCREW, PLIERS = "1_screw_flat__black", "5_safety_pliers__black"


def upload(client, data):
    response = client.post(
        "/api/photos/",
        {"image": SimpleUploadedFile("kit.jpg", data, "image/jpeg")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.model
@pytest.mark.photos
def test_it_issues_a_photographed_kit_and_shows_who_holds_it(
    api, storekeeper, engineer, tool_factory
):
    from tests.kit_photos import compose

    screwdriver, pliers = tool_factory("SCR-0001", 0), tool_factory("AT-288293-6", 4)
    data, boxes = compose([(SCREW, (50, 50), 0), (PLIERS, (900, 100), 0)])
    client = api(storekeeper)
    photo = upload(client, data)

    response = client.post(
        "/api/issues/",
        {
            "engineer": engineer.pk,
            "tools": [
                {"tool_instance": screwdriver.pk, "photo": photo["id"], "box": list(boxes[0])},
                {"tool_instance": pliers.pk, "photo": photo["id"], "box": list(boxes[1])},
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    issue = response.json()
    assert issue["storekeeper"] == "stella" and issue["engineer"] == engineer.pk
    assert [t["inventory_number"] for t in issue["tools"]] == ["SCR-0001", "AT-288293-6"]
    assert all(t["crop_url"].startswith("http://testserver/crops/issued/") for t in issue["tools"])
    held = client.get("/api/tool-instances/", {"status": "issued"}).json()["results"]
    assert {t["inventory_number"]: t["holder"]["engineer"]["badge_number"] for t in held} == {
        "SCR-0001": "E1001",
        "AT-288293-6": "E1001",
    }
    assert client.get(f"/api/engineers/{engineer.pk}/").json()["held_tools"] == [
        "AT-288293-6",
        "SCR-0001",
    ]
    # The features were computed by the server from the photo and box, by the real model.
    assert Issue.objects.get().tools.exclude(embedding=None).count() == 2


def test_it_answers_409_for_a_tool_someone_holds_and_issues_nothing(
    api, storekeeper, engineer, tool_factory
):
    from toolcrib.crib.models import Engineer

    held, free = tool_factory("AT-1"), tool_factory("AT-2")
    other = Engineer.objects.create(badge_number="E2", name="Boris")
    client = api(storekeeper)
    assert (
        client.post(
            "/api/issues/",
            {"engineer": other.pk, "tools": [{"tool_instance": held.pk}]},
            format="json",
        ).status_code
        == 201
    )

    response = client.post(
        "/api/issues/",
        {
            "engineer": engineer.pk,
            "tools": [{"tool_instance": free.pk}, {"tool_instance": held.pk}],
        },
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "AT-1 is already issued to Boris (E2); nothing was issued."
    }
    free.refresh_from_db()
    assert (
        free.status == ToolInstance.Status.IN_CRIB
        and not Issue.objects.filter(engineer=engineer).exists()
    )


def test_it_answers_400_with_the_crib_s_reason(api, storekeeper, engineer, tool_factory, jpeg):
    tool = tool_factory("AT-1")
    client = api(storekeeper)
    photo = upload(client, jpeg(640, 480))

    response = client.post(
        "/api/issues/",
        {
            "engineer": engineer.pk,
            "tools": [{"tool_instance": tool.pk, "photo": photo["id"], "box": [600, 10, 700, 100]}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Box [600, 10, 700, 100] lies outside the photo (640x480)."
    }
    assert not Issue.objects.exists()


def test_it_names_each_bad_field(api, storekeeper, engineer, tool_factory):
    tool = tool_factory("AT-1")
    response = api(storekeeper).post(
        "/api/issues/",
        {
            "engineer": 999999,
            "tools": [{"tool_instance": tool.pk, "box": [1, 2, 3]}, {"tool_instance": "AT-1"}],
        },
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"engineer", "tools[0].box", "tools[1].tool_instance"}
    assert body["detail"] == "Invalid input: see errors for each field."
    assert body["errors"]["tools[0].box"] == ["Ensure this field has at least 4 elements."]


def test_it_issues_once_for_a_retried_request(api, storekeeper, engineer, tool_factory):
    tool = tool_factory("AT-1")
    client = api(storekeeper)
    body = {"engineer": engineer.pk, "tools": [{"tool_instance": tool.pk}]}

    first = client.post("/api/issues/", body, format="json", HTTP_IDEMPOTENCY_KEY="desk1-0001")
    again = client.post("/api/issues/", body, format="json", HTTP_IDEMPOTENCY_KEY="desk1-0001")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Issue.objects.count() == 1 and AuditEvent.objects.filter(action="issued").count() == 1


def test_it_refuses_a_key_used_for_another_engineer(api, storekeeper, engineer, tool_factory):
    from toolcrib.crib.models import Engineer

    client = api(storekeeper)
    client.post(
        "/api/issues/",
        {"engineer": engineer.pk, "tools": [{"tool_instance": tool_factory("AT-1").pk}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    other = Engineer.objects.create(badge_number="E2", name="Boris")
    response = client.post(
        "/api/issues/",
        {"engineer": other.pk, "tools": [{"tool_instance": tool_factory("AT-2").pk}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert response.status_code == 400
    assert (
        response.json()["detail"] == "This idempotency key was already used for another engineer."
    )
    assert Issue.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_issues_once_when_a_retry_races_the_first_request(
    api, storekeeper, engineer, tool_factory
):
    tools = [tool_factory(f"AT-{i}") for i in range(1, 4)]
    client = api(storekeeper)
    body = {"engineer": engineer.pk, "tools": [{"tool_instance": t.pk} for t in tools]}
    answers = []
    start = threading.Barrier(2)

    def send():
        from django.db import connection

        start.wait()
        try:
            answers.append(
                client.post("/api/issues/", body, format="json", HTTP_IDEMPOTENCY_KEY="desk1-0002")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert [a.status_code for a in answers] == [201, 201], [a.content for a in answers]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert Issue.objects.count() == 1


def test_it_refuses_an_inactive_engineer_and_a_due_date_in_the_past(
    api, storekeeper, engineer, tool_factory
):
    tool = tool_factory("AT-1")
    client = api(storekeeper)
    past = client.post(
        "/api/issues/",
        {
            "engineer": engineer.pk,
            "tools": [{"tool_instance": tool.pk}],
            "due_back": "2020-01-01T08:00:00Z",
        },
        format="json",
    )
    assert past.status_code == 400 and past.json()["errors"] == {
        "due_back": ["The tools cannot be due back in the past."]
    }

    engineer.active = False
    engineer.save()
    response = client.post(
        "/api/issues/",
        {"engineer": engineer.pk, "tools": [{"tool_instance": tool.pk}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Ivan Petrov (E1001) is not active and cannot take tools."}
    assert not Issue.objects.exists()
