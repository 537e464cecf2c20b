"""When the camera or the model is down, the storekeeper issues by inventory number."""

from tests.front.conftest import fill_issue_by_number, open_kit_page
from toolcrib.crib.models import IssuedTool


def test_it_issues_by_number_without_a_photo(signed_in, storekeeper, engineer, tool_factory):
    tool_factory("AT-288293-6")
    tool_factory("AT-288293-5", class_index=9)
    page = signed_in(storekeeper)
    open_kit_page(page, "Issue")
    # The full name works as well as the badge.
    fill_issue_by_number(page, "Ivan Petrov", ["AT-288293-6", "AT-288293-5"])
    assert page.locator(".tool-count").inner_text() == "2 tools"
    page.click("text=Issue these tools")

    assert "Issued 2 tools to Ivan Petrov (E1001)" in page.locator(".msg-success").inner_text()
    assert page.locator("#held tbody tr").count() == 2
    assert set(IssuedTool.objects.values_list("photo", flat=True)) == {None}
