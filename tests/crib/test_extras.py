"""Every extra line (a tool the engineer was not issued, or table texture boxed as one) gets an
action: not a tool, this is AT-… (found), or foreign tool (a report to QA)."""

import pytest

from toolcrib.crib import dashboard, extras, history, services
from toolcrib.crib.models import AuditEvent, Engineer, ReturnedTool, ToolInstance
from toolcrib.crib.services import CribError, ToolLine

pytestmark = pytest.mark.django_db
Decision = ReturnedTool.Decision
PLIERS, WRENCH = "5_safety_pliers__black", "10_open_end_wrench_3_4__black"
TABLE = (1250, 850, 1450, 1050)  # bare table in every composed photo below


def photo_of(placements, extra_boxes=()):
    from tests.kit_photos import compose

    data, boxes = compose(placements)
    photo = services.store_photo(data)
    return [(photo, box) for box in [*boxes, *extra_boxes]]


@pytest.fixture
def crib(tool_factory, storekeeper, engineer, model_path, photos_dir):
    """Ivan holds the wrench; Boris holds the lockwire pliers."""
    wrench, pliers = tool_factory("AT-288293-5", 9), tool_factory("AT-288293-6", 4)
    boris = Engineer.objects.create(badge_number="E2002", name="Boris")
    [crop] = photo_of([(WRENCH, (200, 500), 0)])
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(wrench, *crop)]
    )
    [crop] = photo_of([(PLIERS, (900, 100), 0)])
    services.issue_tools(engineer=boris, storekeeper=storekeeper, lines=[ToolLine(pliers, *crop)])
    return wrench, pliers, boris


def ivan_returns(engineer, desk, placements, extra_boxes=()):
    """Ivan's return of these tools; its extra lines."""
    tool_return = services.return_tools(
        engineer=engineer, desk_user=desk, sightings=photo_of(placements, extra_boxes)
    )
    return list(tool_return.tools.filter(decision=Decision.EXTRA))


def test_table_texture_is_dismissed_as_not_a_tool_and_kept(crib, engineer, desk):
    [texture] = ivan_returns(engineer, desk, [(WRENCH, (700, 550), 3)], [TABLE])
    assert list(dashboard.flagged_lines()) == [texture]

    extras.not_a_tool(texture, user=desk)

    texture.refresh_from_db()
    assert texture.decision == Decision.NOT_A_TOOL and texture.decided_by == desk
    assert texture.photo_id and texture.box == TABLE  # the evidence stays
    assert not dashboard.flagged_lines().exists()
    event = AuditEvent.objects.get(action="not a tool")
    assert event.after == {"decision": "not_a_tool", "reason": "not a tool"}
    # Acted on once: a second action is refused, nothing changes.
    with pytest.raises(CribError, match="not an extra tool waiting for an action"):
        extras.report_foreign(texture, user=desk)
    assert not texture.tool_return.tools.filter(decision=Decision.FOREIGN).exists()


def test_a_tool_another_engineer_holds_is_taken_back_for_them(crib, engineer, desk):
    wrench, pliers, boris = crib
    [extra] = ivan_returns(engineer, desk, [(WRENCH, (700, 550), 3), (PLIERS, (300, 200), 1)])
    assert "out to Boris (E2002)" in extra.reason

    line = extras.identify(extra, "at-288293-6", user=desk)  # typed in lower case

    assert line.decision == Decision.IDENTIFIED and line.identified_as == pliers
    assert "returned for Boris (E2002), who held it; back in the crib" in line.reason
    pliers.refresh_from_db()
    assert pliers.status == ToolInstance.Status.IN_CRIB and not boris.held_tools().exists()
    event = AuditEvent.objects.get(action="identified")
    assert event.before["status"] == "issued" and event.after["tool"] == "AT-288293-6"
    assert any(
        e.what == "found AT-288293-6 among Ivan Petrov (E1001)'s tools"
        for e in history.tool_history(pliers)
    )


def test_it_settles_the_holder_s_waiting_recount(crib, engineer, desk):
    wrench, pliers, boris = crib
    # Boris's shift ended without the pliers: they wait for a recount.
    waiting = services.return_tools(engineer=boris, desk_user=desk, sightings=[], ends="shift")
    [theirs] = waiting.tools.all()
    [extra] = ivan_returns(engineer, desk, [(WRENCH, (700, 550), 3), (PLIERS, (300, 200), 1)])

    line = extras.identify(extra, "AT-288293-6", user=desk)

    theirs.refresh_from_db()
    assert theirs.decision == Decision.RECOUNTED_ACCEPTED
    assert theirs.reason == f"found in return {extra.tool_return_id} from Ivan Petrov (E1001)"
    assert f"settles the recount in Boris (E2002)'s return {waiting.pk}" in line.reason
    assert ToolInstance.objects.get(pk=pliers.pk).status == ToolInstance.Status.IN_CRIB
    assert not dashboard.flagged_lines().exists()


def test_a_lost_tool_found_closes_its_loss(crib, engineer, desk):
    wrench, pliers, boris = crib
    waiting = services.return_tools(engineer=boris, desk_user=desk, sightings=[], ends="job")
    services.decide_recount(waiting.tools.get(), user=desk, found=False, reason="not in the kit")
    assert list(dashboard.lost_tools()) == [pliers]
    [extra] = ivan_returns(engineer, desk, [(WRENCH, (700, 550), 3), (PLIERS, (300, 200), 1)])

    line = extras.identify(extra, "AT-288293-6", user=desk, note="was in his toolbox")

    assert line.reason == (
        "this is AT-288293-6: it was lost; its loss is closed, back in the crib "
        "(was in his toolbox)"
    )
    assert not dashboard.lost_tools().exists()
    assert AuditEvent.objects.filter(action="loss closed", object_id=str(pliers.pk)).exists()


def test_an_unknown_number_is_refused_and_nothing_changes(crib, engineer, desk):
    [extra] = ivan_returns(engineer, desk, [(WRENCH, (700, 550), 3)], [TABLE])
    for number, message in [
        ("", "Give the tool's number"),
        ("AT-9", "No crib tool is numbered AT-9"),
    ]:
        with pytest.raises(CribError, match=message):
            extras.identify(extra, number, user=desk)
    extra.refresh_from_db()
    assert extra.decision == Decision.EXTRA and extra.identified_as is None
    assert not AuditEvent.objects.filter(action="identified").exists()


def test_a_foreign_tool_is_on_qa_s_list_until_qa_closes_it(crib, engineer, desk, qa):
    [extra] = ivan_returns(engineer, desk, [(WRENCH, (700, 550), 3)], [TABLE])

    report = extras.report_foreign(extra, user=desk, note="airline's torque wrench")

    assert list(extras.open_reports()) == [report]
    assert not dashboard.flagged_lines().exists()  # the desk is done; QA has it now
    assert dashboard.figures()["foreign_reports"] == 1
    with pytest.raises(CribError, match="Say what was done"):
        extras.close_report(report, user=qa, note=" ")
    assert report.open

    extras.close_report(report, user=qa, note="handed to the airline's QA")

    assert not extras.open_reports().exists()
    report.refresh_from_db()
    assert report.closed_by == qa and report.closing_note == "handed to the airline's QA"
    assert [
        e.action for e in AuditEvent.objects.filter(object_type="foreigntoolreport").order_by("pk")
    ] == [
        "foreign tool reported",
        "foreign tool report closed",
    ]
    with pytest.raises(CribError, match="already closed"):
        extras.close_report(report, user=qa, note="again")
