"""An admin's change of a tool's status: a reason, audited; an issued tool keeps its status."""

import pytest
from django.db import IntegrityError, transaction

from toolcrib.crib import services
from toolcrib.crib.models import AuditEvent, ToolInstance

pytestmark = pytest.mark.django_db


def test_it_marks_a_tool_broken_with_the_reason_in_the_audit_trail(tool_factory, crib_admin):
    tool = tool_factory("AT-1")
    services.change_status(tool, "broken", reason="  jaw cracked  ", user=crib_admin)

    tool.refresh_from_db()
    assert tool.status == ToolInstance.Status.BROKEN
    event = AuditEvent.objects.get(object_type="toolinstance", action="changed")
    assert event.actor == crib_admin
    assert event.before == {"status": "in_crib"}
    assert event.after == {"status": "broken", "reason": "jaw cracked"}


def test_a_found_tool_goes_back_in_the_crib_and_can_be_issued(
    tool_factory, crib_admin, storekeeper, engineer
):
    tool = tool_factory("AT-1", status=ToolInstance.Status.LOST)
    services.change_status(tool, "in_crib", reason="found in hangar 2", user=crib_admin)

    issue = services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(tool)]
    )
    assert issue.tools.get().tool_instance == tool


@pytest.mark.parametrize("status", ["in_crib", "retired", "broken", "lost"])
def test_an_issued_tool_keeps_its_status_whoever_asks(
    tool_factory, crib_admin, storekeeper, engineer, status
):
    tool = tool_factory("AT-1")
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(tool)]
    )
    before = AuditEvent.objects.count()

    with pytest.raises(services.CribError, match="AT-1 is issued to Ivan Petrov"):
        services.change_status(tool, status, reason="tidying up", user=crib_admin)

    tool.refresh_from_db()
    assert tool.status == ToolInstance.Status.ISSUED
    assert AuditEvent.objects.count() == before


def test_the_database_refuses_a_status_other_than_issued_while_held(
    tool_factory, storekeeper, engineer
):
    tool = tool_factory("AT-1")
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(tool)]
    )

    with pytest.raises(IntegrityError, match="tool_status_follows_holder"), transaction.atomic():
        ToolInstance.objects.filter(pk=tool.pk).update(status=ToolInstance.Status.RETIRED)
    tool.refresh_from_db()
    assert tool.status == ToolInstance.Status.ISSUED


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        ("broken", "   ", "needs a reason"),
        ("issued", "handing it out", "not a status an admin sets"),
        ("melted", "why not", "not a status an admin sets"),
        ("in_crib", "already here", "already in crib"),
    ],
)
def test_it_refuses_bad_changes_and_changes_nothing(
    tool_factory, crib_admin, status, reason, message
):
    tool = tool_factory("AT-1")
    before = AuditEvent.objects.count()
    with pytest.raises(services.CribError, match=message):
        services.change_status(tool, status, reason=reason, user=crib_admin)
    tool.refresh_from_db()
    assert tool.status == ToolInstance.Status.IN_CRIB
    assert AuditEvent.objects.count() == before
