"""Every extra line gets an action in the browser, on the return page and on the dashboard:
not a tool, this is AT-… (found), foreign tool (a report QA closes)."""

import pytest

from toolcrib.crib import services
from toolcrib.crib.models import Engineer, ForeignToolReport, ReturnedTool, ToolInstance
from toolcrib.crib.services import ToolLine

PLIERS, WRENCH = "5_safety_pliers__black", "10_open_end_wrench_3_4__black"
TABLE = (1250, 850, 1450, 1050)


@pytest.fixture
def with_extras(tool_factory, storekeeper, desk, engineer, kit_photo):
    """Ivan brings back his wrench, Boris's lockwire pliers, and a patch of table boxed as a
    tool: two extra lines."""
    wrench, pliers = tool_factory("AT-288293-5", 9), tool_factory("AT-288293-6", 4)
    boris = Engineer.objects.create(badge_number="E2002", name="Boris")
    for who, tool, name in ((engineer, wrench, WRENCH), (boris, pliers, PLIERS)):
        path, [box] = kit_photo([(name, (300, 300), 0)])
        photo = services.store_photo(path.read_bytes())
        services.issue_tools(
            engineer=who, storekeeper=storekeeper, lines=[ToolLine(tool, photo, box)]
        )
    path, boxes = kit_photo([(WRENCH, (700, 550), 3), (PLIERS, (300, 200), 1)])
    photo = services.store_photo(path.read_bytes())
    tool_return = services.return_tools(
        engineer=engineer, desk_user=desk, sightings=[(photo, b) for b in [*boxes, TABLE]]
    )
    assert tool_return.tools.filter(decision="extra").count() == 2
    return tool_return, boris


def extra_card(page, box):
    line = ReturnedTool.objects.get(decision="extra", x0=box[0], y0=box[1])
    return page.locator(f".return-line[data-line='{line.pk}']")


def test_on_the_return_page_the_desk_dismisses_texture_and_finds_boris_s_pliers(
    with_extras, signed_in, desk, live_server
):
    tool_return, boris = with_extras
    page = signed_in(desk)
    page.goto(live_server.url + tool_return.get_absolute_url())
    assert "2 not issued to Ivan Petrov" in page.locator("#verdict").inner_text()

    extra_card(page, TABLE).get_by_role("button", name="Not a tool").click()
    page.wait_for_selector(".msg-success")
    assert "Dismissed: not a tool" in page.locator(".msg-success").inner_text()
    card = page.locator(".return-line", has=page.locator(".tag.decision-not_a_tool"))
    assert card.locator("img[alt=returned]").count() == 1  # the crop stays as evidence
    assert card.locator(".extra-actions").count() == 0

    pliers = page.locator(".return-line", has=page.locator(".extra-actions"))
    assert "out to Boris (E2002)" in pliers.inner_text()
    pliers.get_by_label("This is tool number").fill("AT-288293-6")
    pliers.get_by_role("button", name="Found: take it back").click()
    page.wait_for_selector(".msg-success")
    assert "returned for Boris (E2002), who held it" in page.locator(".msg-success").inner_text()
    found = page.locator(".return-line", has=page.locator(".tag.decision-identified"))
    assert "Identified as AT-288293-6" in found.locator(".identified").inner_text()
    assert ToolInstance.objects.get(inventory_number="AT-288293-6").status == "in_crib"
    assert not boris.held_tools().exists()

    found.locator(".identified a").click()  # the tool's history says where it was found
    assert (
        "found AT-288293-6 among Ivan Petrov (E1001)'s tools"
        in page.locator("#history").inner_text()
    )


def test_on_the_dashboard_the_desk_reports_a_foreign_tool_and_qa_closes_it(
    with_extras, signed_in, desk, qa, live_server
):
    page = signed_in(desk)
    rows = page.locator("#flagged-list tbody tr", has=page.locator(".extra-actions"))
    assert rows.count() == 2
    texture = ReturnedTool.objects.get(decision="extra", x0=TABLE[0])
    row = page.locator(f"#flagged-list .extra-actions[data-line='{texture.pk}']")
    row.get_by_label("What it is").fill("a torque wrench, not ours")
    row.get_by_role("button", name="Foreign tool: report to QA").click()
    page.wait_for_selector(".msg-warning")
    assert page.url.endswith("/#flagged")
    assert page.locator("#flagged-list tbody tr").count() == 1
    foreign = page.locator("#foreign-list tbody tr")
    assert foreign.count() == 1 and "a torque wrench, not ours" in foreign.inner_text()
    assert "open: QA closes it" in foreign.inner_text()  # the desk cannot close it

    page = signed_in(qa)
    assert (
        page.locator("#figures .figure", has_text="foreign tool").locator(".n").inner_text() == "1"
    )
    report = page.locator("#foreign-list tbody tr")
    report.get_by_label("What was done").fill("handed to the airline's QA")
    report.get_by_role("button", name="Close the report").click()
    page.wait_for_selector(".msg-success")
    assert "No open foreign tool reports." in page.locator("main").inner_text()
    assert ForeignToolReport.objects.get().closing_note == "handed to the airline's QA"
