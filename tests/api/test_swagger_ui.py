"""Swagger UI in a real browser: signed in to the pages, an engineer of the crib can read the
API's operations and try one."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_lets_a_signed_in_user_try_the_api(live_server, page, storekeeper):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "stella")
    page.fill("input[name=password]", "crib-pass-123")
    page.click("button[type=submit]")

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector("#operations-issues-issues_create")
    assert "Toolcrib API" in page.locator(".info .title").inner_text()

    page.click("#operations-tool-types-tool_types_list .opblock-summary")
    page.click("text=Try it out")
    page.click("text=Execute")
    status = page.locator(
        "#operations-tool-types-tool_types_list .live-responses-table tbody .response-col_status"
    ).first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert (
        "Lockwire pliers"
        in page.locator("#operations-tool-types-tool_types_list .live-responses-table").inner_text()
    )
