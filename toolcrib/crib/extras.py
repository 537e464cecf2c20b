"""What the desk makes of an extra line: a tool in the return photo that the engineer was not
issued (or table texture boxed as one). Each extra line gets one of three actions:

- *not a tool*: dismissed; the line and its crop stay in the return as evidence.
- *this is AT-…* (identified): a crib tool, picked by its number. What the crib expects then:
  a lost tool's loss is closed (back in the crib); a tool another engineer holds is taken back
  for them — their open line (a recount or a look waiting in their return) is settled as found,
  or, if they have not returned yet, their issued tool is closed as back in the crib. Either way
  the tool is physically at the desk, so it is in the crib now; the holder's history and the
  audit trail say who brought it. A tool the records say is in the crib (or broken, in
  calibration...) keeps its status: the identification is recorded, nothing else changes.
- *foreign tool*: not the crib's; reported to QA (ForeignToolReport), on QA's list until QA
  closes it with what was done.

Every action is audited and runs in one transaction; a line already acted on is refused.
"""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from toolcrib.crib import audit, sites
from toolcrib.crib.errors import CribError
from toolcrib.crib.models import ForeignToolReport, IssuedTool, ReturnedTool, ToolInstance

Decision = ReturnedTool.Decision


def _locked_extra(line: ReturnedTool) -> ReturnedTool:
    line = (
        ReturnedTool.objects.select_for_update(of=("self",))
        .select_related("tool_return__engineer")
        .get(pk=line.pk)
    )
    if line.decision != Decision.EXTRA:
        raise CribError(
            f"This line is not an extra tool waiting for an action "
            f"({line.get_decision_display()}); nothing was changed."
        )
    return line


def _decide(line: ReturnedTool, decision: str, user: User, reason: str) -> None:
    line.decision = decision
    line.decided_by, line.decided_at, line.reason = user, timezone.now(), reason
    line.save()


def not_a_tool(line: ReturnedTool, *, user: User, note: str = "") -> ReturnedTool:
    """Dismiss an extra line that is no tool (table texture, a shadow): kept as evidence."""
    with audit.acting_as(user), transaction.atomic():
        line = _locked_extra(line)
        _decide(line, Decision.NOT_A_TOOL, user, (note or "").strip() or "not a tool")
        audit.record(
            "not a tool",
            line,
            before={"decision": Decision.EXTRA},
            after={"decision": line.decision, "reason": line.reason},
        )
    return line


def identify(line: ReturnedTool, number: str, *, user: User, note: str = "") -> ReturnedTool:
    """The extra line is the crib tool numbered `number`: record it, and settle that tool."""
    number = (number or "").strip()
    if not number:
        raise CribError("Give the tool's number (e.g. AT-288293-6); nothing was changed.")
    with audit.acting_as(user), transaction.atomic():
        line = _locked_extra(line)
        tool = ToolInstance.objects.select_for_update().filter(inventory_number__iexact=number)
        tool = tool.first()
        if tool is None:
            raise CribError(f"No crib tool is numbered {number}; nothing was changed.")
        sites.check_reaches(user, [tool], "changed")
        before = {"decision": Decision.EXTRA, "tool": tool.inventory_number, "status": tool.status}
        outcome = _take_back(tool, line, user)
        reason = f"this is {tool.inventory_number}: {outcome}"
        if note := (note or "").strip():
            reason += f" ({note})"
        line.identified_as = tool
        _decide(line, Decision.IDENTIFIED, user, reason)
        audit.record(
            "identified",
            line,
            before=before,
            after={"decision": line.decision, "tool": tool.inventory_number, "outcome": outcome},
        )
    return line


def _take_back(tool: ToolInstance, line: ReturnedTool, user: User) -> str:
    """Settle `tool`, found in `line`'s return photo; what was done, in words."""
    brought = f"found in return {line.tool_return_id} from {line.tool_return.engineer}"
    if tool.status == ToolInstance.Status.LOST:
        tool.status = ToolInstance.Status.IN_CRIB
        tool.save()
        audit.record("loss closed", tool, after={"by": brought})
        return "it was lost; its loss is closed, back in the crib"
    if tool.status != ToolInstance.Status.ISSUED:
        return f"the records had it {tool.get_status_display()}; its status is unchanged"
    issued = (
        IssuedTool.objects.select_for_update()
        .open()
        .select_related("issue__engineer")
        .get(tool_instance=tool)
    )
    holder = issued.issue.engineer
    waiting = ReturnedTool.objects.select_for_update().filter(issued_tool=issued).first()
    if waiting is not None and waiting.decision in ReturnedTool.OPEN_DECISIONS:
        # Their own return is waiting on this tool: it is found.
        before = {"decision": waiting.decision}
        _decide(waiting, Decision.RECOUNTED_ACCEPTED, user, brought)
        audit.record(
            "recount",
            waiting,
            before=before,
            after={"decision": waiting.decision, "reason": brought},
        )
        where = f"settles the recount in {holder}'s return {waiting.tool_return_id}"
    else:
        where = f"returned for {holder}, who held it"
    issued.closed_at = timezone.now()
    issued.save(update_fields=["closed_at"])
    tool.status = ToolInstance.Status.IN_CRIB
    tool.save()
    return f"{where}; back in the crib"


def report_foreign(line: ReturnedTool, *, user: User, note: str = "") -> ForeignToolReport:
    """The extra line is a tool that is not the crib's: a report to QA."""
    with audit.acting_as(user), transaction.atomic():
        line = _locked_extra(line)
        note = (note or "").strip()
        _decide(line, Decision.FOREIGN, user, note or "foreign tool: reported to QA")
        report = ForeignToolReport.objects.create(line=line, reported_by=user, note=note)
        audit.record(
            "foreign tool reported",
            report,
            after={"return": line.tool_return_id, "line": line.pk, "note": note},
        )
    return report


def close_report(report: ForeignToolReport, *, user: User, note: str) -> ForeignToolReport:
    """QA closes a foreign tool report, saying what was done (e.g. handed to the airline)."""
    note = (note or "").strip()
    if not note:
        raise CribError("Say what was done with the foreign tool; the report stays open.")
    with audit.acting_as(user), transaction.atomic():
        report = ForeignToolReport.objects.select_for_update().get(pk=report.pk)
        if report.closed_at is not None:
            raise CribError(f"This report was already closed by {report.closed_by}.")
        report.closed_by, report.closed_at, report.closing_note = user, timezone.now(), note
        report.save()
        audit.record("foreign tool report closed", report, after={"note": note})
    return report


def open_reports(user=None):
    """Foreign tool reports QA has not closed, oldest first (of `user`'s site, if limited)."""
    return (
        sites.visible(ForeignToolReport.objects.open(), user)
        .select_related("line__tool_return__engineer", "reported_by")
        .order_by("reported_at")
    )
