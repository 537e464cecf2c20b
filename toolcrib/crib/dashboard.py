"""What QA and the supervisor see first: tools out, overdue, flagged, lost, today's activity."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from toolcrib.crib.models import (
    ForeignToolReport,
    Issue,
    IssuedTool,
    Return,
    ReturnedTool,
    ToolInstance,
)


def tools_out():
    return (
        IssuedTool.objects.open()
        .select_related("tool_instance__tool_type", "issue__engineer")
        .order_by("due_back")
    )


WAITING = (*ReturnedTool.OPEN_DECISIONS, ReturnedTool.Decision.EXTRA)


def flagged_lines():
    """Return lines waiting for the desk: a confirmation by eye, a recount, or an extra tool
    (one they were not issued) waiting for its action (toolcrib/crib/extras.py)."""
    return (
        ReturnedTool.objects.filter(decision__in=WAITING)
        .select_related("tool_return__engineer", "issued_tool__tool_instance")
        .order_by("-tool_return__created_at", "id")
    )


def lost_tools():
    return ToolInstance.objects.filter(status=ToolInstance.Status.LOST).select_related("tool_type")


def figures(now=None) -> dict:
    now = now or timezone.now()
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    out = IssuedTool.objects.open()
    return {
        "tools_out": out.count(),
        "overdue": out.filter(due_back__lt=now).count(),
        "flagged": ReturnedTool.objects.filter(decision__in=WAITING).count(),
        "foreign_reports": ForeignToolReport.objects.filter(closed_at__isnull=True).count(),
        "lost": ToolInstance.objects.filter(status=ToolInstance.Status.LOST).count(),
        "issues_today": Issue.objects.filter(created_at__gte=start_of_day).count(),
        "returns_today": Return.objects.filter(created_at__gte=start_of_day).count(),
        "tools_issued_today": IssuedTool.objects.filter(
            issue__created_at__gte=start_of_day
        ).count(),
        "tools_in_crib": ToolInstance.objects.filter(status=ToolInstance.Status.IN_CRIB).count(),
    }


def shift_end(now=None):
    """The next shift change after `now` (TOOLCRIB_SHIFT_CHANGES, in the crib's time zone)."""
    local = timezone.localtime(now or timezone.now())
    for days in (0, 1):
        for change in sorted(settings.TOOLCRIB_SHIFT_CHANGES):
            hour, minute = (int(v) for v in change.split(":"))
            moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
            moment += timedelta(days=days)
            if moment > local:
                return moment
    return local + timedelta(days=1)  # no shift changes configured: a day


def due_this_shift(now=None):
    """Tools still out that are due back before the shift ends."""
    return tools_out().filter(due_back__lte=shift_end(now))
