"""The return desk takes back part of what an engineer holds: the rest stays out with them,
unless the desk says on the return page that the shift or the job ends."""

from datetime import timedelta

import pytest

from tests.front.conftest import open_kit_page, upload_photo
from toolcrib.crib import dashboard, services
from toolcrib.crib.models import ReturnedTool
from toolcrib.crib.services import ToolLine

PLIERS, WRENCH = "5_safety_pliers__black", "10_open_end_wrench_3_4__black"


@pytest.fixture
def two_held(tool_factory, storekeeper, engineer, kit_photo, settings):
    """The engineer holds the lockwire pliers and the wrench, due back this shift."""
    settings.TOOLCRIB_SHIFT_CHANGES = ["06:00", "14:00", "22:00"]
    tools = [tool_factory("AT-288293-6", 4), tool_factory("AT-288293-5", 9)]
    path, boxes = kit_photo([(PLIERS, (900, 100), 0), (WRENCH, (200, 500), 0)])
    photo = services.store_photo(path.read_bytes())
    services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[ToolLine(t, photo, b) for t, b in zip(tools, boxes)],
        due_back=dashboard.shift_end() - timedelta(minutes=30),
    )
    return tools


def bring_back_the_wrench(page, kit_photo, engineer, ends=None):
    path, _ = kit_photo([(WRENCH, (700, 550), 3)])
    open_kit_page(page, "Return")
    page.fill("input[name=engineer]", engineer.badge_number)
    page.keyboard.press("Enter")  # the badge scanner's Enter picks the engineer
    upload_photo(page, path)
    if ends:
        page.get_by_label(ends).check()
    page.click("text=Check the return")
    page.wait_for_url("**/returns/*/")


def test_it_returns_one_of_two_and_leaves_the_other_still_out(
    two_held, signed_in, desk, engineer, kit_photo, qa
):
    page = signed_in(desk)
    bring_back_the_wrench(page, kit_photo, engineer)

    verdict = page.locator("#verdict").inner_text()
    assert "1 accepted" in verdict and "1 still out with Ivan Petrov" in verdict
    assert "Nothing left to decide." in verdict
    assert "This return ends: nothing: a normal return" in page.locator("#ends").inner_text()
    still_out = page.locator("#still-out-list tbody tr").all_inner_texts()
    assert len(still_out) == 1 and "AT-288293-6" in still_out[0] and "still out" in still_out[0]
    # One card: the wrench. No recount card for the pliers.
    assert page.locator(".return-line").count() == 1
    assert "AT-288293-5" in page.locator(".return-line").inner_text()
    assert not ReturnedTool.objects.filter(decision="recount_required").exists()

    # The dashboard agrees: the pliers are due back this shift and still out; nothing flagged.
    page = signed_in(qa)
    due = page.locator("#due-this-shift-list tbody tr").all_inner_texts()
    assert len(due) == 1 and "AT-288293-6" in due[0]
    assert (
        page.locator("#figures .figure", has_text="waiting for the desk").locator(".n").inner_text()
        == "0"
    )


def test_at_the_end_of_the_shift_the_other_goes_to_a_recount(
    two_held, signed_in, desk, engineer, kit_photo
):
    page = signed_in(desk)
    bring_back_the_wrench(page, kit_photo, engineer, ends="The end of the shift")

    verdict = page.locator("#verdict").inner_text()
    assert "1 accepted" in verdict and "still out" not in verdict
    assert "1 to recount" in verdict
    assert "This return ends: the end of the shift" in page.locator("#ends").inner_text()
    assert page.locator("#still-out").count() == 0
    pliers = page.locator(".return-line", has_text="AT-288293-6")
    assert "recount required" in pliers.locator(".decision").inner_text()
    assert "not in the return photo" in pliers.locator(".match").inner_text()
