"""A refused photo, box or tool is said plainly on the page, and nothing is created."""

import json

from django.urls import reverse

from tests.front.conftest import fill_issue_by_number, open_kit_page
from toolcrib.crib import services
from toolcrib.crib.models import Issue, IssuedTool, Photo
from toolcrib.crib.services import ToolLine


def test_it_says_a_broken_upload_is_broken_and_keeps_nothing(
    signed_in, storekeeper, tmp_path, jpeg
):
    broken = tmp_path / "kit.jpg"
    broken.write_bytes(jpeg(800, 600)[:400])  # cut short, as by a dropped connection
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    page.set_input_files("input[data-action=upload]", str(broken))

    error = page.locator(".photo-error")
    error.wait_for()
    assert error.inner_text().startswith("The photo is damaged")
    assert page.locator(".stage img").is_hidden()
    assert Photo.objects.count() == 0


def test_it_refuses_a_tool_already_issued_and_issues_nothing(
    signed_in, storekeeper, engineer, tool_factory, make_user
):
    from toolcrib.crib.models import Engineer

    tool = tool_factory("AT-288293-6")
    other = Engineer.objects.create(badge_number="E2002", name="Olga Smirnova")
    services.issue_tools(engineer=other, storekeeper=storekeeper, lines=[ToolLine(tool)])
    spare = tool_factory("AT-1")

    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    fill_issue_by_number(page, "E1001", ["AT-1", "AT-288293-6"])
    page.click("text=Issue these tools")

    assert page.locator("#form-error").inner_text() == (
        "AT-288293-6 is already issued to Olga Smirnova (E2002); nothing was issued."
    )
    # The tools the storekeeper picked are still on the page, to correct and confirm again.
    assert [page.locator(".tool-row input").nth(i).input_value() for i in range(2)] == [
        "AT-1",
        "AT-288293-6",
    ]
    assert (
        not engineer.held_tools().exists()
        and IssuedTool.objects.filter(tool_instance=spare).count() == 0
    )


def test_it_refuses_a_box_outside_the_photo(client, storekeeper, engineer, tool_factory, jpeg):
    tool_factory("AT-1")
    photo = services.store_photo(jpeg(640, 480))
    client.force_login(storekeeper)
    response = client.post(
        reverse("issue-new"),
        {
            "engineer": "E1001",
            "photo": photo.pk,
            "idempotency_key": "k1",
            "lines": json.dumps([{"box": [600, 400, 700, 500], "inventory_number": "AT-1"}]),
        },
    )
    assert response.status_code == 200
    assert "lies outside the photo (640x480)" in response.content.decode()
    assert Issue.objects.count() == 0


DEEP = "[" * 1500 + "]" * 1500
GARBAGE = [
    (
        "issue-new",
        [],
        {"engineer": "E1001", "photo": "99999", "lines": "[]", "idempotency_key": "k"},
    ),
    ("issue-new", [], {"engineer": "E1001", "lines": "{not json", "idempotency_key": "k"}),
    ("issue-new", [], {"engineer": "E1001", "lines": '{"box": 1}', "idempotency_key": "k"}),
    (
        "issue-new",
        [],
        {"engineer": "E1001", "lines": '[{"box": [1, 2, 3, 4]}]', "idempotency_key": "k"},
    ),
    ("issue-new", [], {"engineer": "nobody at all", "lines": "[]", "idempotency_key": "k"}),
    ("return-new", [], {"engineer": "", "lines": "[]", "idempotency_key": "k"}),
    # Nested past Python's own recursion limit (a RecursionError, once a 500).
    ("issue-new", [], {"engineer": "E1001", "lines": DEEP, "idempotency_key": "k"}),
    ("return-new", [], {"engineer": "E1001", "lines": DEEP, "idempotency_key": "k"}),
    ("recount", [99999], {"found": "no", "reason": "x"}),
    ("crib-settings", [], {"recount_threshold": "lots"}),
    ("tools", [], {"inventory_number": "", "tool_type": "999"}),
]


def test_it_answers_nonsense_without_a_server_error_and_changes_nothing(
    client, make_user, engineer, jpeg
):
    from django.contrib.auth.models import User

    from toolcrib.crib.models import AuditEvent, CribSettings, ReturnedTool, ToolInstance

    CribSettings.current()  # made on first use, with an audit event of its own
    everyone = User.objects.create_superuser("root", password="crib-pass-123")
    client.force_login(everyone)
    before = (
        Issue.objects.count(),
        ReturnedTool.objects.count(),
        ToolInstance.objects.count(),
        AuditEvent.objects.count(),
    )
    for name, args, data in GARBAGE:
        response = client.post(reverse(name, args=args), data)
        assert response.status_code in (200, 400, 404), (name, data, response.status_code)
        if response.status_code == 200:
            page = response.content.decode()
            shown = ['id="form-error"', '<p class="error" role="alert">', 'class="errorlist']
            assert any(s in page for s in shown), (name, data)
    after = (
        Issue.objects.count(),
        ReturnedTool.objects.count(),
        ToolInstance.objects.count(),
        AuditEvent.objects.count(),
    )
    assert after == before


def test_it_says_so_when_the_tool_list_is_nested_too_deep(client, storekeeper, engineer):
    client.force_login(storekeeper)
    lines = "[" * 1500 + "]" * 1500
    response = client.post(
        reverse("issue-new"), {"engineer": "E1001", "lines": lines, "idempotency_key": "k"}
    )
    assert response.status_code == 200
    assert "This field is nested deeper than 20 levels." in response.content.decode()
    assert Issue.objects.count() == 0
