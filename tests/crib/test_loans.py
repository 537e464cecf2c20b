"""The loan period: one source of truth, and each answer says where it comes from."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from toolcrib.crib import loans, services
from toolcrib.crib.models import AuditEvent, CribSettings, ToolType

pytestmark = pytest.mark.django_db


@pytest.fixture
def env_says_8(settings):
    settings.TOOLCRIB_LOAN_HOURS, settings.TOOLCRIB_LOAN_HOURS_FROM_ENV = 8, True


@pytest.mark.usefixtures("env_says_8")
def test_the_environment_variable_decides_until_the_settings_page_does(crib_admin):
    assert loans.crib_period() == loans.LoanPeriod(
        8, "the TOOLCRIB_LOAN_HOURS environment variable"
    )
    loans.set_crib_hours("5", user=crib_admin)
    assert loans.crib_period() == loans.LoanPeriod(5, "set on the settings page")
    loans.set_crib_hours("", user=crib_admin)  # handed back to the environment
    assert loans.crib_period().hours == 8

    changes = AuditEvent.objects.filter(object_type="cribsettings", action="changed")
    assert [c.after for c in changes.order_by("id")] == [{"loan_hours": 5}, {"loan_hours": None}]


def test_without_the_variable_the_built_in_12_hours_say_so(settings):
    settings.TOOLCRIB_LOAN_HOURS, settings.TOOLCRIB_LOAN_HOURS_FROM_ENV = 12, False
    assert loans.crib_period() == loans.LoanPeriod(12, "built in (TOOLCRIB_LOAN_HOURS is not set)")


@pytest.mark.usefixtures("env_says_8")
def test_a_type_period_beats_the_crib_and_an_issue_time_beats_both(
    crib_admin, storekeeper, engineer, tool_factory
):
    pliers = tool_factory("AT-1", class_index=4)
    wrench = tool_factory("AT-2", class_index=7)
    loans.set_type_hours(wrench.tool_type, 2, user=crib_admin)

    issue = services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[services.ToolLine(pliers), services.ToolLine(wrench)],
    )
    due = {
        t.tool_instance.inventory_number: t.due_back - issue.created_at for t in issue.tools.all()
    }
    assert abs(due["AT-1"] - timedelta(hours=8)) < timedelta(minutes=1)
    assert abs(due["AT-2"] - timedelta(hours=2)) < timedelta(minutes=1)
    event = AuditEvent.objects.get(object_type="issue")  # the first tool due
    assert abs(parse_datetime(event.after["due_back"]) - issue.created_at - timedelta(hours=2)) < (
        timedelta(minutes=1)
    )

    other_wrench = tool_factory("AT-3", class_index=7)
    given = timezone.now() + timedelta(minutes=30)  # the storekeeper's time for this issue wins
    services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[services.ToolLine(other_wrench)],
        due_back=given,
    )
    assert other_wrench.issued.get().due_back == given


@pytest.mark.parametrize("value", ["0", "-3", "twelve", "1.5", str(loans.MAX_HOURS + 1)])
def test_it_refuses_a_period_that_is_no_whole_number_of_hours(crib_admin, tool_factory, value):
    tool_type = ToolType.objects.get(model_class_index=4)
    with pytest.raises(services.CribError, match="whole number of hours"):
        loans.set_crib_hours(value, user=crib_admin)
    with pytest.raises(services.CribError, match="whole number of hours"):
        loans.set_type_hours(tool_type, value, user=crib_admin)
    assert CribSettings.current().loan_hours is None
    tool_type.refresh_from_db()
    assert tool_type.loan_hours is None
