"""Printable PDFs (reportlab, as the kit mats use): the tools out now, and a return's result for
the engineer to sign."""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from toolcrib.crib import dashboard, sites
from toolcrib.crib.models import Return

_STYLES = getSampleStyleSheet()
_GRID = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa3b2")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _pdf(title: str, flowables: list, pagesize=A4) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=pagesize,
        title=title,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
    )
    doc.build(flowables)
    return out.getvalue()


def _table(header: list[str], rows: list[list], widths=None) -> Table:
    cell = _STYLES["BodyText"]
    body = [[Paragraph(escape(str(v)), cell) for v in row] for row in rows]
    table = Table([header, *body], colWidths=widths, repeatRows=1)
    table.setStyle(_GRID)
    return table


def tools_out_pdf(user=None) -> bytes:
    now = timezone.now()
    lines = list(dashboard.tools_out(user))
    rows = [
        [
            line.tool_instance.inventory_number,
            line.tool_instance.tool_type.name,
            str(line.issue.engineer),
            _when(line.issue.created_at),
            _when(line.due_back) + (" OVERDUE" if line.due_back < now else ""),
        ]
        for line in lines
    ]
    title = "Tools out now"
    story = [
        Paragraph(title, _STYLES["Title"]),
        Paragraph(f"{len(rows)} tools out at {_when(now)}.", _STYLES["Normal"]),
        Spacer(0, 4 * mm),
    ]
    if rows:
        story.append(
            _table(["Inventory number", "Tool type", "Held by", "Since", "Due back"], rows)
        )
    return _pdf(title, story, landscape(A4))


def return_pdf(tool_return: Return, user=None) -> bytes:
    lines = (
        sites.visible(tool_return.tools.all(), user)
        .select_related("issued_tool__tool_instance__tool_type", "decided_by")
        .order_by("id")
    )
    rows = []
    for line in lines:
        tool = line.issued_tool.tool_instance if line.issued_tool else None
        rows.append(
            [
                tool.inventory_number if tool else "(not issued to this engineer)",
                tool.tool_type.name if tool else "",
                line.get_decision_display(),
                line.reason or line.verdict_reason,
            ]
        )
    title = f"Return {tool_return.pk}"
    engineer = tool_return.engineer
    story = [
        Paragraph(title, _STYLES["Title"]),
        Paragraph(
            f"Engineer: {escape(str(engineer))}<br/>"
            f"Returned at {_when(tool_return.created_at)} to "
            f"{escape(tool_return.desk_user.get_username())} at the return desk.",
            _STYLES["Normal"],
        ),
        Spacer(0, 4 * mm),
        _table(
            ["Inventory number", "Tool type", "Result", "Reason"],
            rows,
            widths=[38 * mm, 38 * mm, 42 * mm, 62 * mm],
        ),
        Spacer(0, 6 * mm),
    ]
    still_out = engineer.held_tools().count()
    story.append(
        Paragraph(
            f"Tools still out with {escape(engineer.name)} after this return: {still_out}.",
            _STYLES["Normal"],
        )
    )
    story.append(Spacer(0, 14 * mm))
    signatures = Table(
        [
            ["Engineer's signature", "", "Date", ""],
            ["Return desk's signature", "", "Date", ""],
        ],
        colWidths=[45 * mm, 70 * mm, 15 * mm, 40 * mm],
        rowHeights=[14 * mm, 14 * mm],
    )
    signatures.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (1, 0), (1, -1), 0.6, colors.black),
                ("LINEBELOW", (3, 0), (3, -1), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    story.append(signatures)
    return _pdf(title, story)
