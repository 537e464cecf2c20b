"""What QA and the supervisor see first: tools out, overdue, flagged, lost, today's activity.
Each takes the user who looks: one limited to a site sees that site's (sites.py)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from toolcrib.crib import sites
from toolcrib.crib.models import (
    ForeignToolReport,
    Issue,
    IssuedTool,
    Return,
    ReturnedTool,
    ToolInstance,
)


def tools_out(user=None):
    return (
        sites.visible(IssuedTool.objects.open(), user)
        .select_related("tool_instance__tool_type", "issue__engineer")
        .order_by("due_back")
    )


WAITING = (*ReturnedTool.OPEN_DECISIONS, ReturnedTool.Decision.EXTRA)


def flagged_lines(user=None):
    """Return lines waiting for the desk: a confirmation by eye, a recount, or an extra tool
    (one they were not issued) waiting for its action (toolcrib/crib/extras.py)."""
    return (
        sites.visible(ReturnedTool.objects.filter(decision__in=WAITING), user)
        .select_related("tool_return__engineer", "issued_tool__tool_instance")
        .order_by("-tool_return__created_at", "id")
    )


def lost_tools(user=None):
    lost = ToolInstance.objects.filter(status=ToolInstance.Status.LOST)
    return sites.visible(lost, user).select_related("tool_type")


def figures(now=None, user=None) -> dict:
    now = now or timezone.now()
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)

    def seen(records):
        return sites.visible(records, user)

    out = seen(IssuedTool.objects.open())
    tools = seen(ToolInstance.objects.all())
    return {
        "tools_out": out.count(),
        "overdue": out.filter(due_back__lt=now).count(),
        "flagged": seen(ReturnedTool.objects.filter(decision__in=WAITING)).count(),
        "foreign_reports": seen(ForeignToolReport.objects.open()).count(),
        "lost": tools.filter(status=ToolInstance.Status.LOST).count(),
        "issues_today": seen(Issue.objects.filter(created_at__gte=start_of_day)).count(),
        "returns_today": seen(Return.objects.filter(created_at__gte=start_of_day)).count(),
        "tools_issued_today": seen(
            IssuedTool.objects.filter(issue__created_at__gte=start_of_day)
        ).count(),
        "tools_in_crib": tools.filter(status=ToolInstance.Status.IN_CRIB).count(),
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


def due_this_shift(now=None, user=None):
    """Tools still out that are due back before the shift ends."""
    return tools_out(user).filter(due_back__lte=shift_end(now))
