"""Notifications by email (Django's locmem backend): exactly who gets what, each notice once."""

import datetime
import io
import socket

import pytest
from django.core.management import call_command
from django.utils import timezone

from toolcrib.crib import services
from toolcrib.crib.models import IssuedTool
from toolcrib.notify import notices
from toolcrib.notify.models import Choice, Notice

SEVEN_AM = timezone.make_aware(datetime.datetime(2026, 12, 2, 7, 0))


@pytest.fixture
def crib(settings, make_user, engineer, storekeeper, desk, tool_factory):
    """Ivan (supervisor sup@) holds two overdue tools; one tool's calibration is due in 5 days,
    another's in 30. QA Quinn and admin Adam have addresses; storekeeper Stella has none; desk
    Rita has one and chose lost tools."""
    settings.TOOLCRIB_CRIB_EMAIL = ["crib@example.org"]
    settings.TOOLCRIB_QA_EMAIL = ["qa-list@example.org"]
    settings.TOOLCRIB_CALIBRATION_NOTICE_DAYS = 14
    settings.TOOLCRIB_DIGEST_HOUR = 6
    engineer.supervisor_email = "sup@example.org"
    engineer.save()
    make_user("quinn", "QA", email="quinn@example.org")
    make_user("adam", "admin", email="adam@example.org")
    desk.email = "rita@example.org"
    desk.save()
    Choice.objects.create(user=desk, kind="lost", wanted=True)
    today = timezone.localdate(SEVEN_AM)
    tool_factory("CAL-5", calibration_due=today + datetime.timedelta(days=5))
    tool_factory("CAL-30", calibration_due=today + datetime.timedelta(days=30))
    out = [tool_factory("AT-1"), tool_factory("AT-2")]
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(t) for t in out]
    )
    IssuedTool.objects.update(due_back=SEVEN_AM - datetime.timedelta(hours=1))
    return engineer


def sent(mailoutbox):
    return sorted((m.to[0], m.subject) for m in mailoutbox)


def test_a_run_sends_each_kind_to_exactly_its_recipients_and_a_second_run_nothing(crib, mailoutbox):
    counts = notices.run(SEVEN_AM)

    assert sent(mailoutbox) == [
        ("adam@example.org", "Toolcrib: calibration due soon"),
        ("adam@example.org", "Toolcrib: daily digest 2026-12-02"),
        ("crib@example.org", "Toolcrib: calibration due soon"),
        ("crib@example.org", "Toolcrib: daily digest 2026-12-02"),
        ("crib@example.org", "Toolcrib: tools overdue"),
        ("quinn@example.org", "Toolcrib: daily digest 2026-12-02"),
        ("quinn@example.org", "Toolcrib: tools overdue"),
        ("sup@example.org", "Toolcrib: tools overdue"),
    ]
    overdue = next(m for m in mailoutbox if m.to == ["sup@example.org"])
    assert "AT-1" in overdue.body and "AT-2" in overdue.body and "Ivan Petrov" in overdue.body
    calibration = next(
        m for m in mailoutbox if m.to == ["adam@example.org"] and "calibration" in m.subject
    )
    assert "CAL-5" in calibration.body and "CAL-30" not in calibration.body
    digest = next(m for m in mailoutbox if m.to == ["quinn@example.org"] and "digest" in m.subject)
    assert "2 tools out (2 overdue)" in digest.body
    # Notices, not emails: two overdue tools to three addresses, one tool to two, ...
    assert counts == {"overdue": 6, "lost": 0, "calibration": 2, "digest": 3}
    assert Notice.objects.count() == 11

    notices.run(SEVEN_AM + datetime.timedelta(hours=1))
    assert len(mailoutbox) == 8  # nothing twice


@pytest.mark.django_db(transaction=True)
def test_a_tool_marked_lost_goes_to_qa_at_once_and_never_again(crib, desk, mailoutbox):
    notices.run(SEVEN_AM)
    mailoutbox.clear()
    tool_return = services.return_tools(engineer=crib, desk_user=desk, sightings=[], ends="shift")
    line = tool_return.tools.get(issued_tool__tool_instance__inventory_number="AT-1")
    services.decide_recount(line, user=desk, found=False, reason="not on the aircraft")
    wait_for_background()

    assert sent(mailoutbox) == [
        ("qa-list@example.org", "Toolcrib: a tool marked lost"),
        ("quinn@example.org", "Toolcrib: a tool marked lost"),
        ("rita@example.org", "Toolcrib: a tool marked lost"),
    ]
    assert "AT-1" in mailoutbox[0].body and "not on the aircraft" in mailoutbox[0].body
    mailoutbox.clear()
    call_command("notify", stdout=io.StringIO())
    assert not [m for m in mailoutbox if "lost" in m.subject]


def wait_for_background():
    while notices.BACKGROUND:
        notices.BACKGROUND.pop().join(timeout=30)


def test_a_new_day_sends_the_digest_again_and_a_new_due_date_a_new_notice(crib, mailoutbox):
    notices.run(SEVEN_AM)
    mailoutbox.clear()
    tool = crib.held_tools().first().tool_instance
    # Not before the digest hour...
    assert notices.run(SEVEN_AM + datetime.timedelta(hours=22))["digest"] == 0
    next_day = SEVEN_AM + datetime.timedelta(days=1)
    tool.calibration_due = timezone.localdate(next_day) + datetime.timedelta(days=3)
    tool.save()
    notices.run(next_day)
    assert sent(mailoutbox) == [
        ("adam@example.org", "Toolcrib: calibration due soon"),
        ("adam@example.org", "Toolcrib: daily digest 2026-12-03"),
        ("crib@example.org", "Toolcrib: calibration due soon"),
        ("crib@example.org", "Toolcrib: daily digest 2026-12-03"),
        ("quinn@example.org", "Toolcrib: daily digest 2026-12-03"),
    ]
    assert tool.inventory_number in mailoutbox[0].body and "CAL-5" not in mailoutbox[0].body


def refused_port():
    with socket.socket() as s:  # a port where no mail server listens
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_failed_send_stays_pending_with_its_error_and_the_next_run_sends_it(
    crib, settings, mailoutbox
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", refused_port()
    settings.EMAIL_USE_TLS = False
    notices.run(SEVEN_AM)  # does not raise: the notices wait
    assert Notice.objects.count() == 11
    assert not Notice.objects.exclude(sent_at=None).exists()
    assert {(n.attempts, n.error.split(":")[0]) for n in Notice.objects.all()} == {
        (1, "ConnectionRefusedError")
    }

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notices.run(SEVEN_AM)
    assert len(mailoutbox) == 8
    assert not Notice.objects.filter(sent_at=None).exists()


def test_a_user_without_an_address_or_inactive_gets_nothing(crib, make_user, mailoutbox):
    make_user("gone", "QA", email="gone@example.org", is_active=False)
    notices.run(SEVEN_AM)
    assert "gone@example.org" not in {m.to[0] for m in mailoutbox}
    assert "stella" not in str([m.to for m in mailoutbox])


def test_the_command_says_what_it_sent(crib, mailoutbox):
    out = io.StringIO()
    call_command("notify", stdout=out)
    assert "tools overdue: 6 notices new" in out.getvalue()
    sent_now = Notice.objects.exclude(sent_at=None).count()
    assert f"sent: {sent_now} notices" in out.getvalue() and sent_now >= 6


def test_a_user_limited_to_a_site_hears_only_of_its_tools(two_site_crib, settings, mailoutbox):
    settings.TOOLCRIB_CRIB_EMAIL, settings.TOOLCRIB_DIGEST_HOUR = ["crib@example.org"], 6
    crib = two_site_crib
    crib.rix_qa.email = "rix-qa@example.org"
    crib.rix_qa.save()
    IssuedTool.objects.update(due_back=SEVEN_AM - datetime.timedelta(hours=1))
    notices.run(SEVEN_AM)

    mine = {m.subject: m.body for m in mailoutbox if m.to == ["rix-qa@example.org"]}
    assert "RIX-2" in mine["Toolcrib: tools overdue"]
    assert "VNO-2" not in mine["Toolcrib: tools overdue"]
    assert "- RIX: 1 tools out (1 overdue)" in mine["Toolcrib: daily digest 2026-12-02"]
    crib_mail = next(
        m.body for m in mailoutbox if m.to == ["crib@example.org"] and "overdue" in m.subject
    )
    assert "RIX-2" in crib_mail and "VNO-2" in crib_mail
