"""Writes that touch several records: store a photo, enrol, issue, return, decide a recount.

The pages and the API both call these; each runs in one transaction and either does all of
its work or none of it. Bad input raises CribError with a message fit to show the user.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from toolcrib.crib import audit, recognition
from toolcrib.crib.matching import assign
from toolcrib.crib.models import (
    CribSettings,
    Engineer,
    Enrolment,
    Issue,
    IssuedTool,
    Photo,
    Return,
    ReturnedTool,
    ToolInstance,
)
from toolcrib.crib.photos import check_photo

Box = tuple[int, int, int, int]


class CribError(Exception):
    """A request the crib refuses; the message says why, in the crib's words."""


class ToolUnavailable(CribError):
    pass


@dataclass
class ToolLine:
    """One tool handed out: the instance, and where it is in the issue photo (if photographed)."""

    tool_instance: ToolInstance
    photo: Photo | None = None
    box: Box | None = None


def store_photo(data: bytes, *, name: str = "photo.jpg", user=None) -> Photo:
    """Keep an uploaded photo after checking it is one (size, format, pixels)."""
    width, height, ext = check_photo(data)
    sha = hashlib.sha256(data).hexdigest()
    photo = Photo(sha256=sha, width=width, height=height, uploaded_by=user if user and user.is_authenticated else None)
    photo.image.save(f"{sha[:16]}.{ext}", ContentFile(data), save=False)
    photo.save()
    return photo


def check_box(photo: Photo, box: Box) -> Box:
    try:
        x0, y0, x1, y1 = (int(v) for v in box)
    except (TypeError, ValueError):
        raise CribError(f"A box is four whole numbers x0, y0, x1, y1; got {box!r}.") from None
    if x1 <= x0 or y1 <= y0:
        raise CribError(f"Box {box} is empty or inverted: x1 must exceed x0 and y1 exceed y0.")
    if x0 < 0 or y0 < 0 or x1 > photo.width or y1 > photo.height:
        raise CribError(f"Box {box} lies outside the photo ({photo.width}x{photo.height}).")
    return (x0, y0, x1, y1)


def _embed_lines(pairs: list[tuple[Photo | None, Box | None]]) -> list[tuple[np.ndarray | None, str]]:
    """Features for (photo, box) pairs, one model call per photo."""
    out: list[tuple[np.ndarray | None, str]] = [(None, "")] * len(pairs)
    by_photo: dict[int, list[int]] = {}
    for i, (photo, box) in enumerate(pairs):
        if photo is not None:
            by_photo.setdefault(photo.pk, []).append(i)
    for indexes in by_photo.values():
        photo = pairs[indexes[0]][0]
        features, sha = recognition.embed(photo, [pairs[i][1] for i in indexes])
        for i, feature in zip(indexes, features):
            out[i] = (feature, sha if feature is not None else "")
    return out


def enrol(tool_instance: ToolInstance, photo: Photo, box: Box, *, user=None) -> Enrolment:
    box = check_box(photo, box)
    [(feature, sha)] = _embed_lines([(photo, box)])
    with audit.acting_as(user), transaction.atomic():
        enrolment = Enrolment(tool_instance=tool_instance, photo=photo, embedding=feature, model_sha256=sha, enrolled_by=user)
        enrolment.box = box
        enrolment.save()
    return enrolment


def issue_tools(
    *, engineer: Engineer, storekeeper, lines: list[ToolLine], due_back=None, idempotency_key: str | None = None
) -> Issue:
    if idempotency_key:
        earlier = Issue.objects.filter(idempotency_key=idempotency_key).first()
        if earlier:
            return _same_request(earlier, engineer)
    if not engineer.active:
        raise CribError(f"{engineer} is not active and cannot take tools.")
    if not lines:
        raise CribError("Nothing to issue: add at least one tool.")
    numbers = [line.tool_instance.inventory_number for line in lines]
    twice = sorted({n for n in numbers if numbers.count(n) > 1})
    if twice:
        raise CribError(f"{', '.join(twice)} appears more than once in this issue.")
    for line in lines:
        if line.photo is not None:
            line.box = check_box(line.photo, line.box)
    due_back = due_back or timezone.now() + timedelta(hours=CribSettings.current().loan_hours)
    # The model runs before the transaction, so no lock is held while it thinks.
    features = _embed_lines([(line.photo, line.box) for line in lines])

    try:
        with audit.acting_as(storekeeper), transaction.atomic():
            # Locks the rows: a second storekeeper issuing the same tool waits here, then sees it issued.
            locked = {t.pk: t for t in ToolInstance.objects.select_for_update().filter(pk__in=[l.tool_instance.pk for l in lines]).order_by("pk")}
            # A retry that waited for these locks finds the first request's issue now.
            earlier = idempotency_key and Issue.objects.filter(idempotency_key=idempotency_key).first()
            if earlier:
                return _same_request(earlier, engineer)
            for line in lines:
                _check_can_issue(locked[line.tool_instance.pk])
            issue = Issue.objects.create(engineer=engineer, storekeeper=storekeeper, idempotency_key=idempotency_key or None)
            issue.photos.set({line.photo for line in lines if line.photo is not None})
            for line, (feature, sha) in zip(lines, features):
                tool = locked[line.tool_instance.pk]
                issued = IssuedTool(issue=issue, tool_instance=tool, due_back=due_back, photo=line.photo,
                                    embedding=feature, model_sha256=sha)
                issued.box = line.box
                issued.save()
                tool.status = ToolInstance.Status.ISSUED
                tool.save()
            audit.record("issued", issue, after={"engineer": str(engineer), "tools": numbers, "due_back": due_back})
    except IntegrityError as e:
        # The database's own guards: one holder per tool, one issue per idempotency key.
        if idempotency_key and "idempotency_key" in str(e):
            return _same_request(Issue.objects.get(idempotency_key=idempotency_key), engineer)
        if "one_holder_per_tool" in str(e):
            raise ToolUnavailable("One of these tools was issued by someone else a moment ago; nothing was issued.") from None
        raise
    return issue


def _same_request(earlier, engineer):
    if earlier.engineer_id != engineer.pk:
        raise CribError("This idempotency key was already used for another engineer.")
    return earlier


def _check_can_issue(tool: ToolInstance):
    if tool.status == ToolInstance.Status.ISSUED:
        holder = tool.holder()
        who = f" to {holder.issue.engineer}" if holder else ""
        raise ToolUnavailable(f"{tool} is already issued{who}; nothing was issued.")
    if tool.status != ToolInstance.Status.IN_CRIB:
        raise ToolUnavailable(f"{tool} is {tool.get_status_display()} and cannot be issued; nothing was issued.")
    if tool.calibration_overdue():
        raise ToolUnavailable(f"{tool} is past its calibration date ({tool.calibration_due}); nothing was issued.")


def return_tools(
    *, engineer: Engineer, desk_user, crops: list[tuple[Photo, Box]], idempotency_key: str | None = None
) -> Return:
    """Match the tools in the return photos to what the engineer holds, and decide each.

    Every tool he holds gets a line: accepted at or above the threshold; a recount when below it
    or not found in the photos. Tools in the photos that he does not hold are reported as extra.
    """
    if idempotency_key:
        earlier = Return.objects.filter(idempotency_key=idempotency_key).first()
        if earlier:
            return _same_request(earlier, engineer)
    crops = [(photo, check_box(photo, box)) for photo, box in crops]
    held = list(_held_for_return(engineer))
    if not held and not crops:
        raise CribError(f"{engineer} holds no tools to return.")
    threshold = CribSettings.current().recount_threshold
    returned = _embed_lines(crops)
    pairs, similarity = assign([f for f, _ in returned], [_reference_feature(t) for t in held])

    try:
        with audit.acting_as(desk_user), transaction.atomic():
            # Lock what he holds, so two desks cannot take the same tools back at once.
            still_held = set(IssuedTool.objects.select_for_update().filter(pk__in=[t.pk for t in held], closed_at__isnull=True).values_list("pk", flat=True))
            earlier = idempotency_key and Return.objects.filter(idempotency_key=idempotency_key).first()
            if earlier:
                return _same_request(earlier, engineer)
            if still_held != {t.pk for t in held}:
                raise CribError("Another desk changed these tools a moment ago; take the return again.")
            tool_return = Return.objects.create(engineer=engineer, desk_user=desk_user, threshold=threshold, idempotency_key=idempotency_key or None)
            tool_return.photos.set({photo for photo, _ in crops})
            matched_held = set()
            for r, h in pairs:
                matched_held.add(h)
                percent = similarity[r, h]
                accepted = percent >= threshold
                line = _line(tool_return, crops[r], returned[r], issued_tool=held[h], match_percent=percent,
                             decision=ReturnedTool.Decision.ACCEPTED if accepted else ReturnedTool.Decision.RECOUNT_REQUIRED,
                             reason="" if accepted else f"match {percent:.1f}% is below the threshold {threshold:.1f}%")
                if accepted:
                    _back_in_crib(line.issued_tool)
            for h, issued in enumerate(held):
                if h not in matched_held:
                    _line(tool_return, None, (None, ""), issued_tool=issued, decision=ReturnedTool.Decision.RECOUNT_REQUIRED,
                          reason="not found in the return photo" if returned and any(f is not None for f, _ in returned)
                          else "no verified photo of this tool")
            for r in set(range(len(crops))) - {r for r, _ in pairs}:
                _line(tool_return, crops[r], returned[r], issued_tool=None, decision=ReturnedTool.Decision.EXTRA,
                      reason=f"not issued to {engineer}")
            audit.record("returned", tool_return, after=_return_summary(tool_return))
    except IntegrityError as e:
        if idempotency_key and "idempotency_key" in str(e):
            return _same_request(Return.objects.get(idempotency_key=idempotency_key), engineer)
        raise
    return tool_return


def _held_for_return(engineer):
    # A tool already waiting for a recount is settled by that recount, not by a new return.
    return (
        engineer.held_tools()
        .filter(returned__isnull=True)
        .select_related("tool_instance", "tool_instance__tool_type")
        .order_by("id")
    )


def _reference_feature(issued: IssuedTool):
    """What a returned tool is compared with: its feature at issue time, else its enrolment."""
    if issued.embedding is not None:
        return np.asarray(issued.embedding, dtype=np.float32)
    enrolment = issued.tool_instance.enrolments.exclude(embedding=None).first()
    return None if enrolment is None else np.asarray(enrolment.embedding, dtype=np.float32)


def _line(tool_return, crop, embedded, **fields) -> ReturnedTool:
    photo, box = crop if crop is not None else (None, None)
    feature, sha = embedded
    line = ReturnedTool(tool_return=tool_return, photo=photo, embedding=feature, model_sha256=sha, **fields)
    line.box = box
    line.save()
    return line


def _back_in_crib(issued: IssuedTool):
    issued.closed_at = timezone.now()
    issued.save(update_fields=["closed_at"])
    tool = issued.tool_instance
    tool.status = ToolInstance.Status.IN_CRIB
    tool.save()


def _return_summary(tool_return: Return) -> dict:
    return {
        "engineer": str(tool_return.engineer),
        "threshold": tool_return.threshold,
        "tools": [
            {
                "tool": str(line.issued_tool.tool_instance) if line.issued_tool else None,
                "match_percent": line.match_percent,
                "decision": line.decision,
            }
            for line in tool_return.tools.select_related("issued_tool__tool_instance")
        ],
    }


def decide_recount(line: ReturnedTool, *, user, found: bool, reason: str) -> ReturnedTool:
    """The desk's word after a manual recount: the tool is here (accepted) or it is missing (lost)."""
    reason = (reason or "").strip()
    if not reason:
        raise CribError("Say why: a recount decision needs a reason.")
    with audit.acting_as(user), transaction.atomic():
        line = ReturnedTool.objects.select_for_update(of=("self",)).select_related("issued_tool__tool_instance").get(pk=line.pk)
        if line.decision != ReturnedTool.Decision.RECOUNT_REQUIRED:
            raise CribError(f"This tool was already decided: {line.get_decision_display()}.")
        before = {"decision": line.decision}
        line.decision = ReturnedTool.Decision.RECOUNTED_ACCEPTED if found else ReturnedTool.Decision.MISSING
        line.decided_by, line.decided_at, line.reason = user, timezone.now(), reason
        line.save()
        if found:
            _back_in_crib(line.issued_tool)
        else:
            line.issued_tool.closed_at = timezone.now()
            line.issued_tool.save(update_fields=["closed_at"])
            tool = line.issued_tool.tool_instance
            tool.status = ToolInstance.Status.LOST
            tool.save()
        audit.record("recount", line, before=before, after={"decision": line.decision, "reason": reason})
    return line


def set_threshold(value, *, user) -> CribSettings:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise CribError("The threshold is a number of percent, 0 to 100.") from None
    if not 0 <= value <= 100:
        raise CribError("The threshold is a number of percent, 0 to 100.")
    with audit.acting_as(user), transaction.atomic():
        current = CribSettings.current()
        current.recount_threshold = value
        current.save()
    return current
