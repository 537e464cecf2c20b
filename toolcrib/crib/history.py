"""The history of one tool or one engineer, oldest first: every issue, return line and change."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from toolcrib.crib import sites
from toolcrib.crib.models import AuditEvent, Engineer, IssuedTool, ReturnedTool, ToolInstance


@dataclass
class Entry:
    when: datetime
    what: str
    who: str
    engineer: str | None = None
    issue_id: int | None = None
    return_id: int | None = None
    match_percent: float | None = None
    detail: str = ""


def _issue_entries(issued_tools):
    for t in issued_tools:
        yield Entry(
            t.issue.created_at,
            f"issued {t.tool_instance}",
            t.issue.storekeeper.get_username(),
            engineer=str(t.issue.engineer),
            issue_id=t.issue_id,
            detail=f"due back {t.due_back:%Y-%m-%d %H:%M}",
        )


def _return_entries(lines):
    for line in lines:
        tool = line.issued_tool.tool_instance if line.issued_tool else "an extra tool"
        what = f"returned {tool}: {line.get_decision_display()}"
        if line.identified_as_id:  # an extra tool the desk identified as this crib tool
            what = f"found {line.identified_as} among {line.tool_return.engineer}'s tools"
        yield Entry(
            line.tool_return.created_at,
            what,
            (line.decided_by or line.tool_return.desk_user).get_username(),
            engineer=str(line.tool_return.engineer),
            return_id=line.tool_return_id,
            match_percent=line.match_percent,
            detail=line.reason,
        )


def tool_history(tool: ToolInstance, user=None) -> list[Entry]:
    changes = AuditEvent.objects.filter(object_type="toolinstance", object_id=str(tool.pk))
    return _history(
        Q(tool_instance=tool),
        Q(issued_tool__tool_instance=tool) | Q(identified_as=tool),
        changes,
        user=user,
    )


def engineer_history(engineer: Engineer, user=None) -> list[Entry]:
    """Their issues and return lines; for a user limited to a site, of that site's tools."""
    return _history(Q(issue__engineer=engineer), Q(tool_return__engineer=engineer), user=user)


def _history(issued_tools: Q, returned_tools: Q, changes=(), user=None) -> list[Entry]:
    """Issues, return lines (each filtered so) and record changes, oldest first."""
    issued = sites.visible(IssuedTool.objects.filter(issued_tools), user).select_related(
        "issue__engineer", "issue__storekeeper", "tool_instance"
    )
    lines = sites.visible(ReturnedTool.objects.filter(returned_tools), user).select_related(
        "tool_return__engineer",
        "tool_return__desk_user",
        "decided_by",
        "issued_tool__tool_instance",
        "identified_as",
    )
    entries = [*_issue_entries(issued), *_return_entries(lines)]
    entries += [
        Entry(e.created_at, f"record {e.action}", e.actor_name or "system", detail=_describe(e))
        for e in changes
    ]
    return sorted(entries, key=lambda e: e.when)


def _describe(event: AuditEvent) -> str:
    if event.action == "changed":
        before = event.before or {}
        # A key with no "before" is said, not changed: the reason given for a change.
        return ", ".join(
            f"{k}: {before[k]} → {v}" if k in before else f"{k}: {v}"
            for k, v in (event.after or {}).items()
        )
    return ""
