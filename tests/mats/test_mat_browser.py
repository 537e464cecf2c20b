"""In a real browser: a return on a mat photo with one tool missing shows the empty slot in
red on the mat and sends that tool to a manual recount, which the desk then decides."""

import pytest
from playwright.sync_api import expect

from toolcrib.crib.models import ToolInstance
from toolcrib.mats import services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.photos, pytest.mark.model]


def test_a_return_on_a_mat_with_one_tool_missing_sends_it_to_recount(
    kit_mat, engineer, storekeeper, desk, signed_in, live_server, tmp_path
):
    services.issue_on_mat(engineer=engineer, storekeeper=storekeeper, data=kit_mat.photo())
    photo = tmp_path / "mat.jpg"
    photo.write_bytes(kit_mat.photo(missing=[4], tilt=28.0))

    page = signed_in(desk)
    page.click("nav >> text=Mats")
    page.click("text=Return on a mat")
    page.fill("#id_engineer", engineer.badge_number)
    page.set_input_files("#id_photo", str(photo))
    # The OCR reads each slot's marking: a loaded machine takes longer than a click waits.
    page.locator("text=Check the return").click()
    page.wait_for_url("**/mats/readings/*/", timeout=240_000)

    verdict = page.locator("#mat-verdict").inner_text()
    assert "10 in place" in verdict and "1 empty slot: straight to a manual recount" in verdict
    row = page.locator("#slot-outcomes tr[data-slot='5']")
    assert row.get_attribute("class") == "slot-empty"
    assert "MAT-05" in row.inner_text() and "empty" in row.inner_text()
    # The picture of the mat loads, its empty slot shaded red.
    page.wait_for_function("document.querySelector('#mat-picture').naturalWidth > 0")
    red = page.evaluate(RED_PIXELS)
    assert red > 500, f"{red} red pixels"
    assert (
        "MAT-05: recount required (its slot on the kit mat is empty)"
        in page.locator("#return-lines").inner_text()
    )

    page.click("text=Decide the recounts")
    line = page.locator("article[data-tool='MAT-05']")
    line.locator("input[name=reason]").fill("not on the mat; searched the aircraft")
    line.locator("text=Missing: mark lost").click()
    # The recount is decided in place (no reload): the line says so.
    expect(line.locator(".decision")).to_contain_text("missing")
    assert ToolInstance.objects.get(inventory_number="MAT-05").status == "lost"


# How many pixels of the picture (every fourth one) have the empty slot's red tint: counted in
# the page, since handing the whole RGBA array to Python (millions of numbers through
# Playwright's protocol) took most of this test's time.
RED_PIXELS = """() => {
  const img = document.querySelector('#mat-picture');
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const rgba = g.getImageData(0, 0, c.width, c.height).data;
  let count = 0;
  for (let i = 0; i < rgba.length; i += 16) {  // every fourth pixel
    const [r, gr, b] = [rgba[i], rgba[i + 1], rgba[i + 2]];
    count += r > 150 && gr < 140 && b < 140 && r - gr > 60;
  }
  return count;
}"""


def test_a_mat_return_at_the_end_of_the_shift_sends_tools_not_on_the_mat_to_recount(
    kit_mat, engineer, storekeeper, desk, tool_factory, signed_in, live_server, tmp_path
):
    from toolcrib.crib import services as crib_services
    from toolcrib.crib.models import ReturnedTool

    services.issue_on_mat(engineer=engineer, storekeeper=storekeeper, data=kit_mat.photo())
    # A torch issued by number, not on the mat: the mat's photo cannot show it.
    torch = tool_factory("TORCH-1", 9)
    crib_services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[crib_services.ToolLine(torch)]
    )
    photo = tmp_path / "mat.jpg"
    photo.write_bytes(kit_mat.photo(tilt=12.0))

    page = signed_in(desk)
    page.goto(live_server.url + "/mats/return/")
    page.fill("#id_engineer", engineer.badge_number)
    page.set_input_files("#id_photo", str(photo))
    expect(page.get_by_label("Nothing: a normal return")).to_be_checked()
    page.get_by_label("The end of the shift").check()
    # The OCR reads each slot's marking: a loaded machine takes longer than a click waits.
    page.locator("text=Check the return").click()
    page.wait_for_url("**/mats/readings/*/", timeout=240_000)

    expect(page.locator("#ends")).to_contain_text("This return ends: the end of the shift")
    expect(page.locator("#return-lines")).to_contain_text(
        "TORCH-1: recount required (not found in the return photo)"
    )
    line = ReturnedTool.objects.get(issued_tool__tool_instance=torch)
    assert line.tool_return.ends == "shift" and line.decision == "recount_required"
    assert not line.tool_return.still_out_tools.exists()
