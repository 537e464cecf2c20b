"""The box editor never moves the wrong box: a drag on empty photo or on a box that is not
selected draws; only the selected box moves or resizes; undo and redo; the keyboard; the list
beside the photo highlights both ways; unsure proposals look different."""

import pytest

from tests.front.conftest import open_kit_page, row_boxes, upload_photo, wait_for_recognition


@pytest.fixture
def plain_photo(tmp_path, jpeg):
    """A photo with nothing the proposer finds: one box, the whole photo, proposed unsure."""
    path = tmp_path / "table.jpg"
    path.write_bytes(jpeg(800, 600))
    return path


def screen(page, x, y):
    """Photo pixels -> a point on screen."""
    frame = page.locator(".stage img").bounding_box()
    scale = frame["width"] / 800
    return frame["x"] + x * scale, frame["y"] + y * scale


def mouse_drag(page, start, end):
    page.locator(".stage img").evaluate("img => img.scrollIntoView({block: 'center'})")
    page.mouse.move(*screen(page, *start))
    page.mouse.down()
    page.mouse.move(*screen(page, *end), steps=5)
    page.mouse.up()
    wait_for_recognition(page)


def test_it_draws_inside_an_unselected_box_and_moves_only_the_selected_one(
    signed_in, storekeeper, plain_photo
):
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    upload_photo(page, plain_photo)
    assert row_boxes(page) == [(0, 0, 800, 600)]
    # The proposal covers the whole photo and nobody is sure of it: it looks so.
    assert "unsure" in page.locator("g.tool-box").first.get_attribute("class")
    assert "Unsure: check this box" in page.locator(".tool-row").first.inner_text()

    # A drag inside the unselected box draws a new box; the proposal stays where it was.
    mouse_drag(page, (100, 100), (300, 250))
    assert row_boxes(page) == [(0, 0, 800, 600), (100, 100, 300, 250)]
    # The new box is selected: a drag inside it moves it, and only it.
    mouse_drag(page, (200, 175), (250, 225))
    assert row_boxes(page) == [(0, 0, 800, 600), (150, 150, 350, 300)]
    # A tap selects the big box; its corner handle resizes it; the small one does not move.
    page.locator(".tool-row").first.click()
    mouse_drag(page, (799, 599), (700, 500))
    assert row_boxes(page) == [(0, 0, 700, 500), (150, 150, 350, 300)]

    page.click("text=Undo")
    wait_for_recognition(page)
    assert row_boxes(page) == [(0, 0, 800, 600), (150, 150, 350, 300)]
    page.click("text=Undo")
    wait_for_recognition(page)
    assert row_boxes(page) == [(0, 0, 800, 600), (100, 100, 300, 250)]
    page.click("text=Undo")
    assert row_boxes(page) == [(0, 0, 800, 600)]
    page.keyboard.press("Control+y")  # redo
    wait_for_recognition(page)
    assert row_boxes(page) == [(0, 0, 800, 600), (100, 100, 300, 250)]


def test_it_edits_boxes_from_the_keyboard(signed_in, storekeeper, plain_photo):
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    upload_photo(page, plain_photo)
    mouse_drag(page, (100, 100), (300, 250))
    page.locator(".tool-row").nth(1).locator(".type").wait_for()

    page.locator("g.tool-box").nth(1).focus()
    name = page.locator("g.tool-box").nth(1).get_attribute("aria-label")
    top_type = page.locator(".tool-row").nth(1).locator(".type").inner_text()
    unsure = "unsure" in page.locator(".tool-row").nth(1).get_attribute("class")
    assert name == f"box 2: {top_type}" + (" (unsure)" if unsure else "")
    step = page.evaluate(
        "Math.max(1, Math.round(8 / (document.querySelector('.stage img').clientWidth / 800)))"
    )
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+ArrowRight")
    wait_for_recognition(page)
    page.wait_for_timeout(700)  # a run of keys is recognised once, when they rest
    wait_for_recognition(page)
    assert row_boxes(page)[1] == (100 + step, 100 + step, 300 + 2 * step, 250 + step)
    assert "selected" in page.locator(".tool-row").nth(1).get_attribute("class")

    # Tab goes from box to box; Delete removes the one with the focus.
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.dataset.i") == "0"
    page.keyboard.press("Delete")
    assert row_boxes(page) == [(100 + step, 100 + step, 300 + 2 * step, 250 + step)]


def test_it_lights_up_the_row_of_the_box_under_the_pointer_and_back(
    signed_in, storekeeper, plain_photo
):
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    upload_photo(page, plain_photo)
    mouse_drag(page, (100, 100), (300, 250))

    page.mouse.move(*screen(page, 200, 200))
    assert "hover" in page.locator(".tool-row").nth(1).get_attribute("class")
    assert "hover" not in page.locator(".tool-row").nth(0).get_attribute("class")
    page.locator(".tool-row").nth(0).hover()
    assert "hover" in page.locator("g.tool-box").nth(0).get_attribute("class")
    assert "hover" not in (page.locator("g.tool-box").nth(1).get_attribute("class") or "")


def test_it_refuses_a_tool_already_on_another_line_of_the_issue(
    signed_in, storekeeper, engineer, tool_factory
):
    from toolcrib.crib.models import Issue

    tool_factory("AT-1001")
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    page.fill("input[name=engineer]", "E1001")
    for _ in range(2):
        page.click("text=Add a tool by number")
        page.locator(".tool-row input").last.fill("AT-1001")

    match = page.locator(".tool-row").nth(1).locator(".match")
    assert match.inner_text() == "AT-1001 is already on line 1 of this issue: pick another tool."
    page.click("text=Issue these tools")
    page.wait_for_timeout(300)
    assert page.url.endswith("/issue/") and Issue.objects.count() == 0
    # Another number clears it, on both lines.
    page.locator(".tool-row input").last.fill("AT-1002")
    assert "already" not in page.locator(".tool-rows").inner_text()


def test_a_click_on_a_row_survives_the_list_being_drawn_again_mid_click(
    signed_in, storekeeper, plain_photo
):
    """The list is drawn again whenever an answer arrives (a marking read, a box recognised):
    a click pressed before and released after must still count. Here Escape (deselect) draws
    the list between the press and the release on a row's Remove."""
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    upload_photo(page, plain_photo)
    mouse_drag(page, (100, 100), (300, 250))
    assert len(row_boxes(page)) == 2 and page.locator(".tool-row.selected").count() == 1
    remove = page.locator(".tool-row .remove").first.bounding_box()
    page.mouse.move(remove["x"] + remove["width"] / 2, remove["y"] + remove["height"] / 2)
    page.mouse.down()
    page.keyboard.press("Escape")
    assert page.locator(".tool-row.selected").count() == 0  # the list was drawn again
    page.mouse.up()
    assert row_boxes(page) == [(100, 100, 300, 250)]
