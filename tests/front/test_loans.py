"""The loan period in a real browser: the settings page says where it comes from, a tool type
has its own, and the storekeeper may give a due-back time for one issue."""

from datetime import timedelta

from django.utils import timezone

from tests.front.conftest import fill_issue_by_number, open_kit_page
from toolcrib.crib.models import CribSettings, IssuedTool, ToolType


def test_the_settings_page_says_where_the_loan_period_comes_from(signed_in, crib_admin, settings):
    settings.TOOLCRIB_LOAN_HOURS, settings.TOOLCRIB_LOAN_HOURS_FROM_ENV = 8, True
    page = signed_in(crib_admin)
    page.click("nav >> text=Settings")
    text = page.locator("#loan-period").inner_text()
    assert "8 hours after issue: the TOOLCRIB_LOAN_HOURS environment variable" in text

    page.fill("#settings-form input[name=loan_hours]", "0")
    page.click("text=Save settings")
    assert CribSettings.current().loan_hours is None  # refused by the form, nothing saved

    page.fill("#settings-form input[name=loan_hours]", "10")
    page.click("text=Save settings")
    assert (
        "loan period 10 hours (set on the settings page)"
        in page.locator(".msg-success").inner_text()
    )
    assert "it overrides TOOLCRIB_LOAN_HOURS" in page.locator("#loan-period").inner_text()
    assert "loan not set → 10 hours" in page.locator("#setting-changes").inner_text()

    page.fill("#settings-form input[name=loan_hours]", "")
    page.click("text=Save settings")
    assert (
        "8 hours after issue: the TOOLCRIB_LOAN_HOURS" in page.locator("#loan-period").inner_text()
    )
    assert CribSettings.current().loan_hours is None


def test_a_type_period_and_an_issue_time_set_when_tools_are_due(
    signed_in, crib_admin, storekeeper, engineer, tool_factory, settings
):
    settings.TOOLCRIB_LOAN_HOURS, settings.TOOLCRIB_LOAN_HOURS_FROM_ENV = 12, False
    tool_factory("AT-1", class_index=4)
    tool_factory("AT-2", class_index=7)
    page = signed_in(crib_admin)
    page.click("nav >> text=Tool types")
    row = page.locator("#tool-types tr", has_text="Adjustable wrench")
    row.locator("input[name=loan_hours]").fill("3")
    row.locator("button").click()
    assert "Adjustable wrench: due back 3 hours after issue (the tool type Adjustable wrench)." in (
        page.locator(".msg-success").inner_text()
    )
    assert ToolType.objects.get(name="Adjustable wrench").loan_hours == 3

    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    fill_issue_by_number(page, "Ivan Petrov", ["AT-1", "AT-2"])
    page.click("text=Issue these tools")
    page.wait_for_url("**/engineers/*/")
    now = timezone.now()
    due = dict(IssuedTool.objects.values_list("tool_instance__inventory_number", "due_back"))
    assert abs(due["AT-1"] - now - timedelta(hours=12)) < timedelta(minutes=2)
    assert abs(due["AT-2"] - now - timedelta(hours=3)) < timedelta(minutes=2)
    assert " to " in page.locator(".msg-success").inner_text()  # two due-back times


def test_the_storekeeper_gives_a_due_back_time_for_one_issue(
    signed_in, storekeeper, engineer, tool_factory
):
    tool_factory("AT-1")
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    fill_issue_by_number(page, "Ivan Petrov", ["AT-1"])
    page.fill("input[name=due_in_hours]", "2")
    page.click("text=Issue these tools")
    page.wait_for_url("**/engineers/*/")
    due = IssuedTool.objects.get().due_back
    assert abs(due - timezone.now() - timedelta(hours=2)) < timedelta(minutes=2)
