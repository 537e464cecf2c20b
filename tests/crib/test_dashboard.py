"""The dashboard's figures: what is out, overdue, flagged, lost, and today's activity."""

from datetime import timedelta

import pytest
from django.utils import timezone

from toolcrib.crib import dashboard, services
from toolcrib.crib.models import Issue, IssuedTool
from toolcrib.crib.services import ToolLine

pytestmark = pytest.mark.django_db


def test_it_counts_today_and_leaves_yesterday_out(tool_factory, storekeeper, engineer, desk):
    yesterday = services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(tool_factory("AT-1"))]
    )
    Issue.objects.filter(pk=yesterday.pk).update(created_at=timezone.now() - timedelta(days=1))
    IssuedTool.objects.filter(issue=yesterday).update(due_back=timezone.now() - timedelta(hours=1))
    services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[ToolLine(tool_factory("AT-2")), ToolLine(tool_factory("AT-3"))],
    )
    services.return_tools(engineer=engineer, desk_user=desk, sightings=[])

    figures = dashboard.figures()

    assert figures["issues_today"] == 1 and figures["tools_issued_today"] == 2
    assert figures["returns_today"] == 1
    assert figures["tools_out"] == 3 and figures["overdue"] == 1
    assert figures["flagged"] == 3 and figures["lost"] == 0
