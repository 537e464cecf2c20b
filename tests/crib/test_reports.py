"""The JSON report of a return says, per tool, what came back, its match % and the decision."""

import pytest

from toolcrib.crib import reports, services
from toolcrib.crib.services import ToolLine

pytestmark = pytest.mark.django_db


def test_it_reports_a_return_awaiting_recount_then_decided(
    tool_factory, storekeeper, engineer, desk
):
    tool = tool_factory("AT-288293-6")
    issue = services.issue_tools(engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(tool)])
    tool_return = services.return_tools(
        engineer=engineer, desk_user=desk, sightings=[], ends="shift"
    )
    services.decide_recount(
        tool_return.tools.get(), user=desk, found=False, reason="not in the kit"
    )

    report = reports.return_report(tool_return)

    assert report["format"] == "toolcrib.report/3" and report["kind"] == "return"
    assert report["engineer"] == {"badge_number": "E1001", "name": "Ivan Petrov"}
    [line] = report["tools"]
    assert line["inventory_number"] == "AT-288293-6" and line["issue_id"] == issue.pk
    assert (
        line["decision"] == "missing"
        and line["decided_by"] == "rita"
        and line["reason"] == "not in the kit"
    )
    assert line["match_percent"] is None and line["passed"] is False

    issued = reports.issue_report(issue)
    assert (
        issued["storekeeper"] == "stella"
        and issued["tools"][0]["returned_or_closed_at"] is not None
    )
