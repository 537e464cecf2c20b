"""When the camera or the model is down, the storekeeper issues by inventory number."""

from tests.front.conftest import open_kit_page
from toolcrib.crib.models import IssuedTool


def test_it_issues_by_number_without_a_photo(signed_in, storekeeper, engineer, tool_factory):
    tool_factory("AT-288293-6")
    tool_factory("AT-288293-5", class_index=9)
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    page.fill("input[name=engineer]", "Ivan Petrov")  # the full name works as well as the badge
    for number in ("AT-288293-6", "AT-288293-5"):
        page.click("text=Add a tool by number")
        page.locator(".tool-row input").last.fill(number)
    assert page.locator(".tool-count").inner_text() == "2 tools"
    page.click("text=Issue these tools")

    assert "Issued 2 tools to Ivan Petrov (E1001)" in page.locator(".msg-success").inner_text()
    assert page.locator("#held tbody tr").count() == 2
    assert set(IssuedTool.objects.values_list("photo", flat=True)) == {None}
