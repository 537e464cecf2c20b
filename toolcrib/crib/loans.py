"""How long a tool may stay out: the one place that says which loan period is in force.

Strongest first: the storekeeper's due-back time for one issue (services.issue_tools'
`due_back`), the tool type's own period (`ToolType.loan_hours`), the crib's period set on the
settings page (`CribSettings.loan_hours`), and when that is empty the environment variable
`TOOLCRIB_LOAN_HOURS` (default 12). Each answer says where it comes from, so the pages can.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from toolcrib.crib import audit
from toolcrib.crib.errors import CribError
from toolcrib.crib.models import CribSettings, ToolType

MAX_HOURS = 24 * 366  # a year: anything longer is a typing slip


@dataclass(frozen=True)
class LoanPeriod:
    hours: int
    source: str  # in words: "the settings page", "TOOLCRIB_LOAN_HOURS", ...


def crib_period(crib: CribSettings | None = None) -> LoanPeriod:
    crib = crib or CribSettings.current()
    if crib.loan_hours is not None:
        return LoanPeriod(crib.loan_hours, "set on the settings page")
    if settings.TOOLCRIB_LOAN_HOURS_FROM_ENV:
        return LoanPeriod(
            settings.TOOLCRIB_LOAN_HOURS, "the TOOLCRIB_LOAN_HOURS environment variable"
        )
    return LoanPeriod(settings.TOOLCRIB_LOAN_HOURS, "built in (TOOLCRIB_LOAN_HOURS is not set)")


def period_for(tool_type: ToolType, crib: CribSettings | None = None) -> LoanPeriod:
    if tool_type.loan_hours is not None:
        return LoanPeriod(tool_type.loan_hours, f"the tool type {tool_type.name}")
    return crib_period(crib)


def check_hours(value: Any, *, what: str = "The loan period") -> int | None:
    """Whole hours from 1 to a year, or None (empty: fall back to the next source)."""
    if value in (None, ""):
        return None
    message = f"{what} is a whole number of hours, 1 to {MAX_HOURS}; nothing was changed."
    try:
        hours = int(str(value).strip())
    except ValueError:
        raise CribError(message) from None
    if not 1 <= hours <= MAX_HOURS:
        raise CribError(message)
    return hours


def set_crib_hours(value: Any, *, user: User) -> CribSettings:
    """The crib's loan period; empty hands the decision back to TOOLCRIB_LOAN_HOURS."""
    hours = check_hours(value)
    with audit.acting_as(user), transaction.atomic():
        current = CribSettings.objects.select_for_update().get(pk=CribSettings.current().pk)
        current.loan_hours = hours
        current.save()
    return current


def set_type_hours(tool_type: ToolType, value: Any, *, user: User) -> ToolType:
    hours = check_hours(value, what=f"The loan period of {tool_type.name}")
    with audit.acting_as(user), transaction.atomic():
        locked = ToolType.objects.select_for_update().get(pk=tool_type.pk)
        locked.loan_hours = hours
        locked.save(update_fields=["loan_hours"])
    return locked
