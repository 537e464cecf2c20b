"""The lost-tool email leaves the desk's request: the desk marks a tool missing and gets its
answer at once, whatever the mail server does. Against Django's real SMTP backend and a local
SMTP server (aiosmtpd): a slow server does not slow the desk, a refused connection does not
fail it; the notice waits, shows on /notifications/ to the admin, and `manage.py notify`
sends it once the server is back."""

import asyncio
import io
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command

from toolcrib.crib import services
from toolcrib.crib.models import ToolInstance
from toolcrib.notify import notices
from toolcrib.notify.models import Notice

pytestmark = pytest.mark.django_db(transaction=True)


class Inbox:
    """An SMTP server's handler: keeps what it receives, after `delay` seconds."""

    def __init__(self, delay=0.0):
        self.delay, self.received = delay, []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        self.received.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """smtp(delay) -> a running local SMTP server's inbox; Django's SMTP backend points at it.
    Before it is called, the port refuses connections."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 20
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.TOOLCRIB_QA_EMAIL = ["qa@example.org"]
    running = []

    def start(delay=0.0):
        inbox = Inbox(delay)
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        running.append(controller)
        return inbox

    yield start
    for controller in running:
        controller.stop()


@pytest.fixture
def waiting_line(engineer, storekeeper, desk, tool_factory):
    """AT-7 out with Ivan; the end of the shift sent it to a recount."""
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(tool_factory("AT-7"))]
    )
    back = services.return_tools(engineer=engineer, desk_user=desk, sightings=[], ends="shift")
    return back.tools.get()


def wait_for_background():
    while notices.BACKGROUND:
        notices.BACKGROUND.pop().join(timeout=60)


def test_a_slow_mail_server_does_not_slow_the_desk(client, smtp, waiting_line, desk):
    inbox = smtp(delay=5)
    client.force_login(desk)
    client.get("/")  # the first request of a process loads the URLs (the model runtime...)
    started = time.monotonic()
    answer = client.post(f"/recounts/{waiting_line.pk}/", {"found": "no", "reason": "not found"})
    took = time.monotonic() - started
    print(f"desk answered in {took:.2f} s (SMTP server answers after 5 s)")
    assert answer.status_code == 302 and took < 3, took  # the server takes 5 s to answer
    assert ToolInstance.objects.get(inventory_number="AT-7").status == "lost"
    wait_for_background()
    [(to, message)] = inbox.received
    assert to == ["qa@example.org"] and "AT-7" in message and "not found" in message
    assert Notice.objects.get().sent_at is not None


def test_a_refused_connection_does_not_fail_the_desk_and_the_command_sends_it_later(
    client, smtp, waiting_line, desk, crib_admin
):
    client.force_login(desk)
    answer = client.post(f"/recounts/{waiting_line.pk}/", {"found": "no", "reason": "not found"})
    assert answer.status_code == 302
    assert "marked missing" in client.get(answer.url).content.decode()
    wait_for_background()
    notice = Notice.objects.get()
    assert notice.sent_at is None and notice.attempts == 1
    assert notice.error.startswith("ConnectionRefusedError")

    client.force_login(crib_admin)
    page = client.get("/notifications/").content.decode()
    assert 'id="unsent"' in page and "qa@example.org" in page and "AT-7" in page

    inbox = smtp()
    out, err = io.StringIO(), io.StringIO()
    call_command("notify", stdout=out, stderr=err)
    assert "sent: 1 notice" in out.getvalue() and not err.getvalue()
    [(to, message)] = inbox.received
    assert to == ["qa@example.org"] and "AT-7" in message
    assert 'id="unsent"' not in client.get("/notifications/").content.decode()
    call_command("notify", stdout=io.StringIO())
    assert len(inbox.received) == 1  # never twice
