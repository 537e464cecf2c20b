"""Turned boxes in the box editor: the selected box turns by its handle or by [ and ], the page
then holds and sends the 5-number box [x0, y0, x1, y1, angle]; a turned box moves and resizes
along its own sides, its turned corners never leave the photo, and a box not turned stays the 4
numbers it always was."""

import json
import math
from urllib.parse import parse_qs

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.front.conftest import open_kit_page, row_boxes, upload_photo, wait_for_recognition

WIDTH, HEIGHT = 800, 600


@pytest.fixture
def plain_photo(tmp_path, jpeg):
    path = tmp_path / "table.jpg"
    path.write_bytes(jpeg(WIDTH, HEIGHT))
    return path


@pytest.fixture
def issue_page(signed_in, storekeeper, plain_photo):
    """The issue page with the photo and one box drawn by the desk (box 2, selected)."""
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    upload_photo(page, plain_photo)
    drag(page, (200, 260), (400, 340))
    assert row_boxes(page)[1] == (200, 260, 400, 340)
    return page


def screen(page, point):
    frame = page.locator(".stage img").bounding_box()
    scale = frame["width"] / WIDTH
    return frame["x"] + point[0] * scale, frame["y"] + point[1] * scale


def photo_point(page, locator):
    """The centre of something drawn on the photo, in photo pixels (read in one go: the page
    draws the boxes again whenever a marking arrives; an element replaced meanwhile is read
    again from the page)."""
    for _ in range(50):
        point = locator.evaluate(
            """(e, width) => {
              if (!e.isConnected) return null;
              const r = e.getBoundingClientRect();
              const f = document.querySelector(".stage img").getBoundingClientRect();
              const scale = f.width / width;
              return [(r.x + r.width / 2 - f.x) / scale, (r.y + r.height / 2 - f.y) / scale];
            }""",
            WIDTH,
        )
        if point is not None:
            return tuple(point)
        locator.page.wait_for_timeout(50)
    raise AssertionError("the element kept being drawn again")


def drag(page, start, end, shift=False):
    """A mouse drag on the photo, in photo pixels."""
    page.locator(".stage img").evaluate("img => img.scrollIntoView({block: 'center'})")
    page.mouse.move(*screen(page, start))
    if shift:
        page.keyboard.down("Shift")
    page.mouse.down()
    page.mouse.move(*screen(page, end), steps=6)
    page.mouse.up()
    if shift:
        page.keyboard.up("Shift")
    wait_for_recognition(page)


def around(centre, point, degrees):
    """`point` turned clockwise (on screen) about `centre`."""
    a = math.radians(degrees)
    dx, dy = point[0] - centre[0], point[1] - centre[1]
    return (
        centre[0] + dx * math.cos(a) - dy * math.sin(a),
        centre[1] + dx * math.sin(a) + dy * math.cos(a),
    )


def corners(box):
    """The four turned corners of a box, clockwise from its own top left."""
    x0, y0, x1, y1, *angle = box
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    return [
        around(centre, p, angle[0] if angle else 0)
        for p in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    ]


def sides(box):
    """Width and height of a box along its own sides, its centre and angle."""
    x0, y0, x1, y1, *angle = box
    return x1 - x0, y1 - y0, ((x0 + x1) / 2, (y0 + y1) / 2), angle[0] if angle else 0


def press(page, *keys, box=1):
    """Keys on a box (it takes the focus first); back once they rest and it is recognised."""
    page.locator("g.tool-box").nth(box).focus()
    for key in keys:
        page.keyboard.press(key)
    page.wait_for_timeout(600)  # a run of keys is recognised once, when they rest
    wait_for_recognition(page)


def recognised(page, act):
    """The boxes sent to POST /api/recognition/ by what `act` does."""
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/api/recognition/")
    ) as sent:
        act()
    wait_for_recognition(page)
    return sent.value.post_data_json["boxes"]


def near(a, b, within=1.5):
    return all(abs(p - q) <= within for p, q in zip(a, b, strict=True)) and len(a) == len(b)


def inside_photo(box):
    return all(-1 <= x <= WIDTH + 1 and -1 <= y <= HEIGHT + 1 for x, y in corners(box))


def test_it_turns_a_box_by_its_handle_and_sends_the_turned_box(issue_page, engineer):
    page = issue_page
    handle = page.locator("g.tool-box.selected circle.turn")
    knob = photo_point(page, handle)
    # The handle sits on a stalk beyond the middle of a short side, on the box's long axis.
    assert knob[0] > 400 and abs(knob[1] - 300) < 1
    assert handle.get_attribute("aria-label") == "Turn box 2"

    # Dragged 30° clockwise about the box's centre: the box turns 30°, and is recognised so.
    boxes = recognised(page, lambda: drag(page, knob, around((300, 300), knob, 30)))
    assert len(boxes[0]) == 5 and near(boxes[0][:4], [200, 260, 400, 340])
    assert abs(boxes[0][4] - 30) <= 1 and boxes[0][4] == round(boxes[0][4], 1)
    assert list(row_boxes(page)[1]) == boxes[0]
    # Drawn turned: the corner handles sit on the turned corners.
    for corner, at in zip(("nw", "ne", "se", "sw"), corners(boxes[0]), strict=True):
        handle_at = photo_point(page, page.locator(f"g.tool-box.selected [data-corner={corner}]"))
        assert near(handle_at, at, 2), (corner, handle_at, at)

    # Turned back to within 3° of upright, it snaps: the 4-number box it was.
    knob = photo_point(page, handle)
    boxes = recognised(page, lambda: drag(page, knob, around((300, 300), knob, -28.5)))
    assert boxes == [[200, 260, 400, 340]] and row_boxes(page)[1] == (200, 260, 400, 340)
    # With Shift it turns in 15° steps.
    knob = photo_point(page, handle)
    drag(page, knob, around((300, 300), knob, 52), shift=True)
    assert row_boxes(page)[1] == (200, 260, 400, 340, 45)

    # What the form posts for the issue carries the turned box; the proposal stays 4 numbers.
    page.fill("input[name=engineer]", "E1001")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/issue/")) as post:
        page.locator("button", has_text="Issue these tools").click()
    lines = json.loads(parse_qs(post.value.post_data)["lines"][0])
    assert [line["box"] for line in lines] == [[0, 0, 800, 600], [200, 260, 400, 340, 45]]
    # Refused (no tool picked): the page comes back with the box turned as it was.
    page.wait_for_selector(".kit-photo[data-ready]", state="attached")
    assert "no inventory number" in page.locator("main").inner_text()
    assert row_boxes(page)[1] == (200, 260, 400, 340, 45)
    assert page.locator("g.tool-box").nth(1).get_attribute("aria-label").endswith("turned 45°")
    frame = page.locator("g.tool-box").nth(1).locator("rect.frame")
    assert frame.get_attribute("transform") == "rotate(45 300 300)"


def test_it_turns_the_selected_box_from_the_keyboard(issue_page):
    page = issue_page

    def keys(*presses):
        return recognised(page, lambda: press(page, *presses))

    assert keys("]", "]", "]") == [[200, 260, 400, 340, 3]]
    # The server takes the turned box: recognised, no error on the page.
    assert page.locator(".photo-error").is_hidden()
    assert keys("Shift+BracketLeft") == [[200, 260, 400, 340, -12]]
    assert row_boxes(page)[1] == (200, 260, 400, 340, -12)
    # Back to upright: 4 numbers again.
    assert keys("Shift+BracketRight", "[", "[", "[") == [[200, 260, 400, 340]]
    # A quarter turn is the upright box it is: sides swapped, the same centre.
    assert keys(*["Shift+BracketRight"] * 6) == [[260, 200, 340, 400]]

    # Turn keys and then Enter on a box are no scan: no number is looked up.
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "number=" in r.url else None)
    press(page, "]", "]", "]", "Enter")
    assert not asked and row_boxes(page)[1] == (260, 200, 340, 400, 3)

    # The page stays accessible with a turned box selected, its handle named.
    keys("Shift+BracketRight")
    assert page.locator("circle.turn title").text_content().startswith("Turn box 2")
    assert "[ and ] turn it" in page.locator(".stage-wrap .hint").inner_text()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_it_moves_and_resizes_a_turned_box_along_its_own_sides(issue_page):
    page = issue_page
    press(page, "Shift+BracketRight", "Shift+BracketRight")
    assert row_boxes(page)[1] == (200, 260, 400, 340, 30)

    # Moved: the same sides and angle, the centre moved with the pointer.
    drag(page, (300, 300), (260, 330))
    w, h, centre, angle = sides(row_boxes(page)[1])
    assert (w, h, angle) == (200, 80, 30) and near(centre, (260, 330))

    # The bottom right corner dragged 40 px along the box's own width: only the width grows,
    # and the opposite corner stays where it was.
    before = corners(row_boxes(page)[1])
    handle = photo_point(page, page.locator("g.tool-box.selected rect[data-corner=se]"))
    assert near(handle, before[2], 2)
    out = around((0, 0), (40, 0), 30)
    drag(page, handle, (handle[0] + out[0], handle[1] + out[1]))
    w, h, centre, angle = sides(row_boxes(page)[1])
    assert abs(w - 240) <= 2 and abs(h - 80) <= 2 and angle == 30
    assert near(corners(row_boxes(page)[1])[0], before[0], 2)

    # Shift+arrows resize along the box's own sides too.
    step = page.evaluate(
        f"Math.max(1, Math.round(8 / (document.querySelector('.stage img').clientWidth / {WIDTH})))"
    )
    box = row_boxes(page)[1]
    press(page, "Shift+ArrowDown")
    assert sides(row_boxes(page)[1])[:2] == (box[2] - box[0], box[3] - box[1] + step)
    assert near(corners(row_boxes(page)[1])[0], corners(box)[0], 1)


def test_it_keeps_the_turned_corners_on_the_photo(issue_page):
    page = issue_page
    press(page, *["Shift+BracketRight"] * 3)
    assert row_boxes(page)[1] == (200, 260, 400, 340, 45)

    # Dragged far beyond the bottom right: it stops where a turned corner meets the edge.
    drag(page, (300, 300), (790, 590))
    box = row_boxes(page)[1]
    assert inside_photo(box), corners(box)
    assert (
        max(x for x, _ in corners(box)) > WIDTH - 2 and max(y for _, y in corners(box)) > HEIGHT - 2
    )
    # A corner dragged off the photo stops at its edge; no corner leaves it.
    handle = photo_point(page, page.locator("g.tool-box.selected rect[data-corner=nw]"))
    drag(page, handle, (5, 5))
    assert inside_photo(row_boxes(page)[1]), corners(row_boxes(page)[1])
    # Keys cannot push it out either.
    press(page, *["ArrowRight"] * 5, *["Shift+ArrowRight"] * 5, "Shift+BracketRight")
    assert inside_photo(row_boxes(page)[1]), corners(row_boxes(page)[1])

    # The whole photo's box has no room to turn: it stays as it is.
    press(page, "]", box=0)
    assert row_boxes(page)[0] == (0, 0, 800, 600)


@pytest.fixture
def diagonal_wrench(tmp_path, photos_dir):
    """The catalogue wrench lying at 35° (clockwise) on a white table."""
    from PIL import Image

    tool = Image.open(photos_dir / "catalog" / "10_open_end_wrench_3_4.jpg").convert("RGB")
    tool = tool.crop((35, 175, 730, 310))
    table = Image.new("RGB", (1600, 1200), (255, 255, 255))
    table.paste(tool.rotate(-35, expand=True, fillcolor=(255, 255, 255)), (300, 300))
    path = tmp_path / "diagonal.jpg"
    table.save(path, quality=92)
    return path


@pytest.mark.model
@pytest.mark.photos
def test_a_diagonal_tool_is_proposed_in_a_turned_box_drawn_turned(
    signed_in, storekeeper, diagonal_wrench
):
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    upload_photo(page, diagonal_wrench)
    [box] = row_boxes(page)
    assert len(box) == 5 and abs(box[4] - 35) < 3, box
    frame = page.locator("g.tool-box").nth(0).locator("rect.frame")
    assert frame.get_attribute("transform").startswith(f"rotate({box[4]:g} ")
    assert page.locator(".photo-error").is_hidden()
    assert "Open-end wrench" in page.locator("main").inner_text()
