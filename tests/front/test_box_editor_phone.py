"""The box editor on a phone (390 x 844, touch): pinch to zoom and pan, handles that keep a
fingertip's size on screen at any zoom, and a one-finger draw that never grabs a handle."""

import pytest

from tests.front.conftest import open_kit_page, row_boxes, upload_photo, wait_for_recognition


@pytest.fixture
def table_photo(tmp_path, jpeg):
    path = tmp_path / "table.jpg"
    path.write_bytes(jpeg(1600, 1200))
    return path


class Fingers:
    """Touches as the phone's screen sends them (Chromium's own touch input, via CDP)."""

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)

    def send(self, kind, points):
        self.cdp.send(
            "Input.dispatchTouchEvent",
            {
                "type": kind,
                "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)],
            },
        )

    def drag(self, start, end, steps=6):
        self.send("touchStart", [start])
        for k in range(1, steps + 1):
            t = k / steps
            self.send(
                "touchMove",
                [(start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t)],
            )
        self.send("touchEnd", [])

    def pinch(self, centre, from_gap, to_gap, shift=0, steps=6):
        """Two fingers about `centre`, spreading from one gap to another and moving `shift`
        pixels sideways together."""
        cx, cy = centre
        self.send("touchStart", [(cx - from_gap / 2, cy), (cx + from_gap / 2, cy)])
        for k in range(1, steps + 1):
            gap = from_gap + (to_gap - from_gap) * k / steps
            x = cx + shift * k / steps
            self.send("touchMove", [(x - gap / 2, cy), (x + gap / 2, cy)])
        self.send("touchEnd", [])


def centre_on_screen(page):
    page.locator(".viewport").evaluate("v => v.scrollIntoView({block: 'center'})")


def on_screen(page, x, y, width=1600):
    frame = page.locator(".stage img").bounding_box()
    scale = frame["width"] / width
    return frame["x"] + x * scale, frame["y"] + y * scale


def handle_size(page):
    return page.locator("g.tool-box.selected .handle").first.bounding_box()["width"]


def empty_issue_page(phone, storekeeper, table_photo):
    """The issue page on the phone with the table photo and no box (the whole-photo proposal
    removed), the photo centred on screen; and the fingers that touch it."""
    page = phone(storekeeper)
    open_kit_page(page, "Issue")
    upload_photo(page, table_photo)
    page.locator(".tool-row .remove").click()
    fingers = Fingers(page)
    centre_on_screen(page)
    return page, fingers


def test_it_zooms_with_two_fingers_and_draws_with_one(phone, live_server, storekeeper, table_photo):
    page, fingers = empty_issue_page(phone, storekeeper, table_photo)
    assert page.evaluate("matchMedia('(pointer: coarse)').matches")
    width_before = page.locator(".stage img").bounding_box()["width"]
    assert width_before <= 390

    # One finger draws; the handles are a fingertip at most and never a third of the box.
    fingers.drag(on_screen(page, 200, 200), on_screen(page, 700, 600))
    wait_for_recognition(page)
    [a] = row_boxes(page)
    assert abs(a[0] - 200) < 15 and abs(a[3] - 600) < 15
    assert 5 <= handle_size(page) <= 30
    fingers.drag(on_screen(page, 950, 750), on_screen(page, 1300, 1000))
    wait_for_recognition(page)
    assert row_boxes(page)[0] == a and len(row_boxes(page)) == 2

    # Two fingers zoom in about their midpoint, then pan; no box changes.
    centre_on_screen(page)
    frame = page.locator(".viewport").bounding_box()
    middle = (frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2)
    fingers.pinch(middle, 60, 240)
    zoom = float(page.locator(".viewport").get_attribute("data-zoom"))
    assert zoom > 2.5
    assert page.locator(".stage img").bounding_box()["width"] > 2.5 * width_before
    assert abs(handle_size(page) - 28) <= 2  # the same size on screen as before the zoom
    scrolled = page.evaluate("document.querySelector('.viewport').scrollLeft")
    fingers.pinch(middle, 100, 100, shift=80)
    assert page.evaluate("document.querySelector('.viewport').scrollLeft") < scrolled - 40
    fingers.pinch(middle, 100, 100, shift=-80)
    assert len(row_boxes(page)) == 2 and row_boxes(page)[0] == a

    # Zoomed in, a one-finger draw from the corner of the box that is not selected draws a
    # new box: it does not grab that box.
    start = on_screen(page, a[2], a[3])
    fingers.drag(start, (start[0] + 100, start[1] + 80))
    wait_for_recognition(page)
    assert len(row_boxes(page)) == 3 and row_boxes(page)[0] == a


def test_one_finger_turns_a_box_by_its_handle(phone, live_server, storekeeper, table_photo):
    """A diagonal tool on a phone: the turn handle is a fingertip's size and follows the
    finger about the box's centre."""
    from tests.front.test_box_editor_turn import around

    page, fingers = empty_issue_page(phone, storekeeper, table_photo)
    fingers.drag(on_screen(page, 400, 500), on_screen(page, 1200, 700))
    wait_for_recognition(page)
    [box] = row_boxes(page)
    knob = page.locator("g.tool-box.selected circle.turn").bounding_box()
    assert knob["width"] >= 20  # a fingertip, not a mouse's pin
    start = (knob["x"] + knob["width"] / 2, knob["y"] + knob["height"] / 2)
    middle = on_screen(page, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    fingers.drag(start, around(middle, start, 25), steps=10)  # 25° clockwise on screen
    wait_for_recognition(page)
    [turned] = row_boxes(page)
    assert len(turned) == 5 and abs(turned[4] - 25) <= 2
    assert all(abs(p - q) <= 2 for p, q in zip(turned[:4], box[:4], strict=True))
