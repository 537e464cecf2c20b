"""The admin's people pages in a real browser: users with their roles, and engineers."""

import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.front.conftest import open_kit_page
from toolcrib.crib.models import AuditEvent, Engineer


def test_an_admin_adds_a_storekeeper_who_then_issues_tools(signed_in, crib_admin, live_server):
    page = signed_in(crib_admin)
    page.click("nav >> text=Users")
    page.fill("#new-user input[name=username]", "sam")
    page.select_option("#new-user select[name=role]", "storekeeper")
    page.click("#new-user button[type=submit]")  # no password: a one-time one is shown

    shown = page.locator(".msg-success").inner_text()
    password = re.search(r"One-time password for sam: (\S+)", shown).group(1)
    row = page.locator("#users tr", has_text="sam")
    assert row.locator(".role").inner_text() == "storekeeper"
    sam = User.objects.get(username="sam")
    done = AuditEvent.objects.filter(object_type="user", object_id=str(sam.pk), actor=crib_admin)
    created = done.get(action="created")
    assert created.after["password"] == "(hidden)"  # the trail never keeps a password hash
    assert done.filter(after__groups=["storekeeper"]).exists()

    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "sam")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    assert "Users" not in page.locator("nav.mainnav").inner_text()
    open_kit_page(page, "Issue")
    assert page.url == live_server.url + "/issue/" and page.title().startswith("Issue tools")


def test_an_admin_changes_a_role_deactivates_and_resets_a_password(
    signed_in, crib_admin, make_user, live_server
):
    make_user("dora", "return desk")
    page = signed_in(crib_admin)
    page.click("nav >> text=Users")
    page.click("#users >> text=dora")
    page.select_option("#role-form select[name=role]", "QA")
    page.click("#role-form button[type=submit]")
    assert page.locator("#role").inner_text() == "QA"

    page.fill("#password-form input[name=password]", "new-crib-pass-456")
    page.click("#password-form button[type=submit]")
    assert "Password set for dora." in page.locator(".msg-success").inner_text()
    page.click("#active-form button")
    assert "dora deactivated." in page.locator(".msg-success").inner_text()

    dora = User.objects.get(username="dora")
    assert not dora.is_active and dora.check_password("new-crib-pass-456")
    assert [g.name for g in dora.groups.all()] == ["QA"]
    done = AuditEvent.objects.filter(object_type="user", object_id=str(dora.pk), actor=crib_admin)
    changes = [e.after for e in done.order_by("id")]
    assert {"groups": ["QA"]} in changes and {"is_active": False} in changes
    assert {"password": "(hidden)"} in changes


def test_a_duplicate_badge_is_refused_and_changes_nothing(signed_in, crib_admin, engineer):
    other = Engineer.objects.create(badge_number="E2002", name="Ana Lopes")
    page = signed_in(crib_admin)
    page.click("nav >> text=Engineers")
    page.fill("#new-engineer input[name=badge_number]", "E1001")
    page.fill("#new-engineer input[name=name]", "Someone Else")
    page.click("#new-engineer button[type=submit]")
    assert (
        "Badge number E1001 is already Ivan Petrov’s." in page.locator("#new-engineer").inner_text()
    )
    assert Engineer.objects.count() == 2

    page.goto(page.url.split("/engineers/")[0] + f"/engineers/{other.pk}/edit/")
    page.fill("#edit-engineer input[name=badge_number]", "E1001")
    page.fill("#edit-engineer input[name=name]", "Ana Lopes-Silva")
    page.click("#edit-engineer button[type=submit]")
    assert (
        "Badge number E1001 is already Ivan Petrov’s."
        in page.locator("#edit-engineer").inner_text()
    )
    other.refresh_from_db()
    assert (other.badge_number, other.name) == ("E2002", "Ana Lopes")


def test_an_admin_edits_and_deactivates_an_engineer(signed_in, crib_admin, engineer):
    page = signed_in(crib_admin)
    page.click("nav >> text=Engineers")
    page.click("#engineers >> text=Ivan Petrov")
    page.click("#edit-engineer-link")
    page.fill("#edit-engineer input[name=name]", "Ivan Petrova")
    page.click("#edit-engineer button[type=submit]")
    assert "Saved Ivan Petrova (E1001)." in page.locator(".msg-success").inner_text()
    page.click("#edit-engineer-link")
    page.click("#active-form button")
    assert "deactivated" in page.locator(".msg-success").inner_text()

    engineer.refresh_from_db()
    assert engineer.name == "Ivan Petrova" and not engineer.active
    changes = AuditEvent.objects.filter(object_type="engineer", action="changed")
    assert [c.after for c in changes.order_by("id")] == [
        {"name": "Ivan Petrova"},
        {"active": False},
    ]


def test_a_storekeeper_is_refused_the_people_pages(
    signed_in, storekeeper, crib_admin, engineer, live_server
):
    page = signed_in(storekeeper)
    assert "Users" not in page.locator("nav.mainnav").inner_text()
    for path in ["/users/", f"/users/{crib_admin.pk}/", f"/engineers/{engineer.pk}/edit/"]:
        assert page.goto(live_server.url + path).status == 403, path


WRITES = ["users", "user-role", "user-active", "user-password", "engineer-edit", "engineer-active"]


@pytest.mark.parametrize("role", ["storekeeper", "return desk", "QA"])
def test_other_roles_may_not_write_people(client, make_user, crib_admin, engineer, role):
    client.force_login(make_user("someone", role))
    for name in WRITES:
        target = engineer if name.startswith("engineer") else crib_admin
        args = [] if name == "users" else [target.pk]
        data = {"username": "x", "role": "admin", "active": "0", "password": "x", "name": "x"}
        assert client.post(reverse(name, args=args), data).status_code == 403, (role, name)
    crib_admin.refresh_from_db()
    engineer.refresh_from_db()
    assert crib_admin.is_active and [g.name for g in crib_admin.groups.all()] == ["admin"]
    assert crib_admin.check_password("crib-pass-123") and engineer.active
    assert not User.objects.filter(username="x").exists()


def test_an_admin_unlocks_a_locked_out_user_on_their_page(signed_in, crib_admin, storekeeper):
    from django.test import Client

    def log_in(password):
        return Client(REMOTE_ADDR="10.0.9.1").post(
            "/accounts/login/", {"username": "stella", "password": password}
        )

    for _ in range(5):
        log_in("wrong")
    assert log_in("crib-pass-123").status_code == 429
    page = signed_in(crib_admin)
    page.click("nav >> text=Users")
    page.click("#users >> text=stella")
    assert "cannot log in" in page.locator("#unlock-form").inner_text()

    page.click("#unlock-form button")

    assert "stella may log in again." in page.locator(".msg-success").inner_text()
    assert page.locator("#unlock-form").count() == 0
    assert log_in("crib-pass-123").status_code == 302
    event = AuditEvent.objects.get(action="unlocked")
    assert event.actor == crib_admin and event.object_repr == "stella"
    assert event.after["attempts_cleared"] >= 1
