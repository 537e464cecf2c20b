"""A return covers the tools in its photo: the rest stay out with the engineer (still out),
unless the desk says the return ends the shift or the job; then they go to a recount."""

from datetime import timedelta

import pytest

from toolcrib.crib import dashboard, reports, services
from toolcrib.crib.models import AuditEvent, Return, ReturnedTool, ToolInstance
from toolcrib.crib.services import CribError, ToolLine

pytestmark = pytest.mark.django_db
Decision = ReturnedTool.Decision
PLIERS, WRENCH = "5_safety_pliers__black", "10_open_end_wrench_3_4__black"


def photo_of(placements):
    from tests.kit_photos import compose

    data, boxes = compose(placements)
    photo = services.store_photo(data)
    return [(photo, box) for box in boxes]


@pytest.fixture
def two_held(tool_factory, storekeeper, engineer, model_path, photos_dir, settings):
    """The engineer holds the lockwire pliers and the wrench, due back before the shift ends."""
    settings.TOOLCRIB_SHIFT_CHANGES = ["06:00", "14:00", "22:00"]
    pliers, wrench = tool_factory("AT-288293-6", 4), tool_factory("AT-288293-5", 9)
    crops = photo_of([(PLIERS, (900, 100), 0), (WRENCH, (200, 500), 0)])
    services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[ToolLine(t, *crop) for t, crop in zip((pliers, wrench), crops)],
        due_back=dashboard.shift_end() - timedelta(minutes=30),
    )
    return pliers, wrench


def test_it_leaves_a_tool_not_in_the_photo_with_the_engineer(two_held, engineer, desk):
    pliers, wrench = two_held

    tool_return = services.return_tools(
        engineer=engineer, desk_user=desk, sightings=photo_of([(WRENCH, (700, 550), 3)])
    )

    assert tool_return.ends == Return.Ends.NOTHING
    [line] = tool_return.tools.all()
    assert line.issued_tool.tool_instance == wrench and line.decision == Decision.ACCEPTED
    # No recount line for the pliers: they are still out, recorded on the return.
    assert [t.tool_instance for t in tool_return.still_out_tools.all()] == [pliers]
    assert [t.tool_instance for t in engineer.held_tools()] == [pliers]
    pliers.refresh_from_db()
    assert pliers.status == ToolInstance.Status.ISSUED
    # The dashboard's "due back this shift and still out" agrees with the return.
    assert [t.tool_instance for t in dashboard.due_this_shift()] == [pliers]
    assert not dashboard.flagged_lines().exists()
    event = AuditEvent.objects.get(action="returned", object_id=str(tool_return.pk))
    assert event.after["ends"] == "nothing" and event.after["still_out"] == ["AT-288293-6"]
    # The report says so too: the wrench returned, the pliers still out, no line for them.
    report = reports.return_report(tool_return)
    assert report["format"] == "toolcrib.report/3" and report["ends"] == "nothing"
    assert [t["inventory_number"] for t in report["still_out"]] == ["AT-288293-6"]
    assert [t["inventory_number"] for t in report["tools"]] == ["AT-288293-5"]

    # Later the same day the pliers come back: an ordinary return takes them.
    later = services.return_tools(
        engineer=engineer, desk_user=desk, sightings=photo_of([(PLIERS, (300, 300), 1)])
    )
    assert later.tools.get().issued_tool.tool_instance == pliers
    assert not later.still_out_tools.exists()


@pytest.mark.parametrize("ends", ["shift", "job"])
def test_at_the_end_of_the_shift_or_job_the_rest_go_to_a_recount(two_held, engineer, desk, ends):
    pliers, wrench = two_held

    tool_return = services.return_tools(
        engineer=engineer, desk_user=desk, sightings=photo_of([(WRENCH, (700, 550), 3)]), ends=ends
    )

    lines = {line.issued_tool.tool_instance: line for line in tool_return.tools.all()}
    assert lines[wrench].decision == Decision.ACCEPTED
    assert lines[pliers].decision == Decision.RECOUNT_REQUIRED
    assert lines[pliers].reason == "not found in the return photo"
    assert not tool_return.still_out_tools.exists()
    assert list(dashboard.flagged_lines()) == [lines[pliers]]
    event = AuditEvent.objects.get(action="returned", object_id=str(tool_return.pk))
    assert event.after["ends"] == ends and event.after["still_out"] == []


def test_a_normal_return_with_nothing_in_the_photo_is_refused(two_held, engineer, desk):
    with pytest.raises(CribError, match="a normal return leaves every tool with the engineer"):
        services.return_tools(engineer=engineer, desk_user=desk, sightings=[])
    with pytest.raises(CribError, match="Say what the return ends"):
        services.return_tools(engineer=engineer, desk_user=desk, sightings=[], ends="lunch")
    assert not Return.objects.exists() and engineer.held_tools().count() == 2
