"""The dashboard everyone lands on: figures, lost-tool alert, tools out, flagged returns, today."""

from django.shortcuts import render
from django.utils import timezone

from toolcrib.crib import dashboard, extras, sites
from toolcrib.crib.models import Issue, Return
from toolcrib.front import access


@access.needs(access.VIEW)
def home(request):
    user = request.user
    start_of_day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return render(
        request,
        "front/home.html",
        {
            "figures": dashboard.figures(user=user),
            "lost": dashboard.lost_tools(user),
            "out": dashboard.tools_out(user),
            "flagged": dashboard.flagged_lines(user),
            "foreign_reports": extras.open_reports(user),
            "due_this_shift": dashboard.due_this_shift(user=user),
            "shift_end": dashboard.shift_end(),
            "issues_today": sites.visible(Issue.objects.filter(created_at__gte=start_of_day), user)
            .select_related("engineer", "storekeeper")
            .prefetch_related("tools__tool_instance"),
            "returns_today": sites.visible(
                Return.objects.filter(created_at__gte=start_of_day), user
            ).select_related("engineer", "desk_user"),
            "now": timezone.now(),
        },
    )
