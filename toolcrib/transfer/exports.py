"""Exports of the crib's records as tables (CSV and XLSX), filtered by date range.

Each export is a header and rows of plain values; `write_csv` and `write_xlsx` turn any of them
into a file. Times are given in the crib's time zone, as the pages show them.
"""

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook

from toolcrib.crib import sites
from toolcrib.crib.models import (
    AuditEvent,
    Engineer,
    IssuedTool,
    ReturnedTool,
    ToolInstance,
)

Rows = Iterable[list]


@dataclass(frozen=True)
class Export:
    slug: str
    title: str
    header: tuple[str, ...]
    rows: Callable[..., Rows]  # (since, until, user)
    dated_by: str  # what the date range applies to, as the page says it


def _local(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _within(records: QuerySet, field: str, since, until, user) -> QuerySet:
    """Records in the date range that `user` may see (a user limited to a site: its own)."""
    records = sites.visible(records, user)
    if since:
        records = records.filter(**{f"{field}__gte": since})
    if until:
        records = records.filter(**{f"{field}__lt": until})
    return records


def _name(user) -> str:
    return user.get_username() if user else ""


def _tools(since, until, user=None) -> Iterator[list]:
    tools = _within(
        ToolInstance.objects.select_related("tool_type", "site"), "created_at", since, until, user
    )
    for t in tools.iterator(chunk_size=2000):
        yield [
            t.inventory_number,
            t.tool_type.name,
            t.get_status_display(),
            t.calibration_due,
            t.notes,
            _local(t.created_at),
            t.site.code if t.site else "",
            t.crib,
            t.cabinet,
            t.drawer,
            t.bin,
        ]


def _engineers(since, until, user=None) -> Iterator[list]:
    for e in Engineer.objects.order_by("name").iterator(chunk_size=2000):
        yield [e.badge_number, e.name, "yes" if e.active else "no", e.supervisor_email]


def _issues(since, until, user=None) -> Iterator[list]:
    lines = _within(
        IssuedTool.objects.select_related(
            "issue__engineer", "issue__storekeeper", "tool_instance__tool_type"
        ).order_by("issue__created_at", "id"),
        "issue__created_at",
        since,
        until,
        user,
    )
    for line in lines.iterator(chunk_size=2000):
        yield [
            line.issue_id,
            _local(line.issue.created_at),
            line.issue.engineer.badge_number,
            line.issue.engineer.name,
            _name(line.issue.storekeeper),
            line.tool_instance.inventory_number,
            line.tool_instance.tool_type.name,
            _local(line.due_back),
            _local(line.closed_at),
        ]


def _return_lines(since, until, user=None, **only) -> QuerySet:
    return _within(
        ReturnedTool.objects.filter(**only)
        .select_related(
            "tool_return__engineer",
            "tool_return__desk_user",
            "issued_tool__tool_instance__tool_type",
            "decided_by",
        )
        .order_by("tool_return__created_at", "id"),
        "tool_return__created_at",
        since,
        until,
        user,
    )


def _percent(value) -> float | str:
    return round(value, 1) if value is not None else ""


def _returns(since, until, user=None, **only) -> Iterator[list]:
    for line in _return_lines(since, until, user, **only).iterator(chunk_size=2000):
        tool = line.issued_tool.tool_instance if line.issued_tool else None
        yield [
            line.tool_return_id,
            _local(line.tool_return.created_at),
            line.tool_return.engineer.badge_number,
            line.tool_return.engineer.name,
            _name(line.tool_return.desk_user),
            tool.inventory_number if tool else "",
            tool.tool_type.name if tool else "",
            _percent(line.match_percent),
            _percent(line.probability),
            line.get_decision_display(),
            _name(line.decided_by),
            _local(line.decided_at),
            line.reason or line.verdict_reason,
        ]


RECOUNT_DECISIONS = (
    ReturnedTool.Decision.RECOUNT_REQUIRED,
    ReturnedTool.Decision.RECOUNTED_ACCEPTED,
    ReturnedTool.Decision.MISSING,
)


def _recounts(since, until, user=None) -> Iterator[list]:
    return _returns(since, until, user, decision__in=RECOUNT_DECISIONS)


def _lost(since, until, user=None) -> Iterator[list]:
    return _returns(since, until, user, decision=ReturnedTool.Decision.MISSING)


def _audit(since, until, user=None) -> Iterator[list]:
    events = _within(
        AuditEvent.objects.order_by("created_at", "id"), "created_at", since, until, user
    )
    for e in events.iterator(chunk_size=2000):
        yield [
            _local(e.created_at),
            e.actor_name,
            e.action,
            e.object_type,
            e.object_id,
            e.object_repr,
            _json(e.before),
            _json(e.after),
        ]


def _json(value) -> str:
    import json

    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


RETURN_HEADER = (
    "return",
    "returned at",
    "badge number",
    "engineer",
    "return desk",
    "inventory number",
    "tool type",
    "match %",
    "likely the same tool %",
    "decision",
    "decided by",
    "decided at",
    "reason",
)

EXPORTS = {
    e.slug: e
    for e in (
        Export(
            "tools",
            "Tools",
            (
                "inventory number",
                "tool type",
                "status",
                "calibration due",
                "notes",
                "added at",
                "site",
                "crib",
                "cabinet",
                "drawer",
                "bin",
            ),
            _tools,
            "added",
        ),
        Export(
            "engineers",
            "Engineers",
            ("badge number", "name", "active", "supervisor email"),
            _engineers,
            "",
        ),
        Export(
            "issues",
            "Issues",
            (
                "issue",
                "issued at",
                "badge number",
                "engineer",
                "storekeeper",
                "inventory number",
                "tool type",
                "due back",
                "back or closed at",
            ),
            _issues,
            "issued",
        ),
        Export("returns", "Returns", RETURN_HEADER, _returns, "returned"),
        Export("recounts", "Recounts", RETURN_HEADER, _recounts, "returned"),
        Export("lost", "Lost tools", RETURN_HEADER, _lost, "returned"),
        Export(
            "audit",
            "Audit trail",
            ("at", "user", "action", "object type", "object id", "object", "before", "after"),
            _audit,
            "recorded",
        ),
    )
}

# A cell a spreadsheet would run as a formula is written as text (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def write_csv(export: Export, since, until, user=None) -> Iterator[str]:
    """The CSV text, row by row (UTF-8 with a BOM, so that Excel reads it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(export.header)
    yield "\ufeff" + out.getvalue()
    for row in export.rows(since, until, user):
        out.seek(0)
        out.truncate()
        writer.writerow([_cell(v) for v in row])
        yield out.getvalue()


def write_xlsx(export: Export, since, until, user=None) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(export.title)
    sheet.append(list(export.header))
    for row in export.rows(since, until, user):
        sheet.append([_cell(v) for v in row])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()
