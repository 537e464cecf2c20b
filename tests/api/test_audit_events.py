"""The audit trail over the API: read and filtered by every role, changed by none."""

import pytest

from toolcrib.crib.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_it_lists_and_filters_the_trail(api, crib, qa):
    client = api(qa)
    issued = client.get("/api/audit-events/", {"action": "issued"}).json()
    assert issued["count"] == 2 and {e["actor_name"] for e in issued["results"]} == {"stella"}
    tool = client.get(
        "/api/audit-events/", {"object_type": "toolinstance", "object_id": crib.free.pk}
    ).json()["results"]
    assert [e["action"] for e in tool] == ["created"]
    assert client.get("/api/audit-events/", {"since": "2999-01-01T00:00:00Z"}).json()["count"] == 0


@pytest.mark.parametrize("method", ["put", "patch", "delete", "post"])
@pytest.mark.parametrize("who, status", [("admin", 403), ("superuser", 405)])
def test_it_lets_nobody_change_the_trail(api, crib, crib_admin, make_user, method, who, status):
    user = crib_admin if who == "admin" else make_user("root", is_superuser=True)
    event = AuditEvent.objects.first()
    url = "/api/audit-events/" if method == "post" else f"/api/audit-events/{event.pk}/"
    before = list(AuditEvent.objects.values())

    response = getattr(api(user), method)(url, {"action": "nothing happened"}, format="json")

    assert response.status_code == status
    assert list(AuditEvent.objects.values()) == before
