"""Who is told what by email, and the sending that never repeats a notice.

Recipients of each kind:
- overdue tools: the engineer's supervisor address, the crib (TOOLCRIB_CRIB_EMAIL), and the users
  who receive "tools overdue";
- a tool marked lost: QA (TOOLCRIB_QA_EMAIL) and the users who receive "a tool marked lost";
  recorded with the recount that decided it, mailed right after, outside the desk's request;
- calibration due soon: the crib and the users who receive it;
- the daily digest: the crib and the users who receive it.

A user receives what their role receives by default (ROLE_DEFAULTS) unless they chose otherwise
on /notifications/; users without an email address or inactive receive nothing. A user limited
to one site's crib (toolcrib/crib/sites.py) hears only of that site's tools (and its digest).

Two steps, so a slow or failing mail server never holds up the desk:
1. record: each notice is a row (Notice) per thing, period and recipient, pending until sent;
   the unique constraint makes a second run record nothing, even when two runs overlap.
2. deliver: one email per recipient, kind and subject lists its pending notices; the rows are
   locked while it is sent (an overlapping delivery skips them), marked sent after, or kept
   pending with the error, for the next delivery (`manage.py notify`, from cron) to try again.
   The failures show on /notifications/ (to whoever manages users) and in the Django admin.
"""

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, connections, transaction
from django.db.models import F
from django.db.models.signals import post_save
from django.utils import timezone

from toolcrib.crib import dashboard, metrology, roles, sites
from toolcrib.crib.models import IssuedTool, ReturnedTool, Site
from toolcrib.notify.models import Kind, Notice

log = logging.getLogger(__name__)

ROLE_DEFAULTS: dict[str, set[str]] = {
    roles.QA: {Kind.LOST, Kind.OVERDUE, Kind.DIGEST},
    roles.ADMIN: {Kind.CALIBRATION, Kind.DIGEST},
    roles.STOREKEEPER: {Kind.OVERDUE},
    roles.RETURN_DESK: set(),
}
# Lost tools older than this are history, not news: a first run does not mail them.
LOST_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True)
class Item:
    key: str  # the thing and its period, e.g. "issued-tool:12"
    text: str  # its line in the email
    site_id: int | None = None  # whose tool: a user limited to another site is not told


def role_defaults(user: User) -> set[str]:
    found: set[str] = set()
    for group in user.groups.all():
        found |= ROLE_DEFAULTS.get(group.name, set())
    return found


def wanted(user: User) -> set[str]:
    """The kinds this user receives: their role's, changed by their own choices."""
    kinds = role_defaults(user)
    for choice in user.notice_choices.all():
        if choice.wanted:
            kinds.add(choice.kind)
        else:
            kinds.discard(choice.kind)
    return kinds


def subscribers(kind: str) -> list[tuple[str, Site | None]]:
    """(address, the site its user is limited to, or None) of each user who receives `kind`."""
    users = (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .prefetch_related("groups", "notice_choices")
        .select_related("crib_site__site")
    )
    found: dict[str, Site | None] = {}
    for u in users:
        if kind in wanted(u):
            site = sites.site_of(u)
            # One address of two users: the wider one's view.
            found[u.email] = None if u.email in found and found[u.email] is None else site
    return sorted(found.items(), key=lambda pair: pair[0])


def record(kind: str, recipient: str, subject: str, intro: str, items: Iterable[Item]) -> int:
    """A pending notice for each item not yet recorded for `recipient`; returns how many."""
    items = list(items)
    known = set(
        Notice.objects.filter(
            kind=kind, recipient=recipient, key__in=[i.key for i in items]
        ).values_list("key", flat=True)
    )
    return sum(_record(kind, i, recipient, subject, intro) for i in items if i.key not in known)


def _record(kind: str, item: Item, recipient: str, subject: str, intro: str) -> bool:
    try:
        with transaction.atomic():
            Notice.objects.create(
                kind=kind,
                key=item.key,
                recipient=recipient,
                subject=subject,
                intro=intro,
                text=item.text,
            )
    except IntegrityError:  # an overlapping run recorded it a moment ago
        return False
    return True


def deliver(only: Iterable[int] | None = None) -> tuple[int, int]:
    """Mail the pending notices (`only` these, if given): (sent, still pending after a failure)."""
    pending = Notice.objects.filter(sent_at__isnull=True)
    if only is not None:
        pending = pending.filter(pk__in=list(only))
    emails = pending.order_by().values_list("kind", "recipient", "subject").distinct()
    sent = failed = 0
    for kind, recipient, subject in list(emails):
        with transaction.atomic():
            # Locked while it is mailed: an overlapping delivery skips these rows.
            rows = list(
                pending.filter(kind=kind, recipient=recipient, subject=subject)
                .select_for_update(skip_locked=True)
                .order_by("id")
            )
            if not rows:
                continue
            these = Notice.objects.filter(pk__in=[n.pk for n in rows])
            body = rows[0].intro + "\n\n" + "\n".join(f"- {n.text}" for n in rows)
            try:
                send_mail(subject, body + "\n\n-- Toolcrib\n", None, [recipient])
            except Exception as e:  # any failure of the mail server: kept, tried again
                why = f"{type(e).__name__}: {e}"[:500]
                these.update(attempts=F("attempts") + 1, error=why)
                log.warning(
                    "notice to %s not sent (%s); the next delivery tries again", recipient, why
                )
                failed += len(rows)
                continue
            these.update(sent_at=timezone.now(), attempts=F("attempts") + 1, error="")
            sent += len(rows)
    return sent, failed


def _fanout(kind: str, per_recipient: dict[str, list[Item]], subject: str, intro: str) -> int:
    return sum(record(kind, to, subject, intro, items) for to, items in per_recipient.items())


def _for(site: Site | None, items: list[Item]) -> list[Item]:
    return items if site is None else [i for i in items if i.site_id == site.pk]


def _to_all(kind: str, fixed: list[str], items: list[Item], subject: str, intro: str) -> int:
    """The items to the fixed addresses, and to the users who receive this kind (a user
    limited to a site: that site's items)."""
    if not items:
        return 0
    per: dict[str, list[Item]] = dict.fromkeys(fixed, items)
    for to, site in subscribers(kind):
        if to not in per:
            per[to] = _for(site, items)
    return _fanout(kind, {to: mine for to, mine in per.items() if mine}, subject, intro)


def _when(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def overdue(now: datetime) -> int:
    lines = (
        IssuedTool.objects.open()
        .filter(due_back__lt=now)
        .select_related("issue__engineer", "tool_instance__tool_type")
        .order_by("due_back")
    )
    everyone = [(to, None) for to in settings.TOOLCRIB_CRIB_EMAIL]
    everyone += [(to, site) for to, site in subscribers(Kind.OVERDUE) if to not in dict(everyone)]
    per: dict[str, list[Item]] = defaultdict(list)
    for line in lines:
        engineer = line.issue.engineer
        item = Item(
            f"issued-tool:{line.pk}",
            f"{line.tool_instance} ({line.tool_instance.tool_type}) with {engineer}, "
            f"due back {_when(line.due_back)}",
            line.tool_instance.site_id,
        )
        told = {to for to, site in everyone if _for(site, [item])}
        if engineer.supervisor_email:
            told.add(engineer.supervisor_email)
        for to in told:
            per[to].append(item)
    return _fanout(Kind.OVERDUE, per, "Toolcrib: tools overdue", "These tools are overdue:")


def _lost_items(lines) -> list[Item]:
    return [
        Item(
            f"returned-tool:{line.pk}",
            f"{line.issued_tool.tool_instance} ({line.issued_tool.tool_instance.tool_type}) "
            f"issued to {line.tool_return.engineer}, marked lost by "
            f"{line.decided_by.get_username() if line.decided_by else 'the desk'} "
            f"at {_when(line.decided_at or line.tool_return.created_at)}: {line.reason}",
            line.issued_tool.tool_instance.site_id,
        )
        for line in lines
    ]


def lost(now: datetime, only: Iterable[int] | None = None) -> int:
    lines = ReturnedTool.objects.filter(
        decision=ReturnedTool.Decision.MISSING, issued_tool__isnull=False
    ).select_related("issued_tool__tool_instance__tool_type", "tool_return__engineer", "decided_by")
    lines = (
        lines.filter(pk__in=list(only))
        if only is not None
        else lines.filter(tool_return__created_at__gte=now - LOST_LOOKBACK)
    )
    return _to_all(
        Kind.LOST,
        settings.TOOLCRIB_QA_EMAIL,
        _lost_items(lines.order_by("id")),
        "Toolcrib: a tool marked lost",
        "The return desk marked these tools lost; the engineer's stamp waits for QA:",
    )


def calibration(now: datetime) -> int:
    today = timezone.localdate(now)
    # The same list as the Calibration due page (metrology.due_within).
    tools = metrology.due_within(settings.TOOLCRIB_CALIBRATION_NOTICE_DAYS, today)
    items = [
        Item(
            f"tool:{t.pk}:due:{t.calibration_due.isoformat()}",
            f"{t} ({t.tool_type}): calibration due {t.calibration_due.isoformat()}"
            + (" (overdue)" if t.calibration_due < today else ""),
            t.site_id,
        )
        for t in tools
    ]
    return _to_all(
        Kind.CALIBRATION,
        settings.TOOLCRIB_CRIB_EMAIL,
        items,
        "Toolcrib: calibration due soon",
        f"Calibration due within {settings.TOOLCRIB_CALIBRATION_NOTICE_DAYS} days:",
    )


def _digest_text(f: dict) -> str:
    return (
        f"{f['tools_out']} tools out ({f['overdue']} overdue), {f['flagged']} return lines "
        f"waiting for the desk, {f['lost']} tools lost, {f['tools_in_crib']} in the crib; "
        f"today so far {f['issues_today']} issues and {f['returns_today']} returns"
    )


def digest(now: datetime) -> int:
    local = timezone.localtime(now)
    if local.hour < settings.TOOLCRIB_DIGEST_HOUR:
        return 0
    day = local.date().isoformat()
    subject, intro = f"Toolcrib: daily digest {day}", f"The crib on {day}:"
    whole = [Item(f"digest:{day}", _digest_text(dashboard.figures(now)))]
    per: dict[str, list[Item]] = dict.fromkeys(settings.TOOLCRIB_CRIB_EMAIL, whole)
    for to, site in subscribers(Kind.DIGEST):
        if to in per:
            continue
        if site is None:
            per[to] = whole
        else:  # their site's figures, as their dashboard shows them
            someone = User.objects.filter(crib_site__site=site).first()
            text = _digest_text(dashboard.figures(now, user=someone))
            per[to] = [Item(f"digest:{day}", f"{site.code}: {text}")]
    return _fanout(Kind.DIGEST, per, subject, intro)


def record_due(now: datetime | None = None) -> dict[str, int]:
    """Every kind's new notices recorded (pending): how many of each."""
    now = now or timezone.now()
    return {
        Kind.OVERDUE: overdue(now),
        Kind.LOST: lost(now),
        Kind.CALIBRATION: calibration(now),
        Kind.DIGEST: digest(now),
    }


def run(now: datetime | None = None) -> dict[str, int]:
    """Every kind recorded, then every pending notice mailed (those that failed before too);
    what each kind recorded (notices, not emails)."""
    recorded = record_due(now)
    deliver()
    return recorded


def _deliver_in_background(ids: list[int]) -> threading.Thread:
    """Mail these notices from a thread of their own: the request that recorded them is not
    held up by the mail server, nor failed by it (what fails stays pending for the command)."""

    def work():
        try:
            deliver(only=ids)
        except Exception:
            log.exception("notices %s not delivered; the next notify run will", ids)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, name="toolcrib-notices", daemon=True)
    thread.start()
    BACKGROUND.append(thread)
    return thread


# Deliveries started from requests, for a test (or a clean shutdown) to wait on.
BACKGROUND: list[threading.Thread] = []


def _marked_lost(sender, instance, created, raw=False, **kwargs):
    """A recount decided "missing": the notice to QA is recorded in the recount's own
    transaction and mailed once that is committed, from a thread of its own (the desk does not
    wait for the mail server). Recording never fails the recount: if it cannot be recorded,
    `manage.py notify` records and sends it (lost tools of the last days)."""
    if raw or instance.decision != ReturnedTool.Decision.MISSING:
        return
    try:
        with transaction.atomic():
            before = set(Notice.objects.filter(kind=Kind.LOST).values_list("pk", flat=True))
            lost(timezone.now(), only=[instance.pk])
            ids = list(
                Notice.objects.filter(kind=Kind.LOST, sent_at=None)
                .exclude(pk__in=before)
                .values_list("pk", flat=True)
            )
    except Exception:
        log.exception(
            "lost-tool notice for line %s not recorded; the next notify run will", instance.pk
        )
        return
    if ids:
        transaction.on_commit(lambda: _deliver_in_background(ids))


def connect_signals():
    post_save.connect(_marked_lost, sender=ReturnedTool, dispatch_uid="notify-lost")
