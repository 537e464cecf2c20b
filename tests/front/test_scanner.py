"""A handheld scanner types the label's code and Enter: on the issue page it adds the tool as a
line, on the return page it verifies that tool by its marking. It never submits the form."""

import pytest

from tests.front.conftest import open_kit_page
from toolcrib.crib import services
from toolcrib.crib.models import Issue, IssuedTool, Return, ToolInstance
from toolcrib.crib.services import CribError, ToolLine


def scan(page, text):
    """As a scanner does: the characters a few ms apart, then Enter, into whatever has focus."""
    page.keyboard.type(text, delay=5)
    page.keyboard.press("Enter")


def test_scans_on_the_issue_page_add_tools_and_never_submit(
    signed_in, storekeeper, engineer, tool_factory
):
    tool_factory("AT-288293-6", class_index=6)
    tool_factory("AT-288293-5", class_index=9)
    tool_factory("AT-288293-8", class_index=6)
    out = tool_factory("AT-288293-7", class_index=6, status=ToolInstance.Status.LOST)
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    url = page.url
    page.fill("input[name=engineer]", "E1001")
    page.press("input[name=engineer]", "Enter")  # the badge scan: on to the camera button
    assert page.evaluate("document.activeElement.dataset.action") == "camera"

    scan(page, "AT-288293-6")  # focus on a button: the scan is caught, the button not pressed
    page.wait_for_selector(".tool-row:has-text('Scanned: AT-288293-6')")
    assert page.locator(".camera").is_hidden() and page.locator(".photo-error").is_hidden()
    page.focus("input[data-action=scan]")
    scan(page, "at-288293-5")  # the scan field; the number's case does not matter
    page.wait_for_selector(".tool-row:has-text('Scanned: AT-288293-5')")
    assert page.locator(".tool-count").inner_text() == "2 tools"
    assert page.locator(".tool-row .match").all_inner_texts() == ["label scanned"] * 2

    for text, said in [
        ("AT-999999-9", "No tool AT-999999-9 in the crib's records: nothing changed."),
        ("AT-288293-6", "AT-288293-6 is already on line 1: nothing added."),
        (out.inventory_number, "AT-288293-7 is not in the crib (lost): nothing added."),
    ]:
        scan(page, text)
        page.locator(".scan-note.error", has_text=said).wait_for()
        assert page.locator(".tool-row").count() == 2
    assert page.url == url and not Issue.objects.exists()
    # A tool picked by hand beside the scans: recorded as typed, not as read or scanned.
    page.click("text=Add a tool by number")
    page.locator(".tool-row input").last.fill("AT-288293-8")

    page.click("text=Issue these tools")
    page.wait_for_url("**/engineers/*/")
    assert "Issued 3 tools to Ivan Petrov (E1001)" in page.locator(".msg-success").inner_text()
    assert sorted(
        IssuedTool.objects.values_list("tool_instance__inventory_number", "marking_source")
    ) == [("AT-288293-5", "scanned"), ("AT-288293-6", "scanned"), ("AT-288293-8", "typed")]


def test_scans_on_the_return_page_verify_tools_by_their_label(
    signed_in, storekeeper, desk, engineer, tool_factory
):
    pliers = tool_factory("AT-288293-6", class_index=6)
    wrench = tool_factory("AT-288293-5", class_index=9)
    tool_factory("SCR-0001", class_index=1)
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(pliers), ToolLine(wrench)]
    )
    page = signed_in(desk)
    open_kit_page(page, "Return")
    url = page.url
    page.locator("h1").click()  # nothing focused: the scan lands on the page itself

    scan(page, "AT-288293-6")
    page.wait_for_selector(".tool-row:has-text('Scanned: AT-288293-6, verified by its label')")
    # The engineer left empty: the tool scanned says whose it is.
    assert page.input_value("input[name=engineer]") == "E1001 · Ivan Petrov"
    for text, said in [
        ("AT-000000-0", "No tool AT-000000-0 in the crib's records: nothing changed."),
        ("SCR-0001", "SCR-0001 is not out to anyone (in crib): nothing to return."),
        ("AT-288293-6", "AT-288293-6 is already on line 1: nothing added."),
    ]:
        scan(page, text)
        page.locator(".scan-note.error", has_text=said).wait_for()
        assert page.locator(".tool-row").count() == 1
    assert page.url == url and not Return.objects.exists()

    page.click("text=Check the return")
    page.wait_for_url("**/returns/*/")
    line = Return.objects.get().tools.get(issued_tool__tool_instance=pliers)
    assert (line.decision, line.marking_check) == ("accepted", "confirmed")
    assert (line.marking_text, line.marking_source) == ("AT-288293-6", "scanned")
    assert "scanned at the desk" in line.verdict_reason
    pliers.refresh_from_db()
    assert pliers.status == ToolInstance.Status.IN_CRIB
    # The wrench was neither scanned nor photographed: a normal return leaves it still out.
    assert not Return.objects.get().tools.filter(issued_tool__tool_instance=wrench).exists()
    assert [t.tool_instance for t in Return.objects.get().still_out_tools.all()] == [wrench]
    assert "AT-288293-5" in page.locator("#still-out-list").inner_text()
    card = page.locator(".return-line", has_text="AT-288293-6").inner_text()
    assert "verified by marking" in card and "its label scanned at the desk" in card
    assert "not in the return photo" not in card


@pytest.mark.django_db
def test_a_scanned_number_the_engineer_does_not_hold_changes_nothing(
    storekeeper, desk, engineer, tool_factory
):
    pliers = tool_factory("AT-288293-6")
    tool_factory("AT-288293-5")
    services.issue_tools(engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(pliers)])
    for number, message in [
        ("AT-288293-5", "AT-288293-5 is not among the tools Ivan Petrov (E1001) has to return."),
        ("AT-1", "There is no tool AT-1 in the crib's records."),
    ]:
        with pytest.raises(CribError, match=message.replace("(", r"\(").replace(")", r"\)")):
            services.return_tools(
                engineer=engineer, desk_user=desk, sightings=[], scanned_numbers=[number]
            )
    assert not Return.objects.exists()
    pliers.refresh_from_db()
    assert pliers.status == ToolInstance.Status.ISSUED
