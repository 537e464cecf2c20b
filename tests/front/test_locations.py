"""Sites and home locations in a real browser: an admin adds sites, gives a tool its home, and
the tools list filters by site."""

from playwright.sync_api import expect

from toolcrib.crib.models import AuditEvent, Site, ToolInstance


def test_an_admin_gives_tools_a_home_and_the_list_filters_by_site(
    signed_in, crib_admin, tool_factory
):
    tool_factory("AT-1")
    tool_factory("AT-2")
    page = signed_in(crib_admin)
    page.click("nav >> text=Tools")
    page.click("#sites-link")
    for code, name in [("RIX", "Riga line maintenance"), ("VNO", "Vilnius hangar")]:
        page.fill("#new-site input[name=code]", code)
        page.fill("#new-site input[name=name]", name)
        page.click("#new-site button[type=submit]")
        assert f"Added {code} {name}." in page.locator(".msg-success").inner_text()
    page.fill("#new-site input[name=code]", "RIX")
    page.fill("#new-site input[name=name]", "again")
    page.click("#new-site button[type=submit]")
    expect(page.locator("#new-site")).to_contain_text("already exists")
    assert Site.objects.count() == 2  # a second RIX is refused by the form

    for number, site, place in [
        ("AT-1", "RIX", ("A", "3", "2", "14")),
        ("AT-2", "VNO", ("", "", "", "")),
    ]:
        page.click("nav >> text=Tools")
        page.click(f"#tools >> text={number}")
        page.click("#edit-tool-link")
        page.select_option("#edit-tool select[name=site]", label=str(Site.objects.get(code=site)))
        for field, value in zip(["crib", "cabinet", "drawer", "bin"], place):
            page.fill(f"#edit-tool input[name={field}]", value)
        page.click("#edit-tool button[type=submit]")
    assert page.locator("#tool-home").inner_text() == "VNO Vilnius hangar"
    page.click("nav >> text=Tools")
    page.click("#tools >> text=AT-1")
    assert page.locator("#tool-home").inner_text() == (
        "RIX Riga line maintenance · crib A · cabinet 3 · drawer 2 · bin 14"
    )

    page.click("nav >> text=Tools")
    page.select_option("form.filters select[name=site]", label="RIX Riga line maintenance")
    page.click("form.filters button")
    page.wait_for_url("**site=*")
    rows = page.locator("#tools tbody tr")
    assert rows.count() == 1 and "AT-1" in rows.inner_text()
    assert "RIX · crib A · cabinet 3 · drawer 2 · bin 14" in rows.inner_text()

    tool = ToolInstance.objects.get(inventory_number="AT-1")
    change = AuditEvent.objects.filter(object_type="toolinstance", object_id=str(tool.pk)).first()
    assert change.actor == crib_admin and change.after["bin"] == "14"


def test_qa_sees_sites_but_cannot_add_one(signed_in, qa, live_server):
    page = signed_in(qa)
    page.goto(live_server.url + "/sites/")
    assert page.locator("#new-site").count() == 0
