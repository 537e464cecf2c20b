"""The admin's pages: new tool types and tools, and the accepted risk with its audit trail."""

from django.urls import reverse

from inference.markings import DEFAULT_MIN_PARTIAL, DEFAULT_PATTERNS
from toolcrib.crib.models import AuditEvent, CribSettings, ToolType

# The settings form posts the marking rules too; these are the ones a new crib starts with.
MARKING = {
    "marking_patterns": "\n".join(DEFAULT_PATTERNS),
    "marking_min_partial": DEFAULT_MIN_PARTIAL,
}


def test_it_sets_the_accepted_risk_and_shows_who_changed_what_in_words(
    client, crib_admin, settings
):
    client.force_login(crib_admin)
    page = client.get(reverse("crib-settings")).content.decode()
    assert f"Its default is {settings.TOOLCRIB_DEFAULT_THRESHOLD:g}%" in page
    assert "Calibration in use: built in" in page  # no enrolments yet

    response = client.post(
        reverse("crib-settings"),
        {
            "accepted_risk": "5",
            "recount_threshold": str(settings.TOOLCRIB_DEFAULT_THRESHOLD),
            **MARKING,
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Accepted risk 5 per 1,000 returned tools" in page
    assert CribSettings.current().accepted_risk == 5
    change = AuditEvent.objects.filter(object_type="cribsettings", action="changed").get()
    assert change.actor == crib_admin and change.after == {"accepted_risk": 5.0}
    assert f"accepted risk {settings.TOOLCRIB_ACCEPTED_RISK:g} per 1,000 → 5 per 1,000" in page
    assert "5 (now)" in page  # the costs table marks the risk in force


def test_it_sets_the_raw_floor_for_experts_and_logs_it_readably(client, crib_admin, settings):
    client.force_login(crib_admin)
    client.get(reverse("crib-settings"))
    response = client.post(
        reverse("crib-settings"),
        {
            "accepted_risk": str(settings.TOOLCRIB_ACCEPTED_RISK),
            "recount_threshold": "85.5",
            **MARKING,
        },
        follow=True,
    )
    assert CribSettings.current().recount_threshold == 85.5
    page = response.content.decode()
    assert f"raw match floor {settings.TOOLCRIB_DEFAULT_THRESHOLD:g} % → 85.5 %" in page
    assert "threshold % → %" not in page


def test_it_refuses_a_threshold_that_is_no_percentage(client, crib_admin):
    client.force_login(crib_admin)
    before = CribSettings.current().recount_threshold
    response = client.post(
        reverse("crib-settings"), {"accepted_risk": "20", "recount_threshold": "140", **MARKING}
    )
    assert "Ensure this value is less than or equal to 100." in response.content.decode()
    assert CribSettings.current().recount_threshold == before


def test_it_refuses_a_risk_that_is_no_rate_and_changes_nothing(client, crib_admin):
    client.force_login(crib_admin)
    before = CribSettings.current().accepted_risk
    response = client.post(
        reverse("crib-settings"), {"accepted_risk": "-3", "recount_threshold": "60", **MARKING}
    )
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()
    assert CribSettings.current().accepted_risk == before
    assert not AuditEvent.objects.filter(object_type="cribsettings", action="changed").exists()


def test_it_adds_a_new_tool_type_at_any_time(client, crib_admin):
    client.force_login(crib_admin)
    client.post(reverse("tool-types"), {"name": "Torque wrench 20-100 Nm", "description": ""})
    new = ToolType.objects.get(name="Torque wrench 20-100 Nm")
    assert new.slug == "torque-wrench-20-100-nm" and new.model_class_index is None

    response = client.post(reverse("tool-types"), {"name": "torque wrench 20-100 nm"})
    assert "already exists" in response.content.decode()
    assert ToolType.objects.filter(model_class_index=None).count() == 1


def test_it_sets_the_number_patterns_and_partial_length_and_logs_them(client, crib_admin):
    client.force_login(crib_admin)
    current = CribSettings.current()
    response = client.post(
        reverse("crib-settings"),
        {
            "accepted_risk": str(current.accepted_risk),
            "recount_threshold": str(current.recount_threshold),
            "marking_patterns": "  [A-Z]{2}-\\d{6}-\\d \r\n\r\nSCR-\\d{4}\r\n",
            "marking_min_partial": "7",
        },
        follow=True,
    )

    current.refresh_from_db()
    assert current.marking_patterns == "[A-Z]{2}-\\d{6}-\\d\nSCR-\\d{4}"  # blank lines dropped
    assert current.marking_min_partial == 7
    patterns, _ = current.marking_rules()
    assert [p.fullmatch("SCR-0001") is not None for p in patterns] == [False, True]
    change = AuditEvent.objects.filter(object_type="cribsettings", action="changed").get()
    assert change.actor == crib_admin
    assert change.after == {
        "marking_patterns": "[A-Z]{2}-\\d{6}-\\d\nSCR-\\d{4}",
        "marking_min_partial": 7,
    }
    page = response.content.decode()
    assert "shortest partial read 6 characters → 7 characters" in page
    assert "number patterns “[A-Z]{2}-\\d{6}-\\d” → “[A-Z]{2}-\\d{6}-\\d” “SCR-\\d{4}”" in page


def test_it_refuses_a_pattern_that_is_no_regular_expression_and_changes_nothing(client, crib_admin):
    client.force_login(crib_admin)
    current = CribSettings.current()
    for typed, message in (
        (
            "[A-Z]{2}-\\d{6}-\\d\nAT-(\\d+",
            "Pattern 2 (AT-(\\d+) is not a regular expression: missing ), unterminated",
        ),
        ("(AT-)?\\d*", "Pattern 1 ((AT-)?\\d*) matches an empty read"),
        ("   \n ", "Give at least one inventory-number pattern"),
    ):
        response = client.post(
            reverse("crib-settings"),
            {
                "accepted_risk": str(current.accepted_risk),
                "recount_threshold": str(current.recount_threshold),
                "marking_patterns": typed,
                "marking_min_partial": "6",
            },
        )
        assert response.status_code == 200
        assert message in response.content.decode(), typed
    assert CribSettings.current().marking_patterns == current.marking_patterns
    assert not AuditEvent.objects.filter(object_type="cribsettings", action="changed").exists()
