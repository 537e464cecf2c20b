"""The admin's tool page in a real browser: edit a tool instance, change its status with a
reason; an issued tool cannot be retired or set in the crib."""

from toolcrib.crib import services
from toolcrib.crib.models import AuditEvent, ToolInstance


def open_edit(page, number):
    page.click("nav >> text=Tools")
    page.click(f"#tools >> text={number}")
    page.click("#edit-tool-link")


def test_an_admin_marks_a_tool_broken_then_found_with_reasons(signed_in, crib_admin, tool_factory):
    tool_factory("AT-288293-6")
    page = signed_in(crib_admin)
    open_edit(page, "AT-288293-6")

    page.select_option("#status-form select[name=status]", "broken")
    page.click("#status-form button[type=submit]")  # no reason
    assert "needs a reason; nothing was changed" in page.locator(".msg-error").inner_text()
    assert ToolInstance.objects.get().status == "in_crib"

    page.select_option("#status-form select[name=status]", "broken")
    page.fill("#status-form input[name=reason]", "ratchet slips")
    page.click("#status-form button[type=submit]")
    assert "AT-288293-6 is now broken." in page.locator(".msg-success").inner_text()
    assert page.locator("#tool-status").inner_text() == "broken"
    assert "reason: ratchet slips" in page.locator("#history").inner_text()

    page.click("#edit-tool-link")
    page.select_option("#status-form select[name=status]", "in_crib")
    page.fill("#status-form input[name=reason]", "mended by the workshop")
    page.click("#status-form button[type=submit]")
    assert page.locator("#tool-status").inner_text() == "in crib"
    changes = AuditEvent.objects.filter(
        object_type="toolinstance", action="changed", actor=crib_admin
    )
    assert [c.after for c in changes.order_by("id")] == [
        {"status": "broken", "reason": "ratchet slips"},
        {"status": "in_crib", "reason": "mended by the workshop"},
    ]


def test_an_admin_edits_a_tools_number_type_and_notes(signed_in, crib_admin, tool_factory):
    tool_factory("AT-1")
    tool_factory("AT-2")
    page = signed_in(crib_admin)
    open_edit(page, "AT-1")

    page.fill("#edit-tool input[name=inventory_number]", "AT-2")
    page.click("#edit-tool button[type=submit]")
    assert "Another tool already has the number AT-2." in page.locator("#edit-tool").inner_text()
    assert ToolInstance.objects.filter(inventory_number="AT-1").exists()

    page.fill("#edit-tool input[name=inventory_number]", "AT-288293-7")
    page.select_option("#edit-tool select[name=tool_type]", label="Adjustable wrench")
    page.fill("#edit-tool input[name=notes]", "blue handle")
    page.click("#edit-tool button[type=submit]")
    assert "Saved AT-288293-7." in page.locator(".msg-success").inner_text()
    tool = ToolInstance.objects.get(inventory_number="AT-288293-7")
    assert (tool.tool_type.name, tool.notes) == ("Adjustable wrench", "blue handle")


def test_an_issued_tool_cannot_be_retired_or_set_in_the_crib(
    signed_in, crib_admin, storekeeper, engineer, tool_factory
):
    tool = tool_factory("AT-1")
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(tool)]
    )
    page = signed_in(crib_admin)
    open_edit(page, "AT-1")
    assert "Issued to Ivan Petrov (E1001)" in page.locator("#held-note").inner_text()

    for status in ["retired", "in_crib"]:
        page.select_option("#status-form select[name=status]", status)
        page.fill("#status-form input[name=reason]", "inventory check")
        page.click("#status-form button[type=submit]")
        assert (
            "AT-1 is issued to Ivan Petrov (E1001): only a return at the desk takes it back; "
            "nothing was changed." in page.locator(".msg-error").inner_text()
        )
    tool.refresh_from_db()
    assert tool.status == "issued"


def test_a_storekeeper_cannot_edit_tools(signed_in, storekeeper, tool_factory, live_server, client):
    tool = tool_factory("AT-1")
    page = signed_in(storekeeper)
    page.goto(live_server.url + f"/tools/{tool.pk}/")
    assert page.locator("#edit-tool-link").count() == 0
    assert page.goto(live_server.url + f"/tools/{tool.pk}/edit/").status == 403
    client.force_login(storekeeper)  # past the page: the server refuses the post itself
    response = client.post(f"/tools/{tool.pk}/status/", {"status": "retired", "reason": "x"})
    assert response.status_code == 403
    tool.refresh_from_db()
    assert tool.status == "in_crib"
