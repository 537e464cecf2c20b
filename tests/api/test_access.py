"""The roles apply to the API as to the pages: every write a role may not do is refused and
leaves nothing behind; a user without a role, or not signed in, reads nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import crib_state

pytestmark = pytest.mark.django_db

ROLES = ["storekeeper", "return desk", "admin", "QA", "nobody", "anonymous"]

# (what, method, url, body, who may do it)
WRITES = [
    (
        "add a tool type",
        "post",
        lambda c: "/api/tool-types/",
        lambda c: {"name": "Crimper", "slug": "crimper"},
        {"admin"},
    ),
    (
        "rename a tool type",
        "patch",
        lambda c: f"/api/tool-types/{c.spare_type.pk}/",
        lambda c: {"name": "Torque wrench 5-25"},
        {"admin"},
    ),
    (
        "delete a tool type",
        "delete",
        lambda c: f"/api/tool-types/{c.spare_type.pk}/",
        None,
        {"admin"},
    ),
    (
        "add a tool instance",
        "post",
        lambda c: "/api/tool-instances/",
        lambda c: {"inventory_number": "TW-1", "tool_type": c.spare_type.pk},
        {"admin"},
    ),
    (
        "change a tool instance",
        "patch",
        lambda c: f"/api/tool-instances/{c.free.pk}/",
        lambda c: {"status": "broken", "notes": "jaw cracked"},
        {"admin"},
    ),
    (
        "delete a tool instance",
        "delete",
        lambda c: f"/api/tool-instances/{c.free.pk}/",
        None,
        {"admin"},
    ),
    (
        "add an engineer",
        "post",
        lambda c: "/api/engineers/",
        lambda c: {"badge_number": "E3003", "name": "Pavel Orlov"},
        {"admin"},
    ),
    (
        "change an engineer",
        "patch",
        lambda c: f"/api/engineers/{c.idle_engineer.pk}/",
        lambda c: {"active": False},
        {"admin"},
    ),
    (
        "delete an engineer",
        "delete",
        lambda c: f"/api/engineers/{c.idle_engineer.pk}/",
        None,
        {"admin"},
    ),
    (
        "upload a photo",
        "post",
        lambda c: "/api/photos/",
        "photo",
        {"admin", "storekeeper", "return desk"},
    ),
    (
        "enrol a tool",
        "post",
        lambda c: "/api/enrolments/",
        lambda c: {"tool_instance": c.free.pk, "photo": c.photo.pk, "box": [0, 0, 300, 200]},
        {"admin"},
    ),
    (
        "delete an enrolment",
        "delete",
        lambda c: f"/api/enrolments/{c.enrolment.pk}/",
        None,
        {"admin"},
    ),
    (
        "recognise a photo",
        "post",
        lambda c: "/api/recognition/",
        lambda c: {"photo": c.photo.pk, "boxes": [[0, 0, 300, 200]]},
        {"admin", "storekeeper", "return desk"},
    ),
    (
        "issue tools",
        "post",
        lambda c: "/api/issues/",
        lambda c: {"engineer": c.idle_engineer.pk, "tools": [{"tool_instance": c.free.pk}]},
        {"storekeeper"},
    ),
    (
        "take a return",
        "post",
        lambda c: "/api/returns/",
        lambda c: {"engineer": c.engineer.pk, "crops": [], "ends": "shift"},
        {"return desk"},
    ),
    (
        "decide a recount",
        "post",
        lambda c: f"/api/returned-tools/{c.recount_line.pk}/recount/",
        lambda c: {"found": False, "reason": "not in their box"},
        {"return desk"},
    ),
    (
        "dismiss an extra line: not a tool",
        "post",
        lambda c: f"/api/returned-tools/{c.extra.pk}/not-a-tool/",
        lambda c: {},
        {"return desk"},
    ),
    (
        "identify an extra line",
        "post",
        lambda c: f"/api/returned-tools/{c.extra.pk}/identify/",
        lambda c: {"number": "AT-1"},
        {"return desk"},
    ),
    (
        "report a foreign tool",
        "post",
        lambda c: f"/api/returned-tools/{c.extra.pk}/foreign/",
        lambda c: {"note": "not ours"},
        {"return desk"},
    ),
    (
        "close a foreign tool report",
        "post",
        lambda c: f"/api/foreign-reports/{c.foreign_report.pk}/close/",
        lambda c: {"note": "handed to the airline"},
        {"QA"},
    ),
    (
        "set the threshold",
        "put",
        lambda c: "/api/settings/",
        lambda c: {"recount_threshold": 70},
        {"admin"},
    ),
    ("make a token", "post", lambda c: "/api/tokens/", lambda c: {"user": "camera-1"}, {"admin"}),
    ("revoke a token", "delete", lambda c: f"/api/tokens/{c.camera_2.pk}/", None, {"admin"}),
]


def send(client, method, url, body, jpeg):
    if body == "photo":
        return client.post(
            url,
            {"image": SimpleUploadedFile("kit.jpg", jpeg(320, 240), "image/jpeg")},
            format="multipart",
        )
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("what, method, url, body, allowed", WRITES, ids=[w[0] for w in WRITES])
def test_it_lets_only_the_right_roles_write(
    api, crib, role_users, jpeg, role, what, method, url, body, allowed
):
    from django.contrib.auth.models import User

    crib.camera_2 = User.objects.get(username="camera-2")
    client = api(role_users.get(role))
    before = crib_state()

    response = send(client, method, url(crib), body(crib) if callable(body) else body, jpeg)

    if role in allowed:
        assert response.status_code in (200, 201, 204), response.content
    else:
        assert response.status_code == (401 if role == "anonymous" else 403), response.content
        assert set(response.json()) == {"detail"}
        assert crib_state() == before


READS = [
    "/api/tool-types/",
    "/api/tool-instances/",
    "/api/engineers/",
    "/api/photos/",
    "/api/enrolments/",
    "/api/issues/",
    "/api/returns/",
    "/api/returned-tools/",
    "/api/foreign-reports/",
    "/api/audit-events/",
    "/api/settings/",
    "/api/dashboard/",
    "/api/tokens/",
]


def detail_reads(c):
    issue = c.held.issued.get().issue_id
    return [
        f"/api/tool-instances/{c.free.pk}/",
        f"/api/tool-instances/{c.free.pk}/history/",
        f"/api/engineers/{c.engineer.pk}/",
        f"/api/engineers/{c.engineer.pk}/history/",
        f"/api/photos/{c.photo.pk}/",
        f"/api/enrolments/{c.enrolment.pk}/",
        f"/api/issues/{issue}/",
        f"/api/issues/{issue}/report/",
        f"/api/returns/{c.recount_line.tool_return_id}/",
        f"/api/returns/{c.recount_line.tool_return_id}/report/",
        f"/api/returned-tools/{c.recount_line.pk}/",
    ]


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("nobody", 403)])
def test_it_shows_nothing_to_someone_without_a_role(api, crib, role_users, role, status):
    client = api(role_users.get(role))
    for url in READS + detail_reads(crib):
        response = client.get(url)
        assert response.status_code == status, url
        assert list(response.json()) == ["detail"], url


@pytest.mark.parametrize("role", ["storekeeper", "return desk", "admin", "QA"])
def test_it_lets_every_role_read_the_crib(api, crib, role_users, role):
    client = api(role_users[role])
    for url in [u for u in READS if u != "/api/tokens/"] + detail_reads(crib):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ["storekeeper", "return desk", "QA"])
def test_it_keeps_the_tokens_from_everyone_but_the_admin(api, crib, role_users, role):
    response = api(role_users[role]).get("/api/tokens/")
    assert response.status_code == 403
    assert "camera-2" not in response.content.decode()
