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

from inference import verdicts
from inference.calibration import Candidate
from inference.kits import SURE, KitItem, match_kit, match_percent, owners_of_extras
from toolcrib.crib import audit, calibration, recognition
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
    ToolType,
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
    """What the model made of one tool in a photo."""

    feature: np.ndarray | None = None
    sha: str = ""
    kit_class: int | None = None  # the model's class, where it is sure of it


def _look_at(pairs: list[tuple[Photo | None, Box | None]]) -> list[Seen]:
    """The model's view of (photo, box) pairs, one model call per photo."""
    out = [Seen() for _ in pairs]
    by_photo: dict[int, list[int]] = {}
    for i, (photo, _box) in enumerate(pairs):
        if photo is not None:
            by_photo.setdefault(photo.pk, []).append(i)
    for indexes in by_photo.values():
        photo = pairs[indexes[0]][0]
        found, sha = recognition.embed(photo, [pairs[i][1] for i in indexes])
        for i, r in zip(indexes, found):
            if r is not None:
                top = r.candidates[0] if r.candidates else None
                sure = top is not None and top.probability >= SURE
                out[i] = Seen(r.feature, sha, top.class_index if sure else None)
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
            read_class=seen.kit_class,
        )
        enrolment.box = box
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
                issued.save()
                tool.status = ToolInstance.Status.ISSUED
                tool.save()
            audit.record(
                "issued",
                issue,
                after={"engineer": str(engineer), "tools": numbers, "due_back": due_back},
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
    """Match the tools in the return photos to what the engineer holds, and give each a verdict.

    Every tool the engineer holds gets a line: accepted (the calibrated match clears the level
    of the crib's accepted risk, same type, best of their tools), confirm by eye (plausible:
    one click at the desk), or recount (not in the photos, or not plausibly their tool). Tools
    in the photos that they do not hold are reported as extra (inference/verdicts.py).
    """
    if idempotency_key:
        earlier = Return.objects.filter(idempotency_key=idempotency_key).first()
        if earlier:
            return _same_request(earlier, engineer)
    crops = [(photo, check_box(photo, box)) for photo, box in crops]
    held = list(_held_for_return(engineer))
    if not held and not crops:
        raise CribError(f"{engineer} holds no tools to return.")
    crib = CribSettings.current()
    in_use = calibration.in_use()
    level = in_use.level(crib.accepted_risk)
    returned = _look_at(crops)
    pairs, extras = _match_return(engineer, held, returned)

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
                threshold=crib.recount_threshold,
                accepted_risk=crib.accepted_risk,
                accept_level=None if level is None else round(level * 100, 2),
                calibration=("the crib's own" if in_use.own else "built in")[:300],
                idempotency_key=idempotency_key or None,
            )
            tool_return.photos.set({photo for photo, _ in crops})
            for pair in pairs:
                probability = float(
                    in_use.calibration.probability([pair.candidate(held[pair.held])])[0]
                )
                verdict = verdicts.decide(
                    probability=probability,
                    match=pair.match,
                    next_best=pair.next_best,
                    agree=pair.agree,
                    read_type=pair.read_type,
                    level=level,
                    floor=crib.recount_threshold,
                )
                line = _line(
                    tool_return,
                    crops[pair.returned],
                    returned[pair.returned],
                    issued_tool=held[pair.held],
                    match_percent=pair.match,
                    probability=round(probability * 100, 2),
                    next_best_percent=pair.next_best,
                    decision=VERDICT_DECISION[verdict.kind],
                    reason=verdict.reason,
                    verdict_reason=verdict.reason,
                )
                if verdict.kind == verdicts.ACCEPTED:
                    _back_in_crib(line.issued_tool)
            seen_any = any(v.feature is not None for v in returned)
            for h in sorted(set(range(len(held))) - {p.held for p in pairs}):
                reason = (
                    "not found in the return photo"
                    if seen_any
                    else "no verified photo of this tool"
                )
                _line(
                    tool_return,
                    None,
                    Seen(),
                    issued_tool=held[h],
                    decision=ReturnedTool.Decision.RECOUNT_REQUIRED,
                    reason=reason,
                    verdict_reason=reason,
                )
            for r, reason in extras:
                _line(
                    tool_return,
                    crops[r],
                    returned[r],
                    issued_tool=None,
                    decision=ReturnedTool.Decision.EXTRA,
                    reason=reason,
                    verdict_reason=reason,
                )
            audit.record("returned", tool_return, after=_return_summary(tool_return))
    except IntegrityError as e:
        if idempotency_key and "idempotency_key" in str(e):
            return _same_request(Return.objects.get(idempotency_key=idempotency_key), engineer)
        raise
    return tool_return


VERDICT_DECISION = {
    verdicts.ACCEPTED: ReturnedTool.Decision.ACCEPTED,
    verdicts.CONFIRM_BY_EYE: ReturnedTool.Decision.CONFIRM_BY_EYE,
    verdicts.RECOUNT: ReturnedTool.Decision.RECOUNT_REQUIRED,
}


@dataclass
class Paired:
    """A held tool paired with a returned crop, with what the verdict needs to know."""

    held: int  # index into what the engineer holds
    returned: int  # index into the returned crops
    match: float  # raw match %
    next_best: float | None  # raw match % of the crop against their best other tool
    agree: int  # +1 same type, -1 differs, 0 unsure
    read_type: str | None  # the type the model reads on the returned crop

    def candidate(self, issued: IssuedTool) -> Candidate:
        # Holding nothing else, the crop is compared with an unrelated tool's typical 50 %.
        margin = self.match - (50.0 if self.next_best is None else self.next_best)
        return Candidate(self.match, margin, self.agree, str(issued.tool_instance.tool_type_id))


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
    agreement counts): the pairs, and each crop that matches nothing the engineer holds, with
    the reason (whose tool it looks like, if it is out to someone else)."""
    references = [_reference(t) for t in held]
    hi = [i for i, ref in enumerate(references) if ref is not None]
    ri = [j for j, v in enumerate(returned) if v.feature is not None]
    items = [KitItem(returned[j].feature, label=returned[j].kit_class) for j in ri]
    kit = match_kit([references[i] for i in hi], items)
    percent = (
        match_percent([references[i].feature for i in hi], [it.feature for it in items])
        if hi and items
        else np.zeros((len(hi), len(items)))
    )
    type_names = dict(ToolType.objects.values_list("model_class_index", "name"))
    pairs = []
    for p in kit.pairs:
        others = np.delete(percent[:, p.returned], p.issued)
        read = items[p.returned].label
        pairs.append(
            Paired(
                held=hi[p.issued],
                returned=ri[p.returned],
                match=p.match,
                next_best=round(float(others.max()), 2) if len(others) else None,
                agree={True: 1, False: -1, None: 0}[p.same_class],
                read_type=type_names.get(read) if read is not None else None,
            )
        )
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
                "probability": line.probability,
                "decision": line.decision,
                "why": line.verdict_reason,
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
        if line.decision not in ReturnedTool.OPEN_DECISIONS:
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


def confirm_by_eye(lines: list[ReturnedTool], *, user) -> list[ReturnedTool]:
    """The desk looked at the issue and return crops side by side and says: the same tool.
    No reason needed. Several lines at once, all or none: a line already decided (by another
    desk a moment ago) or not waiting for a look refuses the lot, naming it."""
    if not lines:
        raise CribError("Nothing to confirm: pick at least one tool.")
    with audit.acting_as(user), transaction.atomic():
        locked = list(
            ReturnedTool.objects.select_for_update(of=("self",))
            .select_related("issued_tool__tool_instance")
            .filter(pk__in=[line.pk for line in lines])
            .order_by("pk")
        )
        if len(locked) != len({line.pk for line in lines}):
            raise CribError("One of these return lines does not exist; nothing was confirmed.")
        for line in locked:
            if line.decision != ReturnedTool.Decision.CONFIRM_BY_EYE:
                tool = line.issued_tool.tool_instance if line.issued_tool else "an extra tool"
                raise CribError(
                    f"{tool} is not waiting for a confirmation ({line.get_decision_display()}); "
                    "nothing was confirmed."
                )
        now = timezone.now()
        for line in locked:
            line.decision, line.decided_by, line.decided_at = (
                ReturnedTool.Decision.CONFIRMED,
                user,
                now,
            )
            line.reason = "confirmed by eye"
            line.save()
            _back_in_crib(line.issued_tool)
            audit.record(
                "confirmed by eye",
                line,
                before={"decision": ReturnedTool.Decision.CONFIRM_BY_EYE},
                after={"decision": line.decision},
            )
    return locked


def set_risk(value, *, user) -> CribSettings:
    """The admin's accepted risk: false accepts per 1,000 returned tools."""
    message = "The accepted risk is a number of false accepts per 1,000 returned tools, 0 to 1000."
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise CribError(message) from None
    if not 0 <= value <= 1000 or value != value:
        raise CribError(message)
    with audit.acting_as(user), transaction.atomic():
        current = CribSettings.current()
        current.accepted_risk = value
        current.save()
    return current


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
