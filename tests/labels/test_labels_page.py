"""The labels page: pick tools (all, a tool type, a selection), download their labels."""

from pathlib import Path

from django.urls import reverse

from bench.labels import decode, render_pages
from tests.front.conftest import sign_in


def read_back(pdf: bytes) -> list[str]:
    return sorted(n for page in render_pages(pdf, 150) for n in decode(page))


def test_a_storekeeper_ticks_tools_and_downloads_their_labels(
    page, live_server, storekeeper, tool_factory
):
    tool_factory("AT-288293-6", class_index=6)
    tool_factory("AT-288293-5", class_index=9)
    tool_factory("SCR-0001", class_index=1)
    sign_in(page, live_server, storekeeper)
    page.click("nav >> text=Tools")
    page.click("#print-labels")
    page.check("#label-tools tr:has-text('AT-288293-6') input[type=checkbox]")
    page.check("#label-tools tr:has-text('SCR-0001') input[type=checkbox]")
    with page.expect_download() as download:
        page.click("text=Download the labels (PDF)")
    assert download.value.suggested_filename == "labels-2-tools-a4.pdf"
    assert read_back(Path(download.value.path()).read_bytes()) == ["AT-288293-6", "SCR-0001"]


def test_labels_of_one_tool_type_on_the_label_printer(page, live_server, crib_admin, tool_factory):
    pliers = [tool_factory(f"AT-28829{n}-6", class_index=6) for n in range(3)]
    tool_factory("SCR-0001", class_index=1)
    sign_in(page, live_server, crib_admin)
    page.goto(live_server.url + reverse("labels"))
    page.check("input[name=which][value=type]")
    page.select_option("select[name=tool_type]", str(pliers[0].tool_type_id))
    page.check("input[name=layout][value=roll]")
    with page.expect_download() as download:
        page.click("text=Download the labels (PDF)")
    pdf = Path(download.value.path()).read_bytes()
    pages = render_pages(pdf, 300)
    assert len(pages) == 3  # one 25 x 12 mm label per page
    assert sorted(n for p in pages for n in decode(p)) == [t.inventory_number for t in pliers]


def test_a_tool_page_prints_its_own_label(client, qa, tool_factory):
    tool = tool_factory("AT-288293-6")
    client.force_login(qa)
    link = reverse("labels") + f"?which=tools&tool={tool.pk}&layout=roll"
    assert link.replace("&", "&amp;") in client.get(tool.get_absolute_url()).content.decode()
    response = client.get(link)
    assert response["Content-Type"] == "application/pdf"
    assert read_back(response.content) == ["AT-288293-6"]


def test_all_tools(client, desk, tool_factory):
    for n in ("B-1", "A-1", "C-1"):
        tool_factory(n)
    client.force_login(desk)
    response = client.get(reverse("labels"), {"which": "all", "layout": "a4"})
    assert read_back(response.content) == ["A-1", "B-1", "C-1"]


def test_nothing_picked_or_nonsense_says_why_and_gives_no_pdf(client, storekeeper, tool_factory):
    tool_factory("AT-288293-6")
    client.force_login(storekeeper)
    for query, message in [
        ({"which": "tools", "layout": "a4"}, "Tick at least one tool."),
        ({"which": "type", "layout": "a4"}, "Pick the tool type whose labels to print."),
        ({"which": "tools", "tool": "99999", "layout": "a4"}, "Select a valid choice."),
        ({"which": "tools", "tool": "x';", "layout": "a4"}, "is not a valid value"),
        ({"which": "all", "layout": "A0"}, "Select a valid choice."),
    ]:
        response = client.get(reverse("labels"), query)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert message in response.content.decode(), query


def test_signed_out_goes_to_the_login_page(client):
    response = client.get(reverse("labels"), {"which": "all", "layout": "a4"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
