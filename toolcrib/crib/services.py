"""Writes that touch several records: store a photo, enrol, issue, return, decide a recount.

The pages and the API both call these; each runs in one transaction and either does all of
its work or none of it. Bad input raises CribError with a message fit to show the user.
"""

import contextlib
import contextvars
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

import numpy as np
from django.contrib.auth.models import AnonymousUser, User
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from inference import preprocess, verdicts
from inference.calibration import Candidate
from inference.kits import SURE, KitItem, match_kit, owners_of_extras
from inference.markings import Marking, compile_patterns, normalise
from inference.preprocess import PhotoError
from inference.similarity import match_percent, pairwise_match_percent
from inference.turned import Box
from toolcrib.crib import audit, calibration, loans, recognition, sites
from toolcrib.crib.errors import CribError, ToolUnavailable
from toolcrib.crib.markings import TYPED, Check, Outcome, compare, scanned, typed
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
    box_fields,
)
from toolcrib.crib.photos import check_photo

__all__ = ["CribError", "ToolUnavailable"]  # raised here; callers catch them as services.X

Actor = User | AnonymousUser | None  # who acts: a signed-in user, or nobody known
T = TypeVar("T", Issue, Return)


@dataclass
class ToolLine:
    """One tool handed out: the instance, and where it is in the issue photo (if photographed)."""

    tool_instance: ToolInstance
    photo: Photo | None = None
    box: Box | None = None
    scanned: bool = False  # its label was scanned at the desk: recorded as the line's marking
    # Picked by hand (typed or chosen), not by its marking or a scan: marking source `typed`.
    # A line with neither a photo nor a scan is typed whatever this says.
    typed: bool = False


def store_photo(data: bytes, *, name: str = "photo.jpg", user: Actor = None) -> Photo:
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
    if (stored := _stored_files.get()) is not None:
        stored.append(photo.image)
    photo.save()
    return photo


_stored_files: contextvars.ContextVar[list[FieldFile] | None] = contextvars.ContextVar(
    "stored_files", default=None
)


@contextlib.contextmanager
def photos_kept_only_if_done() -> Iterator[None]:
    """A request refused after it stored a photo (a box that does not fit it, say) leaves no file
    behind: the database rolls its row back, and this deletes the file at once."""
    stored: list[FieldFile] = []
    token = _stored_files.set(stored)
    try:
        yield
    except BaseException:
        for image in stored:
            if image.name:
                image.storage.delete(image.name)
        raise
    finally:
        _stored_files.reset(token)


def check_box(photo: Photo, box: Sequence[float] | None) -> Box:
    """The box in whole pixels if it fits the stored photo; CribError if not."""
    try:
        return preprocess.check_box(box, (photo.width, photo.height))
    except PhotoError as e:
        raise CribError(str(e)) from None


@dataclass
class ToolFeature:
    """What the model made of one tool in a photo, and what was read off the tool."""

    feature: np.ndarray | None = None
    sha: str = ""
    model_class: int | None = None  # the model's class, where it is sure of it
    marking: Marking | None = None
    pending: bool = False  # the marking is with the marking reader, not read yet


def _look_at(pairs: Sequence[tuple[Photo | None, Box | None]]) -> list[ToolFeature]:
    """The model's view of (photo, box) pairs and what is read off each tool: the recognitions
    kept when the photo was uploaded and its boxes recognised, else computed now (one model
    call per photo) and kept; the markings kept, else `pending`: the request never runs the OCR.
    The caller queues the pending boxes for the marking reader with what it saves (a refused
    issue queues nothing), and marking_read hands each reading to its line later."""
    out = [ToolFeature() for _ in pairs]
    by_photo: dict[int, tuple[Photo, list[int], list[Box]]] = {}
    for i, (photo, box) in enumerate(pairs):
        if photo is not None and box is not None:
            _, indexes, boxes = by_photo.setdefault(photo.pk, (photo, [], []))
            indexes.append(i)
            boxes.append(box)
    rules = CribSettings.current().marking_rules() if by_photo else None
    for photo, indexes, boxes in by_photo.values():
        read = recognition.kept_or_queued(photo, boxes, rules, queue=False)
        # Kept at upload (recognition.recognise_photo): then the model does not run.
        found, sha = recognition.recognise_boxes(photo, boxes)
        for i, r, m in zip(indexes, found, read):
            if r is not None:
                top = r.candidates[0] if r.candidates else None
                sure = top is not None and top.probability >= SURE
                out[i] = ToolFeature(r.feature, sha, top.class_index if top and sure else None)
            out[i].marking, out[i].pending = m, m is None
    return out


def _queue_pending(sightings: Iterable[Enrolment | IssuedTool | ReturnedTool]) -> None:
    """Queue for the marking reader the boxes of the lines just saved that wait for their
    marking (in the saving transaction: a refused issue or return queues nothing)."""
    waiting = [(s.photo, s.box) for s in sightings if s.marking_pending]
    if waiting:
        recognition.queue_markings(waiting)


def enrol(
    tool_instance: ToolInstance, photo: Photo, box: Sequence[float], *, user: User | None = None
) -> Enrolment:
    sites.check_reaches(user, [tool_instance], "enrolled")
    box = check_box(photo, box)
    [seen] = _look_at([(photo, box)])
    with audit.acting_as(user), transaction.atomic():
        enrolment = Enrolment(
            tool_instance=tool_instance,
            photo=photo,
            embedding=seen.feature,
            model_sha256=seen.sha,
            enrolled_by=user,
            read_class=seen.model_class,
        )
        enrolment.box = box
        enrolment.keep_marking(seen.marking)
        enrolment.marking_pending = seen.pending
        enrolment.save()
        _queue_pending([enrolment])
    return enrolment


def remove_enrolment(enrolment: Enrolment, *, user: User) -> None:
    """Take a reference photo off its tool (a box around the table, a blurred shot). The audit
    trail keeps what it was (signals); the match calibration is refitted (apps.connect_refit).
    The photo itself stays: it is evidence, and may belong to other records."""
    sites.check_reaches(user, [enrolment.tool_instance], "removed")
    with audit.acting_as(user), transaction.atomic():
        Enrolment.objects.filter(pk=enrolment.pk).select_for_update().first()
        enrolment.delete()


def type_read_otherwise(enrolment: Enrolment) -> ToolType | None:
    """The model type the model read, for sure, on an enrolment's box when that is not its
    tool's type (a box around the wrong thing, or the wrong tool), else None."""
    read = enrolment.read_class
    own = enrolment.tool_instance.tool_type
    if read is None or read == own.model_class_index:
        return None
    return ToolType.objects.filter(model_class_index=read).first()


def issue_tools(
    *,
    engineer: Engineer,
    storekeeper: User,
    lines: list[ToolLine],
    due_back: datetime | None = None,
    idempotency_key: str | None = None,
) -> Issue:
    if earlier := _earlier(Issue, idempotency_key, engineer):
        return earlier
    if not engineer.active:
        raise CribError(f"{engineer} is not active and cannot take tools.")
    if not lines:
        raise CribError("Nothing to issue: add at least one tool.")
    numbers = [line.tool_instance.inventory_number for line in lines]
    twice = sorted({n for n in numbers if numbers.count(n) > 1})
    if twice:
        raise CribError(f"{', '.join(twice)} appears more than once in this issue.")
    sites.check_reaches(storekeeper, [line.tool_instance for line in lines], "issued")
    for line in lines:
        if line.photo is not None:
            line.box = check_box(line.photo, line.box)
    # The storekeeper's time for this issue, else each tool type's loan period (loans.py).
    now, crib = timezone.now(), CribSettings.current()
    types = ToolType.objects.in_bulk({line.tool_instance.tool_type_id for line in lines})
    due = [
        due_back
        or now
        + timedelta(hours=loans.period_for(types[line.tool_instance.tool_type_id], crib).hours)
        for line in lines
    ]
    # The model runs before the transaction, so no lock is held while it thinks.
    seen = _look_at([(line.photo, line.box) for line in lines])
    for line, view in zip(lines, seen):
        if line.scanned and view.marking is None:
            # The scan is the line's marking (what the reader reads later is kept beside it).
            view.marking, view.pending = scanned(line.tool_instance.inventory_number), False
        elif line.typed or (line.photo is None and not line.scanned):
            # Picked by hand: recorded as typed, not waiting for the reader (its read of the
            # photo is still kept with the photo).
            number = line.tool_instance.inventory_number
            view.marking, view.pending = typed(number, view.marking), False

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
            if earlier := _earlier(Issue, idempotency_key, engineer):
                return earlier
            sites.check_reaches(storekeeper, locked.values(), "issued")  # as it is now
            for line in lines:
                _check_can_issue(locked[line.tool_instance.pk])
            issue = Issue.objects.create(
                engineer=engineer, storekeeper=storekeeper, idempotency_key=idempotency_key or None
            )
            issue.photos.set({line.photo for line in lines if line.photo is not None})
            for line, view, line_due in zip(lines, seen, due):
                tool = locked[line.tool_instance.pk]
                issued = IssuedTool(
                    issue=issue,
                    tool_instance=tool,
                    due_back=line_due,
                    photo=line.photo,
                    embedding=view.feature,
                    model_sha256=view.sha,
                )
                issued.box = line.box
                issued.keep_marking(view.marking)
                issued.marking_pending = view.pending
                issued.save()
                tool.status = ToolInstance.Status.ISSUED
                tool.save()
            _queue_pending(issue.tools.all())
            audit.record(
                "issued",
                issue,
                after={
                    "engineer": str(engineer),
                    "tools": numbers,
                    # The first tool due; each issued tool keeps its own (types may differ).
                    "due_back": min(due),
                    # What was read or scanned off the tools; a pick by hand is no reading.
                    "markings": {
                        line.tool_instance.inventory_number: view.marking.best.text
                        for line, view in zip(lines, seen)
                        if view.marking is not None
                        and view.marking.best is not None
                        and view.marking.best.source != TYPED
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


def _earlier(kind: type[T], key: str | None, engineer: Engineer) -> T | None:
    """What a retried request (the same idempotency key) made the first time, if anything."""
    earlier = kind.objects.filter(idempotency_key=key).first() if key else None
    return None if earlier is None else _same_request(earlier, engineer)


def _same_request(earlier: T, engineer: Engineer) -> T:
    if earlier.engineer_id != engineer.pk:
        raise CribError("This idempotency key was already used for another engineer.")
    return earlier


def _check_can_issue(tool: ToolInstance) -> None:
    if tool.status == ToolInstance.Status.ISSUED:
        out = tool.open_issued_tool()
        who = f" to {out.issue.engineer}" if out else ""
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
    desk_user: User,
    sightings: Sequence[tuple[Photo, Sequence[float]]],
    idempotency_key: str | None = None,
    not_in_slot: Mapping[int, str] | None = None,
    out_of_place: Sequence[tuple[Photo, Sequence[float], str]] = (),
    scanned_numbers: Sequence[str] = (),
    ends: str = Return.Ends.NOTHING,
) -> Return:
    """Match the tools in the return photos to what the engineer holds, and give each a verdict.

    Each tool in the photos paired with one they hold gets a line: accepted (the calibrated
    match clears the level of the crib's accepted risk, same type, best of their tools),
    confirm by eye (plausible: one click at the desk), or recount (not plausibly their tool).
    Tools in the photos that they do not hold are reported as extra (inference/verdicts.py).
    A tool they hold that is neither in the photos nor scanned stays out with them (*still
    out*, recorded on the return) in a normal return; when the return `ends` the shift or the
    job, it goes to a recount. `not_in_slot`: tool instance id -> why, for tools whose outline
    on a kit mat was seen empty or holding another tool (toolcrib/mats): the desk sees the
    hole in the kit, so they go to a recount either way, with that reason. `out_of_place`:
    (photo, box, why) of tools lying in another tool's outline on a kit mat: each is an extra
    line with that reason, not matched (the desk says what it is: crib/extras.py).
    `scanned_numbers`: tools whose label the desk scanned: each must be one the engineer has to
    return, and is verified by that marking (with a crop, if one was paired with it, or without).
    """
    if earlier := _earlier(Return, idempotency_key, engineer):
        return earlier
    if ends not in Return.Ends.values:
        raise CribError(
            "Say what the return ends: nothing (a normal return), the shift or the job."
        )
    not_in_slot = not_in_slot or {}
    checked = [(photo, check_box(photo, box)) for photo, box in sightings]
    misplaced = [(photo, check_box(photo, box)) for photo, box, _ in out_of_place]
    # A desk limited to a site takes back only that site's tools; the rest stay out.
    held = list(sites.visible(_held_for_return(engineer), desk_user))
    if scanned_numbers:
        named = Q(pk__in=[])
        for number in scanned_numbers:
            named |= Q(inventory_number__iexact=number.strip())
        sites.check_reaches(desk_user, ToolInstance.objects.filter(named), "returned")
    scans = _scanned_held(engineer, held, scanned_numbers)
    if not held and not checked and not misplaced:
        raise CribError(f"{engineer} holds no tools to return.")
    if (
        not checked
        and not misplaced
        and not scans
        and not not_in_slot
        and ends == Return.Ends.NOTHING
    ):
        raise CribError(
            "No tool in the photo: a normal return leaves every tool with the engineer, so "
            "nothing was returned. At the end of the shift or the job, say so: the tools they "
            "hold then go to a recount."
        )
    crib = CribSettings.current()
    in_use = calibration.in_use()
    level = in_use.level(crib.accepted_risk)
    looked = _look_at(checked + misplaced)  # one model run per photo for both
    returned, misplaced_seen = looked[: len(checked)], looked[len(checked) :]
    # Tools not in their mat slot go last, out of the matching: indexes of the rest stay put.
    held.sort(key=lambda t: t.tool_instance_id in not_in_slot)
    matched = [t for t in held if t.tool_instance_id not in not_in_slot]
    pairs, extras = _match_return(engineer, matched, returned)
    checks = _check_markings(held, returned, pairs)
    for p in pairs:
        if p.held in scans:  # the scan, not the crop's reading, says which tool it is
            returned[p.returned] = replace(
                returned[p.returned], marking=scans[p.held], pending=False
            )
            checks[(p.held, p.returned)] = _scan_check(held[p.held], scans[p.held])
    scanned_only = sorted(set(scans) - {p.held for p in pairs})

    try:
        with audit.acting_as(desk_user), transaction.atomic():
            # Lock what the engineer holds, so two desks cannot take the same tools back at once.
            still_held = set(
                IssuedTool.objects.select_for_update()
                .open()
                .filter(pk__in=[t.pk for t in held])
                .values_list("pk", flat=True)
            )
            if earlier := _earlier(Return, idempotency_key, engineer):
                return earlier
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
                calibration="the crib's own" if in_use.own else "built in",
                idempotency_key=idempotency_key or None,
                ends=ends,
            )
            tool_return.photos.set({photo for photo, _ in checked + misplaced})
            for pair in pairs:
                check = checks[(pair.held, pair.returned)]
                # The tool's own marking decides first, whatever the visual match says.
                marking = None
                if check.decides:
                    confirmed = check.outcome == Outcome.CONFIRMED
                    marking = "confirmed" if confirmed else "contradicted"
                probability = (
                    None
                    if pair.match is None
                    else float(in_use.calibration.probability([pair.candidate(held[pair.held])])[0])
                )
                verdict = verdicts.decide(
                    probability=0.0 if probability is None else probability,
                    match=0.0 if pair.match is None else pair.match,
                    next_best=pair.next_best,
                    agree=pair.agree,
                    read_type=pair.read_type,
                    level=None if probability is None else level,
                    floor=crib.recount_threshold,
                    marking=marking,
                    marking_note=check.message if check.decides else "",
                )
                reason = verdict.reason
                pending = returned[pair.returned].pending
                if pending:
                    reason = f"{reason}; {MARKING_PENDING}"
                elif not check.decides and check.message:
                    reason = f"{reason}; {check.message}"
                _line(
                    tool_return,
                    checked[pair.returned],
                    returned[pair.returned],
                    issued_tool=held[pair.held],
                    match_percent=pair.match,
                    probability=None if probability is None else round(probability * 100, 2),
                    next_best_percent=pair.next_best,
                    decision=VERDICT_DECISION[verdict.kind],
                    reason=reason,
                    verdict_reason=reason,
                    marking_check="" if pending else check.outcome,
                )
                if verdict.kind == verdicts.ACCEPTED:
                    _back_in_crib(held[pair.held])
            for h in scanned_only:
                check = _scan_check(held[h], scans[h])
                verdict = verdicts.decide(
                    probability=0.0,
                    match=0.0,
                    next_best=None,
                    agree=0,
                    read_type=None,
                    level=None,
                    marking="confirmed",
                    marking_note=check.message,
                )
                _line(
                    tool_return,
                    None,
                    ToolFeature(marking=scans[h]),
                    issued_tool=held[h],
                    decision=VERDICT_DECISION[verdict.kind],
                    reason=verdict.reason,
                    verdict_reason=verdict.reason,
                    marking_check=check.outcome,
                )
                if verdict.kind == verdicts.ACCEPTED:
                    _back_in_crib(held[h])
            seen_any = any(v.feature is not None for v in returned)
            settled = {p.held for p in pairs} | set(scanned_only)
            still_out = []
            for h in sorted(set(range(len(held))) - settled):
                if ends == Return.Ends.NOTHING and held[h].tool_instance_id not in not_in_slot:
                    still_out.append(held[h])  # not brought back yet: still with the engineer
                    continue
                missing = not_in_slot.get(
                    held[h].tool_instance_id,
                    "not found in the return photo"
                    if seen_any
                    else "no verified photo of this tool",
                )
                _line(
                    tool_return,
                    None,
                    ToolFeature(),
                    issued_tool=held[h],
                    decision=ReturnedTool.Decision.RECOUNT_REQUIRED,
                    reason=missing,
                    verdict_reason=missing,
                )
            for r, reason in extras:
                _line(
                    tool_return,
                    checked[r],
                    returned[r],
                    issued_tool=None,
                    decision=ReturnedTool.Decision.EXTRA,
                    reason=reason,
                    verdict_reason=reason,
                )
            for crop, seen, (_, _, why) in zip(misplaced, misplaced_seen, out_of_place):
                _line(
                    tool_return,
                    crop,
                    seen,
                    issued_tool=None,
                    decision=ReturnedTool.Decision.EXTRA,
                    reason=why,
                    verdict_reason=why,
                )
            tool_return.still_out_tools.set(still_out)
            _queue_pending(tool_return.tools.all())
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
    match: float | None  # raw match % (None: named by its marking, no feature to compare)
    next_best: float | None  # raw match % of the crop against their best other tool
    agree: int  # +1 same type, -1 differs, 0 unsure
    read_type: str | None  # the type the model reads on the returned crop

    def candidate(self, issued: IssuedTool) -> Candidate:
        """For the calibration; only for a pair with a match (`match` is not None)."""
        match = cast(float, self.match)
        # Holding nothing else, the crop is compared with an unrelated tool's typical 50 %.
        margin = match - (50.0 if self.next_best is None else self.next_best)
        return Candidate(match, margin, self.agree, str(issued.tool_instance.tool_type_id))


def _scanned_held(
    engineer: Engineer, held: list[IssuedTool], numbers: Sequence[str]
) -> dict[int, Marking]:
    """Index into `held` -> the scan's marking, for each number scanned at the desk; CribError
    (nothing changed) for a number of no tool, or of a tool the engineer has not to return."""
    index = {normalise(t.tool_instance.inventory_number): i for i, t in enumerate(held)}
    out: dict[int, Marking] = {}
    for number in numbers:
        number = number.strip()
        h = index.get(normalise(number))
        if h is None:
            if not ToolInstance.objects.filter(inventory_number__iexact=number).exists():
                raise CribError(f"There is no tool {number} in the crib's records.")
            raise CribError(f"{number} is not among the tools {engineer} has to return.")
        out[h] = scanned(held[h].tool_instance.inventory_number)
    return out


def _scan_check(issued: IssuedTool, marking: Marking) -> Check:
    """A scan names the held tool it was looked up as (_scanned_held): verified by marking."""
    number = issued.tool_instance.inventory_number
    return compare(marking, issued=number, held=[number], crib=[number])


def _held_for_return(engineer: Engineer) -> QuerySet[IssuedTool]:
    # A tool already waiting for a recount is settled by that recount, not by a new return.
    return (
        engineer.held_tools()
        .filter(returned__isnull=True)
        .select_related("tool_instance", "tool_instance__tool_type")
        .order_by("id")
    )


def _compared_with(issued: IssuedTool) -> KitItem | None:
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


def _match_return(
    engineer: Engineer, held: list[IssuedTool], returned: list[ToolFeature]
) -> tuple[list[Paired], list[tuple[int, str]]]:
    """Held tools to returned crops by an optimal one-to-one assignment on similarity (class
    agreement counts): the pairs, and each crop that matches nothing the engineer holds, with
    the reason (whose tool it looks like, if it is out to someone else)."""
    # A crop whose marking names a held tool is that tool: the visual match pairs the rest.
    named = _named_by_marking(held, returned)
    # Only tools with a feature take part: their indexes in `held` and `returned`.
    hi, references = [], []
    for i, t in enumerate(held):
        if i not in named.values() and (ref := _compared_with(t)) is not None:
            hi.append(i)
            references.append(ref)
    ri, items = [], []
    for j, v in enumerate(returned):
        if v.feature is not None and j not in named:
            ri.append(j)
            items.append(KitItem(v.feature, label=v.model_class))
    kit = match_kit(references, items)
    # The margin is taken against every other tool held, those named by markings too.
    every = [(i, ref) for i, t in enumerate(held) if (ref := _compared_with(t)) is not None]
    row_of = {i: k for k, (i, _) in enumerate(every)}
    percent = (
        pairwise_match_percent([r.feature for _, r in every], [it.feature for it in items])
        if every and items
        else np.zeros((len(every), len(items)))
    )
    type_names = dict(ToolType.objects.values_list("model_class_index", "name"))
    pairs = []
    for p in kit.pairs:
        others = np.delete(percent[:, p.returned], row_of[hi[p.issued]])
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
    for r, h in named.items():
        ref, feature = _compared_with(held[h]), returned[r].feature
        match = (
            None
            if ref is None or feature is None
            else round(match_percent(ref.feature, feature), 2)
        )
        # Named by its marking: paired whatever it looks like (the marking decides).
        pairs.append(Paired(h, r, match, None, 0, None))
    out_elsewhere = (
        []
        if not kit.extra
        else [  # only an extra tool needs the rest of the crib's tools
            (t, ref)
            for t in IssuedTool.objects.open()
            .exclude(issue__engineer=engineer)
            .select_related("tool_instance__tool_type", "issue__engineer")
            if (ref := _compared_with(t)) is not None
        ]
    )
    owners = owners_of_extras([items[e] for e in kit.extra], out_elsewhere)
    extras = []
    for e, owner in zip(kit.extra, owners):
        reason = f"not issued to {engineer}"
        if owner is not None:
            theirs = cast(IssuedTool, owner.tool)
            reason += f"; it looks like {theirs.tool_instance}, out to {theirs.issue.engineer} ({owner.match:.0f}%)"
        extras.append((ri[e], reason))
    return pairs, extras


def _named_by_marking(held: list[IssuedTool], returned: list[ToolFeature]) -> dict[int, int]:
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


def _check_markings(
    held: list[IssuedTool],
    returned: list[ToolFeature],
    pairs: Sequence[Paired],
) -> dict[tuple[int, int], Check]:
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
        for h, r in ((p.held, p.returned) for p in pairs)
    }


def _line(
    tool_return: Return, crop: tuple[Photo, Box] | None, seen: ToolFeature, **fields: Any
) -> ReturnedTool:
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
    line.marking_pending = seen.pending and photo is not None
    line.save()
    return line


def _back_in_crib(issued: IssuedTool) -> None:
    issued.closed_at = timezone.now()
    issued.save(update_fields=["closed_at"])
    tool = issued.tool_instance
    tool.status = ToolInstance.Status.IN_CRIB
    tool.save()


def _return_summary(tool_return: Return) -> dict:
    return {
        "engineer": str(tool_return.engineer),
        "threshold": tool_return.threshold,
        "ends": tool_return.ends,
        "still_out": [
            t.tool_instance.inventory_number
            for t in tool_return.still_out_tools.select_related("tool_instance")
        ],
        "tools": [
            {
                "tool": str(line.issued_tool.tool_instance) if line.issued_tool else None,
                "match_percent": line.match_percent,
                "probability": line.probability,
                "decision": line.decision,
                "why": line.verdict_reason,
                "marking": line.marking_summary(),
                "marking_check": line.marking_check or None,
            }
            for line in tool_return.tools.select_related("issued_tool__tool_instance")
        ],
    }


def decide_recount(line: ReturnedTool, *, user: User, found: bool, reason: str) -> ReturnedTool:
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
        issued = line.issued_tool
        if line.decision not in ReturnedTool.OPEN_DECISIONS or issued is None:
            raise CribError(f"This tool was already decided: {line.get_decision_display()}.")
        sites.check_reaches(user, [issued.tool_instance], "decided")
        before = {"decision": line.decision}
        line.decision = (
            ReturnedTool.Decision.RECOUNTED_ACCEPTED if found else ReturnedTool.Decision.MISSING
        )
        line.decided_by, line.decided_at, line.reason = user, timezone.now(), reason
        line.save()
        if found:
            _back_in_crib(issued)
        else:
            issued.closed_at = timezone.now()
            issued.save(update_fields=["closed_at"])
            tool = issued.tool_instance
            tool.status = ToolInstance.Status.LOST
            tool.save()
        audit.record(
            "recount", line, before=before, after={"decision": line.decision, "reason": reason}
        )
    return line


def confirm_by_eye(lines: Sequence[ReturnedTool], *, user: User) -> list[ReturnedTool]:
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
        sites.check_reaches(
            user,
            [line.issued_tool.tool_instance for line in locked if line.issued_tool],
            "confirmed",
        )
        for line in locked:
            if line.decision != ReturnedTool.Decision.CONFIRM_BY_EYE or line.issued_tool is None:
                tool = line.issued_tool.tool_instance if line.issued_tool else "an extra tool"
                raise CribError(
                    f"{tool} is not waiting for a confirmation ({line.get_decision_display()}); "
                    "nothing was confirmed."
                )
        now = timezone.now()
        for line in locked:
            line.decision = ReturnedTool.Decision.CONFIRMED
            line.decided_by, line.decided_at, line.reason = user, now, "confirmed by eye"
            line.save()
            _back_in_crib(cast(IssuedTool, line.issued_tool))
            audit.record(
                "confirmed by eye",
                line,
                before={"decision": ReturnedTool.Decision.CONFIRM_BY_EYE},
                after={"decision": line.decision},
            )
    return locked


def read_close_up(line: ReturnedTool, data: bytes, *, user: User) -> tuple[ReturnedTool, Check]:
    """A close-up of one undecided return line's tool: its marking is read and decides the line,
    as a marking read off the return photo would have (confirmed -> accepted, back in the crib;
    another tool's or an unknown number -> recount). The close-up is kept on the line as
    evidence. A close-up where nothing is read changes nothing (CribError, no file left)."""
    line = ReturnedTool.objects.select_related(
        "issued_tool__tool_instance", "tool_return__engineer"
    ).get(pk=line.pk)
    issued = line.issued_tool
    if line.decision not in ReturnedTool.OPEN_DECISIONS or issued is None:
        raise CribError(f"This tool was already decided: {line.get_decision_display()}.")
    sites.check_reaches(user, [issued.tool_instance], "decided")
    number = issued.tool_instance.inventory_number
    crib = CribSettings.current()
    patterns, min_partial = crib.marking_rules()
    with photos_kept_only_if_done(), audit.acting_as(user), transaction.atomic():
        photo = store_photo(data, name="close-up.jpg", user=user)
        [marking] = recognition.read_markings(
            photo, [(0, 0, photo.width, photo.height)], (patterns, min_partial)
        )
        held = line.tool_return.engineer.held_tools().values_list(
            "tool_instance__inventory_number", flat=True
        )
        check = compare(
            marking,
            issued=number,
            held=list(held),
            crib=ToolInstance.objects.values_list("inventory_number", flat=True),
            patterns=patterns,
            min_partial=min_partial,
        )
        if not check.decides:
            raise CribError(
                f"The close-up of {number} decides nothing ({check.message}). Take it again, "
                "closer and sharp, with the number filling the picture, or decide by eye."
            )
        line = ReturnedTool.objects.select_for_update(of=("self",)).get(pk=line.pk)
        if line.decision not in ReturnedTool.OPEN_DECISIONS:
            raise CribError(f"This tool was already decided: {line.get_decision_display()}.")
        before = {"decision": line.decision, "marking": line.marking_summary()}
        line.marking_text = line.marking_source = ""
        line.marking_confidence = None
        line.keep_marking(marking)
        line.marking_box = None  # the marking is in the close-up, not in the return photo
        line.close_up, line.marking_check = photo, check.outcome
        line.marking_pending = False  # the close-up decided: the return photo's read comes late
        confirmed = check.outcome == Outcome.CONFIRMED
        verdict = "marking confirms it" if confirmed else "marking contradicts it"
        line.decision = (
            ReturnedTool.Decision.ACCEPTED if confirmed else ReturnedTool.Decision.RECOUNT_REQUIRED
        )
        line.reason = f"{verdict} ({check.message}, on a close-up)"
        if confirmed:
            line.decided_by, line.decided_at = user, timezone.now()
        line.save()
        if confirmed:
            _back_in_crib(cast(IssuedTool, line.issued_tool))
        audit.record(
            "close-up read",
            line,
            before=before,
            after={
                "decision": line.decision,
                "marking": line.marking_summary(),
                "marking_check": check.outcome,
                "close_up": photo.pk,
            },
        )
    return line, check


MARKING_PENDING = "marking being read"
LATE = "read after the return"


def marking_read(photo: Photo, box: Box, marking: Marking) -> None:
    """The marking reader has read `box` of `photo`: every enrolment, issued tool and return
    line waiting for that marking keeps it. A return line's marking is compared with its issued
    tool as at return (crib/markings.compare), and it decides, strongest first:

    - confirmed: a line still waiting for the desk (confirm by eye, recount) is accepted,
      "verified by marking", and its tool is back in the crib; a line already settled keeps
      its decision and says so.
    - contradicted (another tool's number, a number of no tool): the line goes to a recount
      with the reason. A line already accepted or confirmed by eye is reopened: its tool is
      held again until the recount, unless it has left the crib since (issued again, lost,
      retired...), then the reason says so and the decision stays for QA to see.
    - nothing read: the line keeps its visual verdict, and says the marking was not read.

    Audited as "marking read" (actor: the reader, no user)."""
    waiting = {"photo": photo, **box_fields(box), "marking_pending": True}
    with audit.acting_as(None), transaction.atomic():
        for model in (Enrolment, IssuedTool):
            for sighting in model.objects.select_for_update().filter(**waiting):
                sighting.keep_marking(marking)
                sighting.marking_pending = False
                sighting.save()
        lines = (
            ReturnedTool.objects.select_for_update(of=("self",))
            .select_related("issued_tool__tool_instance", "tool_return__engineer")
            .filter(**waiting)
        )
        for line in lines:
            _late_marking(line, marking)


def _late_marking(line: ReturnedTool, marking: Marking) -> None:
    before = {"decision": line.decision, "marking_check": line.marking_check}
    line.keep_marking(marking)
    line.marking_pending = False
    issued = line.issued_tool
    if issued is None:  # an extra line: the marking is kept; the desk's action decides
        line.save()
        return
    number = issued.tool_instance.inventory_number
    patterns, min_partial = CribSettings.current().marking_rules()
    held = list(
        line.tool_return.engineer.held_tools().values_list(
            "tool_instance__inventory_number", flat=True
        )
    )
    check = compare(
        marking,
        issued=number,
        held=held + [number],
        crib=ToolInstance.objects.values_list("inventory_number", flat=True),
        patterns=patterns,
        min_partial=min_partial,
    )
    line.marking_check = check.outcome
    Decision = ReturnedTool.Decision
    late = f"{check.message}; {LATE}"
    pending_note = f"; {MARKING_PENDING}"
    verdict = line.verdict_reason.removesuffix(pending_note)
    if not check.decides:
        line.verdict_reason = f"{verdict}; {late}"
        if line.decision in ReturnedTool.OPEN_DECISIONS:
            line.reason = line.verdict_reason
    elif check.outcome == Outcome.CONFIRMED:
        if line.decision in ReturnedTool.OPEN_DECISIONS:
            line.decision = Decision.ACCEPTED
            line.verdict_reason = line.reason = f"marking confirms it ({late})"
            line.decided_by, line.decided_at = None, timezone.now()
            _back_in_crib(issued)
        else:
            line.verdict_reason = f"{verdict}; {late}"
    else:
        contradicts = f"marking contradicts it ({late})"
        if line.decision in ReturnedTool.OPEN_DECISIONS:
            line.decision = Decision.RECOUNT_REQUIRED
            line.verdict_reason = line.reason = contradicts
        elif line.decision in (Decision.ACCEPTED, Decision.CONFIRMED):
            tool = ToolInstance.objects.select_for_update().get(pk=issued.tool_instance_id)
            if tool.status == ToolInstance.Status.IN_CRIB:
                # Back to the engineer until the desk counts it: the tool may still be out.
                issued.closed_at = None
                issued.save(update_fields=["closed_at"])
                tool.status = ToolInstance.Status.ISSUED
                tool.save()
                line.decision = Decision.RECOUNT_REQUIRED
                line.decided_by = line.decided_at = None
                line.verdict_reason = line.reason = contradicts
            else:
                line.verdict_reason = (
                    f"{contradicts}; {tool} is {tool.get_status_display()} since: for QA"
                )
        else:  # counted by hand at a recount: the desk's count stands; the marking is kept
            line.verdict_reason = f"{verdict}; {contradicts}"
    line.save()
    audit.record(
        "marking read",
        line,
        before=before,
        after={
            "decision": line.decision,
            "marking": line.marking_summary(),
            "marking_check": line.marking_check,
            "why": check.message,
        },
    )


def set_risk(value: Any, *, user: User) -> CribSettings:
    """The admin's accepted risk: false accepts per 1,000 returned tools; refused unless a
    number from 0 to 1000."""
    message = "The accepted risk is a number of false accepts per 1,000 returned tools, 0 to 1000."
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise CribError(message) from None
    if not 0 <= value <= 1000:  # NaN fails this too
        raise CribError(message)
    with audit.acting_as(user), transaction.atomic():
        current = CribSettings.current()
        current.accepted_risk = value
        current.save()
    return current


MAX_PATTERNS, MAX_PATTERN_LENGTH = 20, 200
MIN_PARTIAL_RANGE = (4, 20)


def clean_marking_patterns(text: Any) -> str:
    """The crib's inventory-number patterns as typed (one regular expression per line), blank
    lines dropped; CribError naming the line that is not a usable pattern."""
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    if not lines:
        raise CribError("Give at least one inventory-number pattern, e.g. [A-Z]{2}-\\d{6}-\\d.")
    if len(lines) > MAX_PATTERNS:
        raise CribError(f"At most {MAX_PATTERNS} patterns, one per line.")
    for n, line in enumerate(lines, 1):
        if len(line) > MAX_PATTERN_LENGTH:
            raise CribError(f"Pattern {n} is longer than {MAX_PATTERN_LENGTH} characters.")
        try:
            [pattern] = compile_patterns([line])
        except ValueError as e:
            why = str(e).split(": ", 1)[-1]  # compile_patterns names the pattern: say it once
            raise CribError(f"Pattern {n} ({line}) is not a regular expression: {why}.") from None
        if pattern.fullmatch(""):
            # It would accept any junk read as a number (and an empty one).
            raise CribError(f"Pattern {n} ({line}) matches an empty read: make it name a number.")
    return "\n".join(lines)


def set_marking_rules(patterns: Any, min_partial: Any, *, user: User) -> CribSettings:
    """The admin's inventory-number patterns and the shortest partial read that may confirm a
    tool. Markings kept under the old rules are read again when next used."""
    text = clean_marking_patterns(patterns)
    low, high = MIN_PARTIAL_RANGE
    try:
        length = int(min_partial)
    except (TypeError, ValueError):
        length = -1
    if not low <= length <= high:
        raise CribError(f"The shortest partial read is a number of characters, {low} to {high}.")
    with audit.acting_as(user), transaction.atomic():
        current = CribSettings.current()
        current.marking_patterns, current.marking_min_partial = text, length
        current.save()
    return current


def check_status_change(tool: ToolInstance | str, current: str, new: str) -> None:
    """Whether a tool is issued changes only by an issue or a return, which keep status and
    holder together; any other change of status (lost, broken, in calibration...) is free."""
    issued = ToolInstance.Status.ISSUED
    if new == current or (new != issued and current != issued):
        return
    if current == issued:
        out = tool.open_issued_tool() if isinstance(tool, ToolInstance) else None
        who = f" to {out.issue.engineer}" if out else ""
        raise CribError(
            f"{tool} is issued{who}: only a return at the desk takes it back; nothing was changed."
        )
    raise CribError(
        f"Only an issue at the desk hands {tool} out (it is {ToolInstance.Status(current).label}); "
        "nothing was changed."
    )


def save_tool(tool: ToolInstance, *, user: User, fields: list[str] | None = None) -> ToolInstance:
    """Save a tool instance edited outside the desk (the admin, the API): `fields` are the ones
    that were edited, and only those are written, so a stale form cannot undo an issue made
    meanwhile. The status rule is checked against the row as it is now, locked."""
    sites.check_reaches(user, [tool], "saved")  # nor moved to another site
    with audit.acting_as(user), transaction.atomic():
        if tool.pk is None:
            check_status_change(tool, ToolInstance.Status.IN_CRIB, tool.status)
            tool.save()
            return tool
        current = ToolInstance.objects.select_for_update().get(pk=tool.pk)
        sites.check_reaches(user, [current], "saved")
        editable = {f.name for f in ToolInstance._meta.fields if f.editable}
        fields = [f for f in fields or [] if f in editable]
        if "status" in fields:
            check_status_change(current, current.status, tool.status)
        for name in fields:
            setattr(current, name, getattr(tool, name))
        if fields:
            current.save(update_fields=fields)
    return current


# What an admin sets by hand on a tool's page: "issued" comes only from an issue at the desk.
SETTABLE_STATUSES = [s for s in ToolInstance.Status if s != ToolInstance.Status.ISSUED]


def change_status(tool: ToolInstance, status: str, *, reason: str, user: User) -> ToolInstance:
    """An admin's change of a tool's status (broken, in calibration, retired, lost, found: back
    in the crib), with the reason, which the audit trail keeps beside the change. An issued tool
    keeps its status until a return at the desk (checked on the locked row; the database's
    trigger `tool_status_follows_holder` refuses it too)."""
    reason = (reason or "").strip()
    if not reason:
        raise CribError("Say why: a change of status needs a reason; nothing was changed.")
    if status not in SETTABLE_STATUSES:
        raise CribError(
            f"“{status}” is not a status an admin sets (issued comes only from the desk); "
            "nothing was changed."
        )
    with audit.acting_as(user), transaction.atomic():
        current = ToolInstance.objects.select_for_update().get(pk=tool.pk)
        sites.check_reaches(user, [current], "changed")
        if current.status == status:
            raise CribError(
                f"{current} is already {current.get_status_display()}; nothing was changed."
            )
        check_status_change(current, current.status, status)
        current.status = status
        current.audit_reason = reason
        current.save(update_fields=["status"])
        current.audit_reason = ""
    return current


def set_threshold(value: Any, *, user: User) -> CribSettings:
    """`value`: whatever the form or the request sent; refused unless a percent, 0 to 100."""
    try:
        percent = float(value)
    except (TypeError, ValueError):
        raise CribError("The threshold is a number of percent, 0 to 100.") from None
    if not 0 <= percent <= 100:
        raise CribError("The threshold is a number of percent, 0 to 100.")
    with audit.acting_as(user), transaction.atomic():
        current = CribSettings.current()
        current.recount_threshold = percent
        current.save()
    return current
