"""The export page in a real browser: a date range, a download, the printable PDFs."""

import csv
import datetime
import io

from django.utils import timezone

from toolcrib.crib import services


def test_qa_downloads_this_weeks_issues_and_the_tools_out(
    signed_in, qa, storekeeper, engineer, tool_factory, live_server
):
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(tool_factory("AT-1"))]
    )
    page = signed_in(qa)
    page.click("nav >> text=Export")
    week_ago = timezone.localdate() - datetime.timedelta(days=7)
    page.fill("#dates input[name=since]", week_ago.isoformat())
    page.click("#dates button[type=submit]")
    with page.expect_download() as download:
        page.click("tr[data-export=issues] >> text=CSV")
    assert download.value.suggested_filename == f"toolcrib-issues-from{week_ago:%Y%m%d}.csv"
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[5] for r in rows[1:]] == ["AT-1"]

    pdf = page.request.get(live_server.url + page.locator("#tools-out-pdf").get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")


def test_the_return_page_links_its_pdf_to_sign(
    signed_in, desk, storekeeper, engineer, tool_factory, live_server
):
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(tool_factory("AT-1"))]
    )
    tool_return = services.return_tools(engineer=engineer, desk_user=desk, sightings=[])
    page = signed_in(desk)
    page.goto(live_server.url + f"/returns/{tool_return.pk}/")
    pdf = page.request.get(live_server.url + page.locator("#return-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
