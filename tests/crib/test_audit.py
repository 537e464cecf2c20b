"""Every change to the crib's records leaves an append-only audit event."""

import pytest
from django.db import DatabaseError, transaction

from toolcrib.crib import audit, services
from toolcrib.crib.models import AuditEvent, CribSettings, ToolInstance


def events(obj):
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.model_name, object_id=str(obj.pk)).order_by(
            "id"
        )
    )


def test_it_records_who_changed_a_tool_from_what_to_what(tool_factory, crib_admin):
    tool = tool_factory("AT-288293-6")
    with audit.acting_as(crib_admin):
        tool.status = ToolInstance.Status.IN_CALIBRATION
        tool.save()

    created, changed = events(tool)
    assert created.action == "created"
    assert changed.action == "changed"
    assert changed.actor == crib_admin and changed.actor_name == "adam"
    assert changed.before == {"status": "in_crib"}
    assert changed.after == {"status": "in_calibration"}


def test_it_records_an_issue_with_its_tools(tool_factory, storekeeper, engineer):
    tool = tool_factory("AT-1")
    issue = services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(tool)]
    )

    [event] = events(issue)
    assert event.action == "issued" and event.actor == storekeeper
    assert event.after["tools"] == ["AT-1"] and event.after["engineer"] == "Ivan Petrov (E1001)"
    assert events(tool)[-1].after == {"status": "issued"}


def test_it_records_a_threshold_change(crib_admin):
    CribSettings.current()
    services.set_threshold(91.5, user=crib_admin)

    event = events(CribSettings.current())[-1]
    assert event.action == "changed" and event.after == {"recount_threshold": 91.5}


def test_it_refuses_a_threshold_outside_0_to_100_and_changes_nothing(crib_admin):
    before = CribSettings.current().recount_threshold
    with pytest.raises(services.CribError, match="0 to 100"):
        services.set_threshold(120, user=crib_admin)
    assert CribSettings.current().recount_threshold == before


@pytest.mark.parametrize(
    "statement", ["UPDATE crib_auditevent SET action = 'forged'", "DELETE FROM crib_auditevent"]
)
def test_it_cannot_be_edited_or_deleted_even_in_sql(tool_factory, statement):
    tool_factory("AT-1")
    from django.db import connection

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.filter(action="created", object_type="toolinstance").count() == 1
