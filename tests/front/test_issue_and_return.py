"""The crib's day in the browser, on the real database and model: the admin enrols three tools,
the storekeeper issues them from a photo, one comes back swapped for another tool, the desk's
recount marks it missing, and the dashboard and the histories show every step."""

import json
from pathlib import Path

import pytest

from tests.conftest import PHOTOS
from tests.front.conftest import (
    clear_boxes,
    drag,
    draw_box,
    open_kit_page,
    row_boxes,
    row_of,
    upload_photo,
)
from tests.kit_photos import TOOL_BOXES
from toolcrib.crib.models import Enrolment, ToolInstance

SCREW, PLIERS, WRENCH, PHILLIPS = (
    "1_screw_flat",
    "5_safety_pliers",
    "10_open_end_wrench_3_4",
    "2_screw_plus",
)


def centre(box):
    return ((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)


TOOLS = [
    (SCREW, "SCR-0001", "Flat screwdriver"),
    (PLIERS, "AT-288293-6", "Lockwire pliers"),
    (WRENCH, "AT-288293-5", "Open-end wrench 3/4"),
]


@pytest.fixture
def enrolled(signed_in, crib_admin, live_server, kit_photo):
    """The admin creates the three tools and enrols each from its photo on wood."""
    page = signed_in(crib_admin)
    page.click("nav >> text=Tools")
    for _, number, type_name in TOOLS:
        page.fill("#id_inventory_number", number)
        page.select_option("#id_tool_type", label=type_name)
        page.click("text=Add tool")
        assert page.locator(".msg-success").inner_text() == f"Added {number}."
    for name, number, _ in TOOLS:
        page.click(f"#tools >> text={number}")
        upload_photo(page, PHOTOS / "single" / f"{name}__wood.jpg")
        clear_boxes(page)
        draw_box(page, TOOL_BOXES[f"single/{name}__wood.jpg"], 1152)
        page.click("text=Enrol the boxed tool")
        assert "Enrolled 1 reference photo" in page.locator(".msg-success").inner_text()
        assert page.locator("#enrolments img").count() == 1
        page.click("nav >> text=Tools")
    assert Enrolment.objects.exclude(embedding=None).count() == 3


def test_it_issues_returns_recounts_and_shows_the_lost_tool(
    enrolled, signed_in, storekeeper, desk, engineer, kit_photo, live_server
):
    # Storekeeper: the three tools on the desk, one photo; the crib proposes a box per tool.
    issue_photo, _ = kit_photo(
        [
            (f"{SCREW}__black", (50, 50), 0),
            (f"{PLIERS}__black", (900, 100), 0),
            (f"{WRENCH}__black", (200, 500), 0),
        ]
    )
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    page.fill("input[name=engineer]", "E1001")
    upload_photo(page, issue_photo)
    rows = page.locator(".tool-row")
    proposed = {
        rows.nth(i).locator(".type").inner_text(): rows.nth(i).locator("input").input_value()
        for i in range(rows.count())
    }
    assert proposed == {type_name: number for _, number, type_name in TOOLS}
    assert all("% match" in text for text in rows.locator(".match").all_inner_texts())
    page.click("text=Issue these tools")

    assert "Issued 3 tools to Ivan Petrov (E1001)" in page.locator(".msg-success").inner_text()
    held = page.locator("#held").inner_text()
    assert all(number in held for _, number, _ in TOOLS) and "Due back" in held

    # Return desk: the lockwire pliers stayed behind, a Phillips screwdriver came in their place.
    # Nobody says whose tools these are: the photo finds the engineer.
    return_photo, (wrench, screw, phillips) = kit_photo(
        [
            (f"{WRENCH}__black", (700, 500), 3),
            (f"{SCREW}__black", (100, 1060), 2),
            (f"{PHILLIPS}__black", (1000, 60), 1),
        ]
    )
    page = signed_in(desk)
    open_kit_page(page, "Return")
    upload_photo(page, return_photo)
    assert page.input_value("input[name=engineer]") == "E1001 · Ivan Petrov"
    # The desk checks the boxes: redraws one (drawn off, then moved into place), tightens one
    # by its corner; each changed box is recognised again.
    page.locator(".tool-row").nth(row_of(page, centre(phillips))).locator(".remove").click()
    x0, y0, x1, y1 = phillips
    draw_box(page, (x0 + 12, y0 + 12, x1 + 12, y1 + 12), 1600)
    drag(page, (centre(phillips)[0] + 12, centre(phillips)[1] + 12), centre(phillips), 1600)
    assert phillips in row_boxes(page)
    # Only the selected box moves or resizes: select the wrench's, then pull its corner.
    page.locator(".tool-row").nth(row_of(page, centre(wrench))).click()
    x0, y0, x1, y1 = row_boxes(page)[row_of(page, centre(wrench))]
    drag(page, (x1, y1), (x1 - 5, y1 - 5), 1600)
    assert (x0, y0, x1 - 5, y1 - 5) in row_boxes(page)
    assert page.locator(".tool-row").count() == 3
    assert "Open-end wrench 3/4" in page.locator(".tool-row .type").all_inner_texts()
    # The desk checks the boxes while the marking reader reads them (the usual case: read
    # before the submit, so the marking decides at once).
    page.wait_for_function(
        "document.querySelector('.marking-progress').textContent.startsWith('Markings read')",
        timeout=180_000,
    )
    # The engineer's shift ends: whatever they hold and did not bring goes to a recount.
    assert page.get_by_label("Nothing: a normal return").is_checked()
    page.get_by_label("The end of the shift").check()
    page.click("text=Check the return")
    page.wait_for_url("**/returns/*/")  # the submit first checks the session is alive

    assert "from Ivan Petrov (E1001)" in page.locator("h1").inner_text()
    verdict = page.locator("#verdict").inner_text()
    assert "1 not issued to Ivan Petrov" in verdict and "1 to recount" in verdict
    flagged = page.locator(".return-line", has_text="AT-288293-6")
    assert "not in the return photo" in flagged.locator(".match").inner_text()
    assert "recount required" in flagged.locator(".decision").inner_text()
    stranger = page.locator(".return-line", has_text="A tool not issued to Ivan Petrov")
    assert "matches none of Ivan Petrov's tools" in stranger.locator(".match").inner_text()
    wrench_line = page.locator(".return-line", has_text="AT-288293-5")
    assert "% likely the same tool" in wrench_line.locator(".match").inner_text()
    assert "raw match" in wrench_line.locator(".match").inner_text()
    assert "accepted" in wrench_line.locator(".decision").inner_text()
    assert "marking confirms it" in wrench_line.locator(".decision").inner_text()
    # The flat screwdriver, not read for sure as one here, waits for a look: one click.
    screw_line = page.locator(".return-line", has_text="SCR-0001")
    assert "confirm by eye" in screw_line.locator(".decision").inner_text()
    assert "The desk still owes 2 clicks" in verdict
    screw_line.locator("text=Same tool: confirm").click()
    page.wait_for_selector(".return-line[data-line] .tag.decision-confirmed")
    assert "The desk still owes 1 click: 0 to confirm by eye, 1 to recount" in (
        page.locator("#owed").inner_text()
    )
    # The wrench's etched number is read off the return photo and shown beside the crops.
    wrench_line = page.locator(".return-line", has_text="AT-288293-5").locator(".marking")
    assert "Marking read: AT-288293-5" in wrench_line.inner_text()
    assert "verified by marking" in wrench_line.inner_text()

    with page.expect_download() as download:
        page.click("text=Download report (JSON)")
    report = json.loads(Path(download.value.path()).read_text())
    assert sorted((t["inventory_number"] or "", t["decision"]) for t in report["tools"]) == [
        ("", "extra"),
        ("AT-288293-5", "accepted"),
        ("AT-288293-6", "recount_required"),
        ("SCR-0001", "confirmed"),
    ]

    # Manual recount: the pliers are not in the kit. No page reload: the card changes.
    flagged.locator("input[name=reason]").fill("not in the kit; engineer informed QA")
    flagged.locator("text=Missing: mark lost").click()
    page.wait_for_selector(".return-line .tag.decision-missing")
    assert page.locator("#owed").inner_text() == (
        "No look or recount left; the tools not issued to them still wait for an action."
    )
    assert (
        ToolInstance.objects.get(inventory_number="AT-288293-6").status == ToolInstance.Status.LOST
    )

    # Everyone: the dashboard raises the alert; the histories show every step.
    page.click("nav >> text=Dashboard")
    assert "AT-288293-6" in page.locator("#lost-alert").inner_text()
    assert page.locator("#figures .figure", has_text="lost").locator(".n").inner_text() == "1"

    page.click("#lost-alert >> text=AT-288293-6")
    assert page.locator("#tool-status").inner_text() == "lost"
    history = page.locator("#history").inner_text()
    assert "issued AT-288293-6" in history and "returned AT-288293-6: missing" in history
    assert "not in the kit; engineer informed QA" in history

    page.goto(live_server.url + engineer.get_absolute_url())
    assert page.locator("#held").inner_text() == "Holds no tools."
    history = page.locator("#history").inner_text()
    for number in ("SCR-0001", "AT-288293-5"):
        assert f"issued {number}" in history and f"returned {number}: " in history
    assert "returned AT-288293-6: missing" in history
