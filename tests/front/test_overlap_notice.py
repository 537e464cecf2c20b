"""Where the proposer cannot cut touching or piled tools apart, the box editor says so on the
page ("k tools overlap here: spread them apart or draw the boxes") instead of offering one box
for several tools as if it were one; at return, the tools the engineer holds bound the count."""

import csv
import re

import pytest
from playwright.sync_api import expect

from inference import turned
from tests.api.test_recognition import piled_kit_photo
from tests.conftest import kit_a_photo
from tests.front.conftest import open_kit_page, upload_photo
from toolcrib.crib import services
from toolcrib.crib.services import ToolLine

NOTICE = "tools overlap here: spread them apart or draw the boxes"
MAYBE = "This box may hold 2 tools: check it, and spread them apart or draw the boxes"


def inside(inner, outer):
    ix = max(0, min(inner[2], outer[2]) - max(inner[0], outer[0]))
    iy = max(0, min(inner[3], outer[3]) - max(inner[1], outer[1]))
    return ix * iy / ((inner[2] - inner[0]) * (inner[3] - inner[1]))


def rows(page):
    """Each tool row's box (a turned box's bounds) and note, as the page shows them."""
    out = []
    for row in page.locator(".tool-row").all():
        box = turned.bounds([float(v) for v in row.get_attribute("data-box").split(",")])
        out.append(
            (box, row.locator(".note").inner_text(), "overlap" in row.get_attribute("class"))
        )
    return out


@pytest.mark.photos
def test_it_says_on_the_issue_page_where_tools_of_the_real_kit_photo_touch(
    signed_in, storekeeper, photos_dir
):
    """The real kit photo (DSCN4950: 11 tools side by side on paper, hard shadows), no count:
    three boxes hold two tools each. The water-pump pliers with the can opener and the
    adjustable wrench with the offset screwdriver say "may hold 2 tools", in their rows, above
    the photo and on the boxes. The open-end wrench with the cross-tip screwdriver is no larger
    than one tool and says nothing (docs/kits.md, "Faint parts on textured tables"). No box
    claims more, and the lockwire pliers and the side cutters, which the shadows used to join,
    have a box each."""
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    upload_photo(page, photos_dir / "kit" / "DSCN4950.JPG")

    with (photos_dir / "kit" / "boxes.csv").open(newline="") as f:
        truths = [tuple(int(r[k]) for k in ("x0", "y0", "x1", "y1")) for r in csv.DictReader(f)]
    pliers, cutters = truths[4], truths[10]
    shown = rows(page)
    held = [sum(inside(t, box) > 0.6 for t in truths) for box, _, _ in shown]
    assert not any(inside(pliers, box) > 0.6 and inside(cutters, box) > 0.6 for box, _, _ in shown)
    merged = [i for i, n in enumerate(held) if n >= 2]
    assert len(merged) == 3, shown
    noticed = [i for i, (_, _, marked) in enumerate(shown) if marked]
    assert len(noticed) == 2 and set(noticed) < set(merged), shown
    above = page.locator(".overlap-note")
    assert above.is_visible()
    for i in noticed:
        assert shown[i][1] == MAYBE, shown[i]
        assert f"Box {i + 1}: {MAYBE}." in above.inner_text()
    assert NOTICE not in above.inner_text()
    # ... and on the box itself.
    k = noticed[0]
    box_on_photo = page.locator(f'g.tool-box[data-i="{k}"]')
    assert "overlap" in box_on_photo.get_attribute("class")
    assert box_on_photo.locator("text").text_content() == f"{k + 1}: 2 tools?"
    assert "(may hold 2 tools)" in box_on_photo.get_attribute("aria-label")

    # The desk draws the boxes itself: a box it drew or moved is one tool; a removed box's
    # notice goes with it.
    page.locator(".tool-row").nth(k).locator(".remove").click()
    assert page.locator(".overlap-note").inner_text().count(MAYBE) == len(noticed) - 1
    assert sum(m for _, _, m in rows(page)) == sum(m for _, _, m in shown) - 1


@pytest.mark.model
@pytest.mark.photos
def test_at_return_the_engineers_tools_bound_how_many_a_pile_holds(
    signed_in, desk, storekeeper, engineer, tool_factory, tmp_path
):
    """Five tools, three piled across each other. The engineer holds these five: the pile can
    hold three of them at most, and the page says so (without the engineer: "4 tools")."""
    data, truths = piled_kit_photo()
    photo = services.store_photo(data)
    tools = [tool_factory(f"AT-10000{i}-1", c) for i, c in enumerate([9, 5, 1, 0, 7])]
    services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[ToolLine(t, photo, b) for t, b in zip(tools, truths)],
    )
    path = tmp_path / "back.jpg"
    path.write_bytes(data)

    page = signed_in(desk)
    open_kit_page(page, "Return")
    page.fill("input[name=engineer]", engineer.badge_number)
    page.keyboard.press("Enter")  # the badge scanner's Enter picks the engineer
    upload_photo(page, path)

    shown = rows(page)
    piles = [
        i
        for i, (box, _, _) in enumerate(shown)
        if sum(inside(t, box) > 0.6 for t in truths[:3]) >= 2
    ]
    assert len(piles) == 1, shown
    k = piles[0]
    assert shown[k][1] == f"3 {NOTICE}" and shown[k][2]
    assert f"Box {k + 1}: 3 {NOTICE}." in page.locator(".overlap-note").inner_text()
    alone = [i for i, (box, _, _) in enumerate(shown) if inside(truths[3], box) > 0.6]
    assert alone and not shown[alone[0]][2]


def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.photos
def test_the_count_typed_at_issue_cuts_the_real_kit_photos_touching_tools_apart(
    signed_in, storekeeper, photos_dir
):
    """The real kit photo again: without a count, 8 boxes for 11 tools (3 hold two; 8 tools
    found, measured on the turned boxes' bounds; 7 while boxes were padded). The storekeeper
    types "11" in "Number of tools": the boxes are proposed again with that count, and all 11
    tools get a box of their own by the turned boxes' bounds (10 while boxes were padded;
    docs/kits.md, "Near-equal regions" and "No pad"). Once a box was changed by hand, a new
    count leaves the boxes alone."""
    with (photos_dir / "kit" / "boxes.csv").open(newline="") as f:
        truths = [tuple(int(r[k]) for k in ("x0", "y0", "x1", "y1")) for r in csv.DictReader(f)]

    def found(shown):
        return sum(any(iou(t, box) >= 0.5 for box, _, _ in shown) for t in truths)

    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    upload_photo(page, photos_dir / "kit" / "DSCN4950.JPG")
    before = rows(page)
    assert (len(before), found(before)) == (8, 8)

    page.get_by_label("Number of tools").fill("11")
    page.get_by_label("Number of tools").press("Enter")
    page.locator(".status", has_text="tool(s) found for 11").wait_for()
    after = rows(page)
    assert len(after) == 11 and found(after) == 11, after

    # The desk removes a box: from then on its boxes are its own.
    page.locator(".tool-row").first.locator(".remove").click()
    page.get_by_label("Number of tools").fill("12")
    page.get_by_label("Number of tools").press("Tab")
    page.locator(".status", has_text="the count is used for the next photo").wait_for()
    assert len(rows(page)) == 10


@pytest.mark.photos
def test_the_count_typed_leaves_only_the_tools_boxes(signed_in, storekeeper, photos_dir):
    """A real screwdriver on a light wood table: without a count the grain makes boxes of its
    own. The storekeeper types "1" in "Number of tools": one box is left, around the
    screwdriver (docs/kits.md, "Told one tool"). The field says so before it is typed."""
    screwdriver = (243, 425, 918, 530)  # by eye on the photo
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    upload_photo(page, photos_dir / "single" / "1_screw_flat__wood.jpg")
    assert len(rows(page)) > 1

    expect(page.get_by_label("Number of tools")).to_have_accessible_description(
        re.compile("boxes beyond it are left out")
    )
    page.get_by_label("Number of tools").fill("1")
    page.get_by_label("Number of tools").press("Enter")
    page.locator(".status", has_text="1 tool(s) found for 1").wait_for()
    ((box, note, overlap),) = rows(page)
    assert iou(screwdriver, box) >= 0.5 and not overlap and note == ""


@pytest.mark.photos
def test_the_boxes_cut_out_of_a_pile_say_check_them(signed_in, storekeeper, tmp_path):
    """Kit A piled on a green cutting mat (make_kits' hard tier), "11" typed: the boxes cut out
    of the piles to reach the count say so above the photo and in their rows; the storekeeper
    checks those first (docs/kits.md, "Boxes cut out of a pile")."""
    path, _ = kit_a_photo(tmp_path, "colour", "piled")
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    page.get_by_label("Number of tools").fill("11")
    upload_photo(page, path)
    page.locator(".status", has_text="tool(s) found").wait_for()

    shown = rows(page)
    cut = [i for i, (_, note, _) in enumerate(shown) if "Cut apart from tools that overlap" in note]
    assert cut and len(cut) < len(shown)
    note = page.locator(".overlap-note")
    for i in cut:
        assert shown[i][2]  # the row is marked like the other notices
        expect(note).to_contain_text(
            f"Box {i + 1}: Cut apart from tools that overlap: check this box."
        )
