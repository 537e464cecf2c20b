"""The crib's inventory-number patterns and partial length, set by the admin through services:
checked (a clear message naming the bad line), audited, and used by the next reading."""

import re

import pytest

from toolcrib.crib import services
from toolcrib.crib.errors import CribError
from toolcrib.crib.models import AuditEvent, CribSettings

pytestmark = pytest.mark.django_db


def test_the_rules_are_kept_and_audited(crib_admin):
    services.set_marking_rules("AT-\\d{6}-\\d\n\nTC\\d{5}", 8, user=crib_admin)

    current = CribSettings.current()
    assert (current.marking_patterns, current.marking_min_partial) == ("AT-\\d{6}-\\d\nTC\\d{5}", 8)
    event = AuditEvent.objects.filter(object_type="cribsettings", action="changed").get()
    assert event.actor == crib_admin and event.after["marking_min_partial"] == 8


@pytest.mark.parametrize(
    ("patterns", "partial", "message"),
    [
        (
            "AT-[0-9",
            6,
            "Pattern 1 (AT-[0-9) is not a regular expression: unterminated character set",
        ),
        (".*", 6, "matches an empty read"),
        ("", 6, "at least one"),
        ("X" * 201, 6, "longer than 200"),
        ("AT-\\d+", 3, "4 to 20"),
        ("AT-\\d+", "six", "4 to 20"),
    ],
)
def test_bad_rules_are_refused_with_a_message_and_nothing_changes(
    crib_admin, patterns, partial, message
):
    before = CribSettings.current()
    with pytest.raises(CribError, match=re.escape(message)):
        services.set_marking_rules(patterns, partial, user=crib_admin)
    after = CribSettings.current()
    assert (after.marking_patterns, after.marking_min_partial) == (
        before.marking_patterns,
        before.marking_min_partial,
    )
