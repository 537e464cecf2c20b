"""Who is told what by email, and the sending that never repeats a notice.

Recipients of each kind:
- overdue tools: the engineer's supervisor address, the crib (TOOLCRIB_CRIB_EMAIL), and the users
  who receive "tools overdue";
- a tool marked lost: QA (TOOLCRIB_QA_EMAIL) and the users who receive "a tool marked lost"; sent
  as soon as the recount is decided, and by `manage.py notify` if that failed;
- calibration due soon: the crib and the users who receive it;
- the daily digest: the crib and the users who receive it.

A user receives what their role receives by default (ROLE_DEFAULTS) unless they chose otherwise
on /notifications/; users without an email address or inactive receive nothing.

Each notice is recorded (Notice) per thing, period and recipient; the record is written in the
same transaction as the sending, so a failed send is tried again by the next run and a sent one
never goes twice, even when two runs overlap (the unique constraint makes the second wait, then
skip).
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from toolcrib.crib import dashboard, roles
from toolcrib.crib.models import IssuedTool, ReturnedTool, ToolInstance
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


def subscribers(kind: str) -> list[str]:
    users = (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .prefetch_related("groups", "notice_choices")
    )
    return sorted({u.email for u in users if kind in wanted(u)})


def send(kind: str, recipient: str, subject: str, intro: str, items: Iterable[Item]) -> int:
    """One email to `recipient` listing the items not yet sent to them; returns how many."""
    items = list(items)
    sent = set(
        Notice.objects.filter(
            kind=kind, recipient=recipient, key__in=[i.key for i in items]
        ).values_list("key", flat=True)
    )
    new = [i for i in items if i.key not in sent]
    if not new:
        return 0
    with transaction.atomic():
        # Rows first: a run overlapping this one waits on each row, then finds it and skips it.
        new = [i for i in new if _record(kind, i.key, recipient, subject)]
        if not new:
            return 0
        body = intro + "\n\n" + "\n".join(f"- {i.text}" for i in new) + "\n\n-- Toolcrib\n"
        send_mail(subject, body, None, [recipient])  # an error rolls the records back
    return len(new)


def _record(kind: str, key: str, recipient: str, subject: str) -> bool:
    try:
        with transaction.atomic():
            Notice.objects.create(kind=kind, key=key, recipient=recipient, subject=subject)
    except IntegrityError:
        return False
    return True


def _fanout(kind: str, per_recipient: dict[str, list[Item]], subject: str, intro: str) -> int:
    return sum(send(kind, to, subject, intro, items) for to, items in per_recipient.items())


def _to_all(kind: str, fixed: list[str], items: list[Item], subject: str, intro: str) -> int:
    """The same items to the fixed addresses and to the users who receive this kind."""
    if not items:
        return 0
    to = [*fixed, *subscribers(kind)]
    return _fanout(kind, dict.fromkeys(to, items), subject, intro)


def _when(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def overdue(now: datetime) -> int:
    lines = (
        IssuedTool.objects.open()
        .filter(due_back__lt=now)
        .select_related("issue__engineer", "tool_instance__tool_type")
        .order_by("due_back")
    )
    everyone = [*settings.TOOLCRIB_CRIB_EMAIL, *subscribers(Kind.OVERDUE)]
    per: dict[str, list[Item]] = defaultdict(list)
    for line in lines:
        engineer = line.issue.engineer
        item = Item(
            f"issued-tool:{line.pk}",
            f"{line.tool_instance} ({line.tool_instance.tool_type}) with {engineer}, "
            f"due back {_when(line.due_back)}",
        )
        for to in {*everyone, *([engineer.supervisor_email] if engineer.supervisor_email else [])}:
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
    until = today + timedelta(days=settings.TOOLCRIB_CALIBRATION_NOTICE_DAYS)
    tools = (
        ToolInstance.objects.filter(calibration_due__isnull=False, calibration_due__lte=until)
        .exclude(status__in=[ToolInstance.Status.RETIRED, ToolInstance.Status.LOST])
        .select_related("tool_type")
        .order_by("calibration_due", "inventory_number")
    )
    items = [
        Item(
            f"tool:{t.pk}:due:{t.calibration_due.isoformat()}",
            f"{t} ({t.tool_type}): calibration due {t.calibration_due.isoformat()}"
            + (" (overdue)" if t.calibration_due < today else ""),
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


def digest(now: datetime) -> int:
    local = timezone.localtime(now)
    if local.hour < settings.TOOLCRIB_DIGEST_HOUR:
        return 0
    f = dashboard.figures(now)
    day = local.date().isoformat()
    text = (
        f"{f['tools_out']} tools out ({f['overdue']} overdue), {f['flagged']} return lines "
        f"waiting for the desk, {f['lost']} tools lost, {f['tools_in_crib']} in the crib; "
        f"today so far {f['issues_today']} issues and {f['returns_today']} returns"
    )
    return _to_all(
        Kind.DIGEST,
        settings.TOOLCRIB_CRIB_EMAIL,
        [Item(f"digest:{day}", text)],
        f"Toolcrib: daily digest {day}",
        f"The crib on {day}:",
    )


def run(now: datetime | None = None) -> dict[str, int]:
    """Every kind once; what each sent (notices, not emails)."""
    now = now or timezone.now()
    return {
        Kind.OVERDUE: overdue(now),
        Kind.LOST: lost(now),
        Kind.CALIBRATION: calibration(now),
        Kind.DIGEST: digest(now),
    }


def _marked_lost(sender, instance, created, raw=False, **kwargs):
    """A recount decided "missing": QA hears at once, after the decision is committed. A
    failure to send is logged; `manage.py notify` sends it on its next run."""
    if raw or instance.decision != ReturnedTool.Decision.MISSING:
        return

    def now_send():
        try:
            lost(timezone.now(), only=[instance.pk])
        except Exception:
            log.exception(
                "lost-tool notice for line %s not sent; the next notify run will", instance.pk
            )

    transaction.on_commit(now_send)


def connect_signals():
    post_save.connect(_marked_lost, sender=ReturnedTool, dispatch_uid="notify-lost")
