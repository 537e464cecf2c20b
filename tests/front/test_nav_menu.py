"""The main nav on a 390 px phone: one row (the desk's own links and a Menu button), the rest
one tap away; usable by keyboard and screen reader (aria-expanded, Escape), and axe-clean open
and closed. On a desk screen every link shows and there is no button."""

import pytest
from playwright.sync_api import expect

from tests.front.test_accessibility import violations

ROW_TOPS = """() => [...document.querySelectorAll('.mainnav > a, .mainnav > button')]
  .filter((e) => e.offsetParent !== null)
  .map((e) => Math.round(e.getBoundingClientRect().top))"""

pytestmark = pytest.mark.browser


def test_an_admins_nav_is_one_row_and_a_menu_on_a_phone(phone, live_server, crib_admin):
    page = phone(crib_admin)
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    assert len(set(page.evaluate(ROW_TOPS))) == 1  # one row: Dashboard and Menu
    expect(page.locator("nav.mainnav >> text=Tools")).to_be_hidden()
    assert violations(page)[0] == 0, violations(page)[1]

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    for name in ["Tools", "Engineers", "History", "Users", "Import", "Export", "Settings"]:
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    assert violations(page)[0] == 0, violations(page)[1]
    page.get_by_role("link", name="Tools", exact=True).click()
    page.wait_for_url("**/tools/")
    # The new page starts with the menu closed, and says where you are.
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    expect(page.locator("h1")).to_have_text("Tools")


def test_the_menu_works_by_keyboard(phone, live_server, crib_admin):
    page = phone(crib_admin)
    menu = page.get_by_role("button", name="Menu")
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")  # the first folded link comes next
    expect(page.get_by_role("link", name="Mats", exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(page.get_by_role("link", name="Mats", exact=True)).to_be_hidden()


def test_the_desks_links_stay_one_tap_away(phone, live_server, storekeeper):
    page = phone(storekeeper)
    expect(page.get_by_role("link", name="Issue", exact=True)).to_be_visible()
    assert len(set(page.evaluate(ROW_TOPS))) == 1
    page.get_by_role("link", name="Issue", exact=True).click()
    page.wait_for_url("**/issue/")


def test_a_desk_screen_shows_every_link_and_no_menu(signed_in, crib_admin):
    page = signed_in(crib_admin)
    expect(page.locator(".menu-toggle")).to_be_hidden()
    for name in ["Tools", "Users", "Settings"]:
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
