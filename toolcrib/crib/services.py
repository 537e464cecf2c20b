"""Writes that touch several records: store a photo, enrol, issue, return, decide a recount.

The pages and the API both call these; each runs in one transaction and either does all of
its work or none of it. Bad input raises CribError with a message fit to show the user.
"""

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from inference.kits import SURE, KitItem, match_kit, match_percent, owners_of_extras
from inference.markings import Marking, normalise
from toolcrib.crib import audit, recognition
from toolcrib.crib.markings import Outcome, compare
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
    photo = Photo(
        sha256=sha,
        width=width,
        height=height,
        uploaded_by=user if user and user.is_authenticated else None,
    )
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


@dataclass
class Seen:
    """What the model made of one tool in a photo, and what was read off the tool."""

    feature: np.ndarray | None = None
    sha: str = ""
    kit_class: int | None = None  # the model's class, where it is sure of it
    marking: Marking | None = None


def _look_at(pairs: list[tuple[Photo | None, Box | None]]) -> list[Seen]:
    """The model's view of (photo, box) pairs, one model call per photo; the markings are read
    from the full-resolution photo beside it, in a second thread (onnxruntime frees the GIL)."""
    out = [Seen() for _ in pairs]
    by_photo: dict[int, list[int]] = {}
    for i, (photo, _box) in enumerate(pairs):
        if photo is not None:
            by_photo.setdefault(photo.pk, []).append(i)
    rules = CribSettings.current().marking_rules() if by_photo else None
    for indexes in by_photo.values():
        photo = pairs[indexes[0]][0]
        boxes = [pairs[i][1] for i in indexes]
        with ThreadPoolExecutor(1) as pool:
            reading = pool.submit(recognition.read_markings, photo, boxes, rules)
            found, sha = recognition.embed(photo, boxes)
            read = reading.result()
        for i, r, m in zip(indexes, found, read):
            out[i].marking = m
            if r is not None:
                top = r.candidates[0] if r.candidates else None
                sure = top is not None and top.probability >= SURE
                out[i].feature, out[i].sha = r.feature, sha
                out[i].kit_class = top.class_index if sure else None
    return out


def enrol(tool_instance: ToolInstance, photo: Photo, box: Box, *, user=None) -> Enrolment:
    box = check_box(photo, box)
    [seen] = _look_at([(photo, box)])
    with audit.acting_as(user), transaction.atomic():
        enrolment = Enrolment(
            tool_instance=tool_instance,
            photo=photo,
            embedding=seen.feature,
            model_sha256=seen.sha,
            enrolled_by=user,
        )
        enrolment.box = box
        enrolment.keep_marking(seen.marking)
        enrolment.save()
    return enrolment


def issue_tools(
    *,
    engineer: Engineer,
    storekeeper,
    lines: list[ToolLine],
    due_back=None,
    idempotency_key: str | None = None,
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
    seen = _look_at([(line.photo, line.box) for line in lines])

    try:
        with audit.acting_as(storekeeper), transaction.atomic():
            # Locks the rows: a second storekeeper issuing the same tool waits here, then sees it issued.
            locked = {
                t.pk: t
                for t in ToolInstance.objects.select_for_update()
                .filter(pk__in=[line.tool_instance.pk for line in lines])
                .order_by("pk")
            }
            # A retry that waited for these locks finds the first request's issue now.
            earlier = (
                idempotency_key and Issue.objects.filter(idempotency_key=idempotency_key).first()
            )
            if earlier:
                return _same_request(earlier, engineer)
            for line in lines:
                _check_can_issue(locked[line.tool_instance.pk])
            issue = Issue.objects.create(
                engineer=engineer, storekeeper=storekeeper, idempotency_key=idempotency_key or None
            )
            issue.photos.set({line.photo for line in lines if line.photo is not None})
            for line, view in zip(lines, seen):
                tool = locked[line.tool_instance.pk]
                issued = IssuedTool(
                    issue=issue,
                    tool_instance=tool,
                    due_back=due_back,
                    photo=line.photo,
                    embedding=view.feature,
                    model_sha256=view.sha,
                )
                issued.box = line.box
                issued.keep_marking(view.marking)
                issued.save()
                tool.status = ToolInstance.Status.ISSUED
                tool.save()
            audit.record(
                "issued",
                issue,
                after={
                    "engineer": str(engineer),
                    "tools": numbers,
                    "due_back": due_back,
                    "markings": {
                        line.tool_instance.inventory_number: view.marking.best.text
                        for line, view in zip(lines, seen)
                        if view.marking is not None and view.marking.best is not None
                    },
                },
            )
    except IntegrityError as e:
        # The database's own guards: one holder per tool, one issue per idempotency key.
        if idempotency_key and "idempotency_key" in str(e):
            return _same_request(Issue.objects.get(idempotency_key=idempotency_key), engineer)
        if "one_holder_per_tool" in str(e):
            raise ToolUnavailable(
                "One of these tools was issued by someone else a moment ago; nothing was issued."
            ) from None
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
        raise ToolUnavailable(
            f"{tool} is {tool.get_status_display()} and cannot be issued; nothing was issued."
        )
    if tool.calibration_overdue():
        raise ToolUnavailable(
            f"{tool} is past its calibration date ({tool.calibration_due}); nothing was issued."
        )


def return_tools(
    *,
    engineer: Engineer,
    desk_user,
    crops: list[tuple[Photo, Box]],
    idempotency_key: str | None = None,
) -> Return:
    """Match the tools in the return photos to what the engineer holds, and decide each.

    Every tool the engineer holds gets a line: accepted at or above the threshold; a recount when below it
    or not found in the photos. Tools in the photos that they do not hold are reported as extra.
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
    returned = _look_at(crops)
    pairs, extras = _match_return(engineer, held, returned)
    checks = _check_markings(held, returned, pairs)

    try:
        with audit.acting_as(desk_user), transaction.atomic():
            # Lock what the engineer holds, so two desks cannot take the same tools back at once.
            still_held = set(
                IssuedTool.objects.select_for_update()
                .filter(pk__in=[t.pk for t in held], closed_at__isnull=True)
                .values_list("pk", flat=True)
            )
            earlier = (
                idempotency_key and Return.objects.filter(idempotency_key=idempotency_key).first()
            )
            if earlier:
                return _same_request(earlier, engineer)
            if still_held != {t.pk for t in held}:
                raise CribError(
                    "Another desk changed these tools a moment ago; take the return again."
                )
            tool_return = Return.objects.create(
                engineer=engineer,
                desk_user=desk_user,
                threshold=threshold,
                idempotency_key=idempotency_key or None,
            )
            tool_return.photos.set({photo for photo, _ in crops})
            for h, r, percent in pairs:
                check = checks[(h, r)]
                if check.decides:
                    # The tool's own marking decides, whatever the visual match says.
                    accepted = check.outcome == Outcome.CONFIRMED
                    reason = check.message
                else:
                    accepted = percent is not None and percent >= threshold
                    reason = (
                        ""
                        if accepted
                        else f"match {percent:.1f}% is below the threshold {threshold:.1f}%"
                    )
                    reason = "; ".join(x for x in (reason, check.message) if x)
                line = _line(
                    tool_return,
                    crops[r],
                    returned[r],
                    issued_tool=held[h],
                    match_percent=percent,
                    decision=ReturnedTool.Decision.ACCEPTED
                    if accepted
                    else ReturnedTool.Decision.RECOUNT_REQUIRED,
                    reason=reason,
                    marking_check=check.outcome,
                )
                if accepted:
                    _back_in_crib(line.issued_tool)
            seen_any = any(v.feature is not None for v in returned)
            for h in sorted(set(range(len(held))) - {h for h, _, _ in pairs}):
                _line(
                    tool_return,
                    None,
                    Seen(),
                    issued_tool=held[h],
                    decision=ReturnedTool.Decision.RECOUNT_REQUIRED,
                    reason="not found in the return photo"
                    if seen_any
                    else "no verified photo of this tool",
                )
            for r, reason in extras:
                _line(
                    tool_return,
                    crops[r],
                    returned[r],
                    issued_tool=None,
                    decision=ReturnedTool.Decision.EXTRA,
                    reason=reason,
                )
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


def _reference(issued: IssuedTool) -> KitItem | None:
    """What a returned tool is compared with: its feature at issue time, else its enrolment."""
    feature = issued.embedding
    if feature is None:
        enrolment = issued.tool_instance.enrolments.exclude(embedding=None).first()
        feature = None if enrolment is None else enrolment.embedding
    if feature is None:
        return None
    return KitItem(
        np.asarray(feature, dtype=np.float32),
        label=issued.tool_instance.tool_type.model_class_index,
    )


def _match_return(engineer, held: list[IssuedTool], returned: list[Seen]):
    """Held tools to returned crops by an optimal one-to-one assignment on similarity (class
    agreement counts): pairs (held index, returned index, match %), and each crop that matches
    nothing the engineer holds, with the reason (whose tool it looks like, if it is out to someone else)."""
    references = [_reference(t) for t in held]
    # A crop whose marking names a held tool is that tool: the visual match only pairs the rest.
    named = _named_by_marking(held, returned)
    hi = [i for i, ref in enumerate(references) if ref is not None and i not in named.values()]
    ri = [j for j, v in enumerate(returned) if v.feature is not None and j not in named]
    items = [KitItem(returned[j].feature, label=returned[j].kit_class) for j in ri]
    kit = match_kit([references[i] for i in hi], items)
    pairs = [(hi[p.issued], ri[p.returned], p.match) for p in kit.pairs]
    for r, h in named.items():
        ref, feature = references[h], returned[r].feature
        percent = (
            None
            if ref is None or feature is None
            else round(float(match_percent([ref.feature], [feature])[0, 0]), 2)
        )
        pairs.append((h, r, percent))
    out_elsewhere = (
        []
        if not kit.extra
        else [  # only an extra tool needs the rest of the crib's tools
            (t, ref)
            for t in IssuedTool.objects.filter(closed_at__isnull=True)
            .exclude(issue__engineer=engineer)
            .select_related("tool_instance__tool_type", "issue__engineer")
            if (ref := _reference(t)) is not None
        ]
    )
    owners = owners_of_extras([items[e] for e in kit.extra], out_elsewhere)
    extras = []
    for e, owner in zip(kit.extra, owners):
        reason = f"not issued to {engineer}"
        if owner is not None:
            reason += f"; it looks like {owner.holder.tool_instance}, out to {owner.holder.issue.engineer} ({owner.match:.0f}%)"
        extras.append((ri[e], reason))
    return pairs, extras


def _named_by_marking(held: list[IssuedTool], returned: list[Seen]) -> dict[int, int]:
    """Returned crop -> held tool, where the crop's code or well-formed number is that tool's."""
    by_number = {normalise(t.tool_instance.inventory_number): i for i, t in enumerate(held)}
    named: dict[int, int] = {}
    for r, seen in enumerate(returned):
        m = seen.marking
        reads = (
            [] if m is None else [normalise(x.text) for x in m.codes] + [x.text for x in m.numbers]
        )
        hits = {by_number[k] for k in reads if k in by_number}
        if len(hits) == 1 and (h := hits.pop()) not in named.values():
            named[r] = h
    return named


def _check_markings(held: list[IssuedTool], returned: list[Seen], pairs) -> dict:
    """What each paired crop's marking says about the held tool it was paired with."""
    if not pairs:
        return {}
    patterns, min_partial = CribSettings.current().marking_rules()
    held_numbers = [t.tool_instance.inventory_number for t in held]
    crib = list(ToolInstance.objects.values_list("inventory_number", flat=True))
    return {
        (h, r): compare(
            returned[r].marking,
            issued=held[h].tool_instance.inventory_number,
            held=held_numbers,
            crib=crib,
            patterns=patterns,
            min_partial=min_partial,
        )
        for h, r, _ in pairs
    }


def _line(tool_return, crop, seen: Seen, **fields) -> ReturnedTool:
    photo, box = crop if crop is not None else (None, None)
    line = ReturnedTool(
        tool_return=tool_return,
        photo=photo,
        embedding=seen.feature,
        model_sha256=seen.sha,
        **fields,
    )
    line.box = box
    line.keep_marking(seen.marking)
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
                "marking": line.marking_summary(),
                "marking_check": line.marking_check or None,
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
        line = (
            ReturnedTool.objects.select_for_update(of=("self",))
            .select_related("issued_tool__tool_instance")
            .get(pk=line.pk)
        )
        if line.decision != ReturnedTool.Decision.RECOUNT_REQUIRED:
            raise CribError(f"This tool was already decided: {line.get_decision_display()}.")
        before = {"decision": line.decision}
        line.decision = (
            ReturnedTool.Decision.RECOUNTED_ACCEPTED if found else ReturnedTool.Decision.MISSING
        )
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
        audit.record(
            "recount", line, before=before, after={"decision": line.decision, "reason": reason}
        )
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
