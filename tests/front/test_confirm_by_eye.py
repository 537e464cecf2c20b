"""The return desk confirms by eye in a real browser: one key, several at once, no reload."""

import pytest

from tests.conftest import need_model, need_shared_photos
from toolcrib.crib import services
from toolcrib.crib.models import CribSettings, ReturnedTool, ToolInstance
from toolcrib.crib.services import ToolLine

pytestmark = [pytest.mark.model, pytest.mark.photos]
# Tools without a readable marking (the lockwire pliers and the wrench carry etched numbers):
# the visual verdict alone decides them.
SCREW, PHILLIPS, PLIERS = ("1_screw_flat__black", "2_screw_plus__black", "catalog/6_pliers")


@pytest.fixture
def waiting_return(tool_factory, storekeeper, desk, engineer, crib_admin):
    """Three tools issued and returned; at an accepted risk of 0 no level is safe enough, so
    every one of them waits for the desk's look."""
    need_model(), need_shared_photos()
    from tests.kit_photos import compose

    services.set_risk(0, user=crib_admin)
    tools = [
        tool_factory("SCR-0001", 0),
        tool_factory("PH-0002", 1),
        tool_factory("PL-0003", 5),
    ]
    data, boxes = compose(
        [(SCREW, (50, 50), 0), (PHILLIPS, (900, 100), 0), (PLIERS, (200, 300), 0)]
    )
    photo = services.store_photo(data)
    services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[ToolLine(t, photo, b) for t, b in zip(tools, boxes)],
    )
    data, boxes = compose(
        [(PLIERS, (700, 400), 3), (SCREW, (100, 1000), 2), (PHILLIPS, (1100, 100), 1)]
    )
    photo = services.store_photo(data)
    tool_return = services.return_tools(
        engineer=engineer, desk_user=desk, sightings=[(photo, b) for b in boxes]
    )
    assert CribSettings.current().accepted_risk == 0 and tool_return.accept_level is None
    assert set(tool_return.tools.values_list("decision", flat=True)) == {"confirm_by_eye"}
    return tool_return


def test_it_confirms_by_key_and_several_at_once_without_reloading(
    waiting_return, signed_in, desk, live_server
):
    page = signed_in(desk)
    page.goto(live_server.url + waiting_return.get_absolute_url())
    assert (
        "The desk still owes 3 clicks: 3 to confirm by eye, 0 to recount"
        in page.locator("#owed").inner_text()
    )
    cards = page.locator(".return-line[data-waiting=confirm]")
    assert cards.count() == 3
    # Issue and return crops side by side at one scale: the pliers, turned a quarter turn at
    # return, show their width and height swapped, the longer side filling the frame.
    wrench = page.locator(".return-line", has_text="PL-0003")
    issued, returned = (
        wrench.locator(f"img[alt='{alt}']").evaluate("i => i.getBoundingClientRect().toJSON()")
        for alt in ("at issue", "returned")
    )
    assert max(issued["width"], issued["height"]) == 220
    assert abs(issued["width"] - returned["height"]) <= 1
    assert abs(issued["height"] - returned["width"]) <= 1
    page.evaluate("window.stillTheSamePage = true")

    # One key: the first tool has the focus; c confirms it, no reason asked.
    first = cards.first.get_attribute("data-line")
    page.keyboard.press("c")
    page.wait_for_selector(f".return-line[data-line='{first}'] .tag.decision-confirmed")
    assert "2 clicks" in page.locator("#owed").inner_text()

    # The other two at once: select all, confirm selected.
    page.click("#select-all")
    page.click("#confirm-selected")
    page.wait_for_function("document.querySelectorAll('.tag.decision-confirmed').length === 3")

    assert page.locator("#owed").inner_text() == "Nothing left to decide."
    assert page.evaluate("window.stillTheSamePage") is True  # no reload on any decision
    assert set(waiting_return.tools.values_list("decision", flat=True)) == {"confirmed"}
    assert set(ToolInstance.objects.values_list("status", flat=True)) == {"in_crib"}
    assert set(waiting_return.tools.values_list("decided_by__username", flat=True)) == {"rita"}


def test_it_wants_a_reason_only_for_a_recount_and_says_so_in_place(
    waiting_return, signed_in, desk, live_server
):
    page = signed_in(desk)
    page.goto(live_server.url + waiting_return.get_absolute_url())
    line = page.locator(".return-line", has_text="PH-0002")
    # Not this tool after all: the desk recounts, and a recount needs its reason.
    line.locator("input[name=reason]").evaluate("el => el.removeAttribute('required')")
    line.locator("text=Missing: mark lost").click()
    assert line.locator(".line-error").inner_text() == "Say why: a recount decision needs a reason."
    assert ReturnedTool.objects.get(pk=line.get_attribute("data-line")).decision == "confirm_by_eye"

    line.locator("input[name=reason]").fill("a look-alike from the next bay; ours is missing")
    line.locator("text=Missing: mark lost").click()
    page.wait_for_selector(".return-line .tag.decision-missing")

    assert "2 clicks" in page.locator("#owed").inner_text()
    assert ToolInstance.objects.get(inventory_number="PH-0002").status == "lost"
