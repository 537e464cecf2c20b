"""Log-in throttling (django-axes) on the real log-in form: after TOOLCRIB_LOGIN_FAILURES failed
log-ins for one user name, or from one address, that name or address is locked out for a while,
even with the right password; each lockout is in the audit trail; an admin can lift it."""

import pytest
from django.test import Client

from toolcrib.crib.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def log_in(username, password, address="10.0.0.1", **headers):
    return Client(REMOTE_ADDR=address, **headers).post(
        LOGIN, {"username": username, "password": password}
    )


def signed_in(response):
    return response.status_code == 302 and response["Location"] == "/"


def test_the_browser_is_locked_out_after_five_failures(page, live_server, storekeeper):
    page.goto(live_server.url + LOGIN)
    for attempt in range(5):
        page.fill("input[name=username]", "stella")
        page.fill("input[name=password]", f"guess-{attempt}")
        page.click("button[type=submit]")
        if attempt < 4:
            assert "didn't match" in page.locator("p.error").inner_text()

    assert page.locator("h1").inner_text() == "Log-in locked"
    page.goto(live_server.url + LOGIN)
    page.fill("input[name=username]", "stella")
    page.fill("input[name=password]", "crib-pass-123")  # the right one, too late
    with page.expect_response(lambda r: r.url.endswith(LOGIN)) as answer:
        page.click("button[type=submit]")
    assert answer.value.status == 429
    assert "Log-in locked" in page.locator("h1").inner_text()
    assert "log-in is locked for 0:15:00" in page.locator("p.error").inner_text()

    event = AuditEvent.objects.filter(action="locked out").last()  # the first lockout
    assert event.object_repr == "stella" and event.object_id == str(storekeeper.pk)
    assert event.after == {"username": "stella", "address": "127.0.0.1"}


def test_it_counts_failures_per_user_name_whatever_the_address(storekeeper, desk):
    for i in range(5):
        assert not signed_in(log_in("stella", "wrong", address=f"10.0.1.{i}"))
    assert log_in("stella", "crib-pass-123", address="10.0.2.1").status_code == 429
    assert signed_in(log_in("rita", "crib-pass-123", address="10.0.2.1"))


def test_it_counts_failures_per_address_whatever_the_user_name(storekeeper, desk):
    for i in range(5):
        assert not signed_in(log_in(f"user{i}", "wrong", address="10.0.3.1"))
    assert log_in("rita", "crib-pass-123", address="10.0.3.1").status_code == 429
    assert signed_in(log_in("rita", "crib-pass-123", address="10.0.3.2"))
    lockouts = AuditEvent.objects.filter(action="locked out")
    assert {e.after["address"] for e in lockouts} == {"10.0.3.1"}


def test_a_success_before_the_limit_starts_the_count_again(storekeeper):
    for _ in range(4):
        log_in("stella", "wrong")
    assert signed_in(log_in("stella", "crib-pass-123"))
    for _ in range(4):
        log_in("stella", "wrong")
    assert signed_in(log_in("stella", "crib-pass-123"))


def test_the_limit_is_a_setting(storekeeper, settings):
    settings.AXES_FAILURE_LIMIT = 2  # TOOLCRIB_LOGIN_FAILURES
    log_in("stella", "wrong")
    log_in("stella", "wrong")
    assert log_in("stella", "crib-pass-123").status_code == 429


def test_behind_a_proxy_each_client_is_counted_apart(storekeeper, desk, settings):
    # TOOLCRIB_PROXY_COUNT=1: one proxy (nginx) in front; hangar desks on a private network.
    settings.TOOLCRIB_PROXY_COUNT = 1
    proxy = "192.168.0.10"
    for i in range(5):
        log_in(f"user{i}", "wrong", address=proxy, HTTP_X_FORWARDED_FOR="10.20.0.7")
    locked = log_in("rita", "crib-pass-123", address=proxy, HTTP_X_FORWARDED_FOR="10.20.0.7")
    assert locked.status_code == 429
    other = log_in("rita", "crib-pass-123", address=proxy, HTTP_X_FORWARDED_FOR="10.20.0.8")
    assert signed_in(other)
    # A client cannot pose as another by sending its own X-Forwarded-For: the proxy appends
    # the address it saw, and that one (the last) is what counts.
    spoofed = log_in(
        "rita", "crib-pass-123", address=proxy, HTTP_X_FORWARDED_FOR="10.20.0.9, 10.20.0.7"
    )
    assert spoofed.status_code == 429


def test_the_crib_admin_lifts_a_lockout_audited(storekeeper, crib_admin, client):
    from axes.models import AccessAttempt

    client.force_login(crib_admin)
    for _ in range(5):
        log_in("stella", "wrong")
    assert log_in("stella", "crib-pass-123").status_code == 429
    attempt = AccessAttempt.objects.get(username="stella")

    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert signed_in(log_in("stella", "crib-pass-123"))
    event = AuditEvent.objects.get(action="admin deleted")
    assert event.object_type == "accessattempt" and event.actor == crib_admin
