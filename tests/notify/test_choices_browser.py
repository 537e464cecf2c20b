"""Each user chooses what they receive, on their own page, in a real browser."""

from playwright.sync_api import expect

from toolcrib.notify import notices


def test_a_storekeeper_sets_an_address_and_chooses_the_digest(signed_in, storekeeper):
    page = signed_in(storekeeper)
    page.click(".topbar >> text=stella")
    expect(page.locator("#no-email")).to_be_visible()
    overdue = page.get_by_label("Tools overdue (your role's default)")
    assert overdue.is_checked()
    page.fill("input[name=email]", "stella@example.org")
    overdue.uncheck()
    page.get_by_label("Daily digest").check()
    page.click("#choices button[type=submit]")
    assert "Your notifications are saved." in page.locator(".msg-success").inner_text()

    storekeeper.refresh_from_db()
    assert storekeeper.email == "stella@example.org"
    assert notices.wanted(storekeeper) == {"digest"}
    assert notices.subscribers("digest") == [("stella@example.org", None)]
    assert page.get_by_label("Daily digest").is_checked()


def test_a_wrong_address_is_refused(signed_in, storekeeper):
    page = signed_in(storekeeper)
    page.goto(page.url + "notifications/")
    page.fill("input[name=email]", "not an address")
    page.evaluate("document.querySelector('#choices').noValidate = true")
    page.click("#choices button[type=submit]")
    # The answer is a new page; wait for it (content() mid-navigation is empty).
    expect(page.locator("#choices")).to_contain_text("Enter a valid email address.")
    storekeeper.refresh_from_db()
    assert storekeeper.email == ""
