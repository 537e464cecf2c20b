"""A session that ends under an open page: the desk logs in again in place and the work on the
page (photo, boxes, picks) goes through; a refused CSRF check says what happened and keeps the
form; a badge scanner's Enter picks the engineer and never submits."""

from django.contrib.sessions.models import Session

from tests.front.conftest import open_kit_page, row_boxes, upload_photo, wait_for_recognition
from toolcrib.crib.models import CribSettings, Issue


def end_sessions():
    """As when the session expires: the server no longer knows the browser's session."""
    Session.objects.all().delete()


def log_in_again(page, user):
    dialog = page.locator("dialog.relogin")
    dialog.wait_for()
    assert "Your session has ended" in dialog.inner_text()
    dialog.locator("input[name=username]").fill(user.username)
    dialog.locator("input[name=password]").fill("crib-pass-123")
    dialog.get_by_role("button", name="Log in", exact=True).click()
    dialog.wait_for(state="hidden")


def test_it_asks_to_log_in_again_and_keeps_the_work(
    signed_in, storekeeper, engineer, tool_factory, tmp_path, jpeg
):
    tool_factory("AT-1"), tool_factory("AT-2")
    photo = tmp_path / "kit.jpg"
    photo.write_bytes(jpeg(800, 600))
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    page.fill("input[name=engineer]", "E1001")
    upload_photo(page, photo)

    # The session ends; the next box drawn meets a 401, and the desk logs in again in place.
    end_sessions()
    page.locator(".stage img").evaluate("img => img.scrollIntoView({block: 'center'})")
    frame = page.locator(".stage img").bounding_box()
    scale = frame["width"] / 800
    page.mouse.move(frame["x"] + 100 * scale, frame["y"] + 100 * scale)
    page.mouse.down()
    page.mouse.move(frame["x"] + 300 * scale, frame["y"] + 250 * scale, steps=5)
    page.mouse.up()
    log_in_again(page, storekeeper)
    wait_for_recognition(page)
    assert row_boxes(page) == [(0, 0, 800, 600), (100, 100, 300, 250)]
    assert page.locator(".photo-error").is_hidden()
    assert page.locator(".tool-row").nth(1).locator(".type").inner_text()  # recognised after all
    for i, number in enumerate(["AT-1", "AT-2"]):
        page.locator(".tool-row input").nth(i).fill(number)

    # The session ends again before the submit: the issue goes through after the log-in.
    end_sessions()
    page.click("text=Issue these tools")
    log_in_again(page, storekeeper)
    page.locator(".msg-success").wait_for()
    assert "Issued 2 tools to Ivan Petrov (E1001)" in page.locator(".msg-success").inner_text()
    issue = Issue.objects.get()
    assert sorted((t.tool_instance.inventory_number, t.box) for t in issue.tools.all()) == [
        ("AT-1", (0, 0, 800, 600)),
        ("AT-2", (100, 100, 300, 250)),
    ]


def test_it_says_what_a_refused_csrf_check_means_and_keeps_the_form(signed_in, crib_admin):
    page = signed_in(crib_admin)
    page.click("nav >> text=Settings")
    page.fill("input[name=recount_threshold]", "91.5")
    # A token from before a log-in in another tab, as far as the server can tell.
    page.evaluate(
        "document.querySelector('#settings-form [name=csrfmiddlewaretoken]').value = 'x'.repeat(64)"
    )
    page.click("text=Save settings")

    failure = page.locator("#csrf-failure")
    assert (
        "This form had expired" in failure.inner_text()
        and "Nothing was saved" in failure.inner_text()
    )
    assert page.locator("header.topbar").is_visible()  # the app's own page, not Django's
    assert CribSettings.current().recount_threshold != 91.5
    page.click("text=Send again")
    assert "raw match floor 91.5%" in page.locator(".msg-success").inner_text()
    assert CribSettings.current().recount_threshold == 91.5


def test_it_picks_the_engineer_on_a_scanners_enter_and_does_not_submit(
    signed_in, storekeeper, engineer
):
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    field = page.locator("input[name=engineer]")
    field.click()
    page.keyboard.type("E1001")
    page.keyboard.press("Enter")  # what a badge scanner sends after the badge

    assert field.input_value() == "E1001 · Ivan Petrov"
    assert page.url.endswith("/issue/") and page.locator("#form-error").count() == 0
    assert Issue.objects.count() == 0
    field.fill("nobody")
    field.press("Enter")
    assert "No single engineer matches" in page.locator(".pick-note").inner_text()
    assert page.url.endswith("/issue/") and Issue.objects.count() == 0
