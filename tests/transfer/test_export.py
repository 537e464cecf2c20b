"""Exports read back as a user's spreadsheet would read them (csv, openpyxl), and the PDFs as
text (pdftotext): tools, engineers, issues, returns, recounts, lost tools, the audit trail."""

import csv
import datetime
import io
import subprocess

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from toolcrib.crib import services
from toolcrib.crib.models import AuditEvent, Issue, IssuedTool, Return


@pytest.fixture
def history(storekeeper, desk, engineer, tool_factory):
    """Three tools issued to Ivan; back at the desk: one recounted and found, one missing
    (lost), one still out."""
    tools = [tool_factory(n) for n in ("AT-1", "AT-2", "=HYPERLINK(1)")]
    services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[services.ToolLine(t) for t in tools[:2]],
    )
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(tools[2])]
    )
    tool_return = services.return_tools(engineer=engineer, desk_user=desk, sightings=[])
    lines = {
        line.issued_tool.tool_instance.inventory_number: line for line in tool_return.tools.all()
    }
    services.decide_recount(lines["AT-1"], user=desk, found=True, reason="in the engineer's bag")
    services.decide_recount(
        lines["AT-2"], user=desk, found=False, reason="not found on the aircraft"
    )
    return tool_return


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response):
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def pdf_text(data):
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_export_reads_back_with_its_records(client, qa, history, fmt):
    client.force_login(qa)  # QA reads everything

    def table(slug, **dates):
        response = client.get(reverse(f"export-{fmt}", args=[slug]), dates)
        assert response.status_code == 200
        return read_csv(response) if fmt == "csv" else read_xlsx(response)

    tools = table("tools")
    assert tools[0][:3] == ["inventory number", "tool type", "status"]
    status = {row[0]: row[2] for row in tools[1:]}
    # A cell a spreadsheet would run as a formula comes as text.
    assert status == {"AT-1": "in crib", "AT-2": "lost", "'=HYPERLINK(1)": "issued"}

    assert table("engineers")[1] == ["E1001", "Ivan Petrov", "yes", ""]
    issues = table("issues")
    assert [r[5] for r in issues[1:]] == ["AT-1", "AT-2", "'=HYPERLINK(1)"]
    assert issues[1][3] == "Ivan Petrov" and issues[1][4] == "stella"
    returns = table("returns")
    assert [(r[5], r[9]) for r in returns[1:]] == [
        ("AT-1", "recounted and accepted"),
        ("AT-2", "missing"),
        ("'=HYPERLINK(1)", "recount required"),
    ]
    assert returns[1][12] == "in the engineer's bag" and returns[1][10] == "rita"
    assert table("recounts") == returns  # every line of this return went to a recount
    lost = table("lost")
    assert [(r[5], r[12]) for r in lost[1:]] == [("AT-2", "not found on the aircraft")]
    audit = table("audit")
    assert audit[0] == [
        "at",
        "user",
        "action",
        "object type",
        "object id",
        "object",
        "before",
        "after",
    ]
    assert len(audit) - 1 == AuditEvent.objects.count()
    assert {r[2] for r in audit[1:] if r[1] == "rita"} >= {"returned", "recount"}


def test_the_date_range_keeps_only_what_happened_in_it(
    client, qa, history, storekeeper, engineer, tool_factory
):
    old = Issue.objects.order_by("id").first()
    last_week = timezone.now() - datetime.timedelta(days=7)
    Issue.objects.filter(pk=old.pk).update(created_at=last_week)
    Return.objects.update(created_at=last_week)
    client.force_login(qa)
    today = timezone.localdate().isoformat()
    week_ago = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()

    issues = read_csv(client.get(reverse("export-csv", args=["issues"]), {"since": today}))
    assert [r[5] for r in issues[1:]] == ["'=HYPERLINK(1)"]
    issues = read_csv(
        client.get(reverse("export-csv", args=["issues"]), {"since": week_ago, "until": week_ago})
    )
    assert [r[5] for r in issues[1:]] == ["AT-1", "AT-2"]
    assert read_csv(client.get(reverse("export-csv", args=["returns"]), {"since": today}))[1:] == []
    response = client.get(reverse("export-xlsx", args=["lost"]), {"until": week_ago})
    assert response["Content-Disposition"].endswith(f'-to{week_ago.replace("-", "")}.xlsx"')
    assert len(read_xlsx(response)) == 2

    bad = client.get(reverse("export-csv", args=["issues"]), {"since": today, "until": week_ago})
    assert bad.status_code == 400 and "“To” is before “From”." in bad.content.decode()
    bad = client.get(reverse("export-csv", args=["issues"]), {"since": "yesterday"})
    assert bad.status_code == 400 and "Enter a valid date." in bad.content.decode()


def test_the_tools_out_pdf_lists_who_holds_what(client, qa, history):
    client.force_login(qa)
    response = client.get(reverse("tools-out-pdf"))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Tools out now" in text
    out = IssuedTool.objects.open().count()
    assert f"{out} tools out at" in text
    assert "=HYPERLINK(1)" in text and "Ivan Petrov (E1001)" in text
    assert "AT-1 " not in text  # back in the crib


def test_a_returns_pdf_has_each_tool_its_result_and_places_to_sign(client, desk, history):
    client.force_login(desk)
    text = pdf_text(client.get(reverse("return-pdf", args=[history.pk])).content)
    assert f"Return {history.pk}" in text
    assert "Engineer: Ivan Petrov (E1001)" in text
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert any(line.startswith("AT-1 ") and "recounted and accepted" in line for line in lines)
    assert any(line.startswith("AT-2 ") and "missing" in line for line in lines)
    assert "Engineer's signature" in text and "Return desk's signature" in text
    assert "Tools still out with Ivan Petrov after this return: 1." in text


def test_exports_need_a_signed_in_crib_role(client, make_user):
    assert client.get(reverse("export-csv", args=["audit"])).status_code == 302  # to log in
    client.force_login(make_user("nobody"))
    for url in (
        reverse("export-csv", args=["audit"]),
        reverse("tools-out-pdf"),
        reverse("exports"),
    ):
        assert client.get(url).status_code == 403
    assert client.get("/exports/nothing.csv").status_code in (403, 404)
