"""What was read off each tool at upload, on the issue, return and enrolment pages (real
browser, real model, real OCR): two identical lockwire pliers, the photo's pliers etched
AT-288293-6. The marking picks AT-288293-6 at issue although the look is nearer AT-288293-5."""

import time

import pytest

from tests.front.conftest import open_kit_page, upload_photo
from tests.kit_photos import single_photo
from toolcrib.crib import services

pytestmark = pytest.mark.browser
PLIERS = "5_safety_pliers"


@pytest.fixture
def two_pliers(tool_factory, crib_admin, model_path, photos_dir):
    """AT-288293-5 enrolled from the very photo the desk will show (the nearest look),
    AT-288293-6 from its photo on wood."""
    tools = {}
    for number, photo_name in (("AT-288293-5", "black"), ("AT-288293-6", "wood")):
        tools[number] = tool_factory(number, 4)
        data, box = single_photo(f"{PLIERS}__{photo_name}")
        services.enrol(tools[number], services.store_photo(data), box, user=crib_admin)
    return tools


def wait_for_markings(page):
    page.wait_for_function(
        "document.querySelector('.marking-progress').textContent.startsWith('Markings read')"
    )


def hold_marking_reads(page):
    """The marking reads are held back (then sent on, to the real server) so that the test sees
    the page between the boxes' answer and the markings'."""
    held = []
    page.route("**/api/recognition/markings/", lambda route: held.append(route))
    return held


def read_by_the_reader():
    """Until the marking reader (beside the live server) has read every queued box."""
    from toolcrib.crib import marking_queue

    for _ in range(600):
        if not marking_queue.pending():
            return
        time.sleep(0.1)
    raise AssertionError("the marking reader did not read the queued boxes")


def sent(page, held):
    for _ in range(100):
        if held:
            return held
        page.wait_for_timeout(50)
    raise AssertionError("the page asked for no marking")


def test_the_marking_picks_the_tool_at_issue_and_shows_on_every_page(
    two_pliers, signed_in, storekeeper, desk, crib_admin, engineer, kit_photo, live_server
):
    photo, _ = kit_photo([(f"{PLIERS}__black", (150, 120), 0)])
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    page.fill("input[name=engineer]", "E1001")
    held = hold_marking_reads(page)
    with page.expect_response("**/api/recognition/") as first:
        upload_photo(page, photo)

    # The boxes came without waiting for the OCR: the marking is still being read.
    assert [t["marking"]["check"] for t in first.value.json()["tools"]] == ["reading"]
    page.wait_for_function("document.querySelector('.marking-progress').textContent !== ''")
    assert page.locator(".marking-progress").inner_text() == "Reading markings… 0 of 1"
    assert page.locator(".tool-row .marking").inner_text() == "Reading the marking…"
    # Meanwhile the nearest look is proposed.
    assert page.locator(".tool-row input").input_value() == "AT-288293-5"
    [route] = sent(page, held)
    read_by_the_reader()  # so that the page's first question gets the answer
    with page.expect_response("**/api/recognition/markings/") as second:
        route.continue_()
    page.unroute("**/api/recognition/markings/")
    wait_for_markings(page)
    assert second.value.json()["markings"][0]["marking"]["check"] == "confirmed"
    assert page.locator(".marking-progress").inner_text() == "Markings read: 1 of 1"

    [row] = [r for r in page.locator(".tool-row").all() if r.locator(".marking").inner_text()]
    assert row.locator(".marking").inner_text() == "Marking AT-288293-6 read"
    # The nearest look is the other pliers (first in the list); the marking wins.
    assert row.locator("datalist option").first.get_attribute("value") == "AT-288293-5"
    assert row.locator("input").input_value() == "AT-288293-6"
    assert row.locator(".match").inner_text().startswith("picked by its marking")
    page.click("text=Issue these tools")
    page.wait_for_url(f"**/engineers/{engineer.pk}/")
    assert "AT-288293-6" in page.locator("#held").inner_text()

    # The desk sees the reading on the line before checking the return.
    page = signed_in(desk)
    open_kit_page(page, "Return")
    page.fill("input[name=engineer]", "E1001")
    upload_photo(page, photo)
    wait_for_markings(page)
    marks = [m for m in page.locator(".tool-row .marking").all_inner_texts() if m]
    assert marks == ["Marking AT-288293-6 read"]
    page.click("text=Check the return")
    page.wait_for_url("**/returns/*/")
    assert "verified by marking" in page.locator("main").inner_text()

    # Enrolling this photo as the other pliers: the page says the marking is not its number.
    page = signed_in(crib_admin)
    page.goto(live_server.url + two_pliers["AT-288293-5"].get_absolute_url())
    upload_photo(page, photo)
    wait_for_markings(page)
    marks = [m for m in page.locator(".tool-row .marking").all_inner_texts() if m]
    assert marks == ["Marking reads AT-288293-6, not this tool's number AT-288293-5"]


def test_a_tool_picked_by_hand_stays_when_the_marking_arrives(
    two_pliers, signed_in, storekeeper, engineer, kit_photo
):
    photo, _ = kit_photo([(f"{PLIERS}__black", (150, 120), 0)])
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    page.fill("input[name=engineer]", "E1001")
    held = hold_marking_reads(page)
    upload_photo(page, photo)
    page.wait_for_function("document.querySelector('.marking-progress').textContent !== ''")
    page.locator(".tool-row input").fill("AT-288293-5")  # the storekeeper's own pick

    [route] = sent(page, held)
    route.continue_()
    page.unroute("**/api/recognition/markings/")
    wait_for_markings(page)

    row = page.locator(".tool-row")
    assert row.locator(".marking").inner_text() == "Marking AT-288293-6 read"
    assert row.locator("input").input_value() == "AT-288293-5"
    page.click("text=Issue these tools")
    page.wait_for_url(f"**/engineers/{engineer.pk}/")
    assert "AT-288293-5" in page.locator("#held").inner_text()


def test_a_photo_fills_a_new_tool_s_number_from_its_marking(
    signed_in, crib_admin, kit_photo, live_server
):
    photo, _ = kit_photo([(f"{PLIERS}__black", (150, 120), 0)])
    page = signed_in(crib_admin)
    page.click("nav >> text=Tools")
    page.wait_for_selector(".read-number[data-ready]", state="attached")
    page.set_input_files("input[data-action=read-number]", str(photo))
    page.wait_for_function(
        "document.querySelector('.read-number .status').textContent.startsWith('Read ')"
    )

    assert page.input_value("#id_inventory_number") == "AT-288293-6"
    assert page.locator("#id_tool_type option:checked").inner_text() == "Lockwire pliers"
    page.click("text=Add tool")
    assert page.locator(".msg-success").inner_text() == "Added AT-288293-6."


def test_the_admin_sets_the_number_patterns_on_the_settings_page(signed_in, crib_admin):
    page = signed_in(crib_admin)
    page.click("nav >> text=Settings")
    patterns = page.locator("#id_marking_patterns")
    assert patterns.input_value() == "[A-Z]{2}-\\d{6}-\\d"

    patterns.fill("[A-Z]{2}-\\d{6}-\\d\nTC-(\\d{5}")
    page.click("text=Save settings")
    assert (
        "Pattern 2 (TC-(\\d{5}) is not a regular expression"
        in page.locator("#settings-form").inner_text()
    )
    assert "→" not in page.locator("#setting-changes").inner_text()  # nothing was changed

    page.locator("#id_marking_patterns").fill("[A-Z]{2}-\\d{6}-\\d\nTC-\\d{5}")
    page.fill("#id_marking_min_partial", "7")
    page.click("text=Save settings")
    page.wait_for_selector(".msg-success")
    changes = page.locator("#setting-changes").inner_text()
    assert "number patterns “[A-Z]{2}-\\d{6}-\\d” → “[A-Z]{2}-\\d{6}-\\d” “TC-\\d{5}”" in changes
    assert "shortest partial read 6 characters → 7 characters" in changes
    assert crib_admin.username in changes
