"""A return that cannot be verified goes to a manual recount; the desk decides each tool."""

import pytest

from toolcrib.crib import services
from toolcrib.crib.models import AuditEvent, ReturnedTool, ToolInstance
from toolcrib.crib.services import CribError, ToolLine

pytestmark = pytest.mark.django_db
Decision = ReturnedTool.Decision


@pytest.fixture
def issued(tool_factory, storekeeper, engineer):
    tools = [tool_factory("AT-1"), tool_factory("AT-2", class_index=7)]
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(t) for t in tools]
    )
    return tools


def test_it_flags_every_tool_for_recount_when_nothing_was_photographed(issued, engineer, desk):
    tool_return = services.return_tools(engineer=engineer, desk_user=desk, sightings=[])

    lines = list(tool_return.tools.all())
    assert [line.decision for line in lines] == [Decision.RECOUNT_REQUIRED] * 2
    assert all(line.reason == "no verified photo of this tool" for line in lines)
    # Nothing was accepted silently: the engineer still holds both until the desk decides.
    assert engineer.held_tools().count() == 2


def test_it_puts_a_recounted_tool_back_in_the_crib(issued, engineer, desk):
    line = services.return_tools(engineer=engineer, desk_user=desk, sightings=[]).tools.first()

    services.decide_recount(line, user=desk, found=True, reason="counted on the shadow board")

    line.refresh_from_db()
    assert line.decision == Decision.RECOUNTED_ACCEPTED and line.decided_by == desk
    tool = line.issued_tool.tool_instance
    tool.refresh_from_db()
    assert tool.status == ToolInstance.Status.IN_CRIB
    assert engineer.held_tools().count() == 1


def test_it_marks_a_missing_tool_lost(issued, engineer, desk):
    line = services.return_tools(engineer=engineer, desk_user=desk, sightings=[]).tools.first()

    services.decide_recount(
        line, user=desk, found=False, reason="not in the kit, engineer informed QA"
    )

    tool = ToolInstance.objects.get(pk=line.issued_tool.tool_instance_id)
    assert tool.status == ToolInstance.Status.LOST
    event = AuditEvent.objects.get(action="recount")
    assert event.actor == desk and event.after["decision"] == "missing"


def test_it_needs_a_reason_and_decides_only_once(issued, engineer, desk):
    line = services.return_tools(engineer=engineer, desk_user=desk, sightings=[]).tools.first()
    with pytest.raises(CribError, match="needs a reason"):
        services.decide_recount(line, user=desk, found=True, reason="  ")
    services.decide_recount(line, user=desk, found=True, reason="found")
    with pytest.raises(CribError, match="already decided: recounted and accepted"):
        services.decide_recount(line, user=desk, found=False, reason="changed my mind")


def test_it_leaves_tools_awaiting_a_recount_out_of_the_next_return(issued, engineer, desk):
    services.return_tools(engineer=engineer, desk_user=desk, sightings=[])
    with pytest.raises(CribError, match="holds no tools to return"):
        services.return_tools(engineer=engineer, desk_user=desk, sightings=[])
