"""Every page passes axe-core (WCAG 2.1 A and AA rules) in the browser, on a desk screen and on
a phone; touch targets are at least 44 px high on the phone; the dashboard fits 390 px."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.front.conftest import open_kit_page, upload_photo
from toolcrib.crib import services
from toolcrib.crib.services import ToolLine

AXE = Axe()


SMALL_TARGETS = """() => [...document.querySelectorAll('nav a, button, .button, input[type=submit]')]
  .filter((e) => e.offsetParent !== null && !e.closest('dialog:not([open])'))
  .map((e) => [e.textContent.trim() || e.getAttribute('aria-label'), e.getBoundingClientRect().height])
  .filter(([, h]) => h < 44)"""


WIDE_TABLES = """() => [...document.querySelectorAll('table')]
  .filter((t) => t.scrollWidth > t.clientWidth + 1).map((t) => [t.id, t.scrollWidth])"""


def reach(page):
    """On a phone: what is too small for a finger, and whether the page scrolls sideways."""
    small = page.evaluate(SMALL_TARGETS)
    wide = page.evaluate("document.documentElement.scrollWidth")
    return (small, wide) if small or wide > 390 else None


def violations(page):
    results = AXE.run(page)
    return results.violations_count, results.generate_report()


@pytest.fixture
def crib_day(engineer, tool_factory, storekeeper, desk, jpeg):
    """Something on every page: a tool out, a return with a recount to decide, a lost tool."""
    from toolcrib.crib.models import Engineer

    held, missing, kept = tool_factory("AT-1001"), tool_factory("AT-1002"), tool_factory("AT-1003")
    other = Engineer.objects.create(badge_number="E2002", name="Olga Smirnova")
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(held), ToolLine(missing)]
    )
    services.issue_tools(engineer=other, storekeeper=storekeeper, lines=[ToolLine(kept)])
    tool_return = services.return_tools(engineer=engineer, desk_user=desk, sightings=[])
    return tool_return


def pages_of(live_server, crib_day, engineer):
    tool = crib_day.tools.first().issued_tool.tool_instance
    issue = crib_day.tools.first().issued_tool.issue
    return [
        "/",
        "/tools/",
        f"/tools/{tool.pk}/",
        "/engineers/",
        f"/engineers/{engineer.pk}/",
        "/tool-types/",
        f"/issues/{issue.pk}/",
        f"/returns/{crib_day.pk}/",
        "/labels/",
        "/exports/",
        "/notifications/",
    ]


@pytest.mark.parametrize("screen", ["desk", "phone"])
def test_every_page_passes_axe(
    screen,
    signed_in,
    phone,
    live_server,
    crib_admin,
    desk,
    storekeeper,
    crib_day,
    engineer,
    tmp_path,
    jpeg,
):
    photo = tmp_path / "kit.jpg"
    photo.write_bytes(jpeg(800, 600))
    found = {}
    for user in (crib_admin, desk, storekeeper):
        page = signed_in(user) if screen == "desk" else phone(user)
        for path in pages_of(live_server, crib_day, engineer) + (
            ["/settings/", "/import/"] if user == crib_admin else []
        ):
            page.goto(live_server.url + path)
            count, report = violations(page)
            if count:
                found[(user.username, path)] = report
            if screen == "phone" and reach(page):
                found[(user.username, path, "reach")] = reach(page)
            if screen == "phone" and path == "/":
                page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
                # The dashboard's own tables fit too: nothing to scroll sideways on it.
                wide = page.evaluate(WIDE_TABLES)
                if wide:
                    found[(user.username, path, "wide tables")] = wide
        if user in (desk, storekeeper):
            open_kit_page(page, "Return" if user == desk else "Issue")
            upload_photo(page, photo)
            count, report = violations(page)
            if count:
                found[(user.username, page.url)] = report
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    count, report = violations(page)
    if count:
        found[("anonymous", "login")] = report
    assert not found, "\n\n".join(f"{k}:\n{v}" for k, v in found.items())
