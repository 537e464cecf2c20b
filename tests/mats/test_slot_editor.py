"""In a real browser: the admin adjusts a kit mat's slots on the mat's picture (drags one, turns
one with the keyboard and one by its handle) and saves a new version with exactly those changes;
a slot pushed off the mat is refused with a clear message and no version is made. The page
passes axe."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from toolcrib.mats.models import MatTemplate
from toolcrib.mats.services import SlotSpec

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.photos, pytest.mark.model]


def _rectangles(template):
    return {s.label: SlotSpec.of(s) for s in template.slots.all()}


def test_slots_dragged_and_turned_on_the_mat_are_saved_and_an_off_mat_slot_is_refused(
    kit_mat, crib_admin, signed_in, live_server
):
    before = _rectangles(kit_mat)
    page = signed_in(crib_admin)
    page.goto(f"{live_server.url}/mats/{kit_mat.pk}/new-version/")
    canvas = page.locator("#slot-canvas")
    expect(canvas).to_be_visible()
    slot_1 = canvas.locator("g.slot[data-label='1']")
    expect(slot_1).to_be_visible()

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    # Drag slot 1 by (60, 40) screen pixels: the SVG draws the sheet in millimetres.
    mm_per_px = page.evaluate("1 / document.querySelector('#slot-canvas').getScreenCTM().a")
    box = slot_1.locator("polygon").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y + 20, steps=5)
    page.mouse.move(x + 60, y + 40, steps=5)
    page.mouse.up()
    moved_x = before["1"].cx + 60 * mm_per_px
    expect(page.locator("[name=slots-0-cx]")).to_have_value(re.compile(r"\d"))
    assert abs(float(page.locator("[name=slots-0-cx]").input_value()) - moved_x) < 1.5

    # Turn slot 5 three steps to the right with the keyboard (5° each, clockwise).
    canvas.locator("g.slot[data-label='5']").focus()
    for _ in range(3):
        page.keyboard.press("]")
    expect(page.locator("#slot-editor-status")).to_contain_text("Slot 5:")

    # Turn slot 9 with the mouse: choose it, drag its round handle to 15° clockwise.
    canvas.locator("g.slot[data-label='9'] polygon").click()
    handle = canvas.locator("g.slot[data-label='9'] circle.turn").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    target = page.evaluate(
        """() => {
          const svg = document.querySelector('#slot-canvas');
          const i = svg.querySelector("g.slot[data-label='9']").dataset.i;
          const x = +document.querySelector(`[name=slots-${i}-cx]`).value;
          const y = +document.querySelector(`[name=slots-${i}-cy]`).value;
          const a = -15 * Math.PI / 180, r = 100;
          const p = svg.createSVGPoint();
          p.x = x + r * Math.cos(a); p.y = y - r * Math.sin(a);
          const q = p.matrixTransform(svg.getScreenCTM());
          return [q.x, q.y];
        }"""
    )
    page.mouse.move(*target, steps=8)
    page.mouse.up()
    expect(page.locator("#slot-editor-status")).to_contain_text("Slot 9:")

    page.get_by_role("button", name="Save this version").click()
    page.wait_for_url(re.compile(r"/mats/\d+/$"), timeout=120_000)
    saved = MatTemplate.objects.get(name=kit_mat.name, version=2)
    after = _rectangles(saved)
    assert abs(after["1"].cx - moved_x) < 1.5
    assert abs(after["1"].cy - (before["1"].cy + 40 * mm_per_px)) < 1.5
    assert abs(after["1"].angle - before["1"].angle) < 0.11
    assert abs(after["5"].angle - (round(before["5"].angle, 1) - 15)) < 0.11
    assert abs(after["5"].cx - before["5"].cx) < 0.11 and abs(after["5"].cy - before["5"].cy) < 0.11
    assert abs(after["9"].angle - (before["9"].angle - 15)) < 1.0
    assert abs(after["9"].cx - before["9"].cx) < 0.11 and abs(after["9"].cy - before["9"].cy) < 0.11
    for label in set(before) - {"1", "5", "9"}:  # the others as they were (the table's 0.1 mm)
        assert abs(after[label].cx - before[label].cx) < 0.11, label
        assert abs(after[label].angle - before[label].angle) < 0.11, label
    # The moved slot's reference is taken again from the design photo, where it now lies.
    assert saved.design_photo_id == kit_mat.design_photo_id
    assert saved.slots.get(label="1").reference is not None

    # A slot pushed off the mat: the picture marks it, the save says which and makes nothing.
    page.goto(f"{live_server.url}/mats/{saved.pk}/new-version/")
    slot_3 = page.locator("#slot-canvas g.slot[data-label='3']")
    slot_3.focus()
    for _ in range(60):
        page.keyboard.press("Shift+ArrowLeft")
    expect(page.locator("#slot-editor-status")).to_contain_text(
        "reaches outside the mat's free area"
    )
    expect(slot_3).to_have_class(re.compile("outside"))
    page.get_by_role("button", name="Save this version").click()
    expect(page.locator("#form-error")).to_contain_text(
        "Slot 3 reaches outside the mat's free area", timeout=60_000
    )
    assert MatTemplate.objects.filter(name=kit_mat.name).count() == 2
    # The refused edit is still on the page to correct, drawn on the mat.
    expect(page.locator("#slot-canvas g.slot[data-label='3']")).to_have_class(re.compile("outside"))
