"""The crib's use of the tool model: what is in a stored photo, and which enrolled tool it is.

Recognition may be off (no model file); then boxes are still proposed, no types or instances
are suggested, no features are stored, and every returned tool goes to a manual recount.
"""

import io
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from pgvector.django import CosineDistance
from PIL import Image, ImageOps

from inference import markings, preprocess, rotation, runtime, turned
from inference.boxes import Proposal, propose_in_file
from inference.boxes import notice as box_notice
from inference.recognise import Candidate, Recognition, recognise
from inference.similarity import percent_from_distance
from inference.turned import Box
from toolcrib.crib import marking_queue
from toolcrib.crib.markings import Named, name_tool, reads_of
from toolcrib.crib.models import (
    BoxMarking,
    BoxRecognition,
    CribSettings,
    Enrolment,
    Photo,
    Site,
    ToolInstance,
    ToolType,
    box_fields,
)

# pgvector's HNSW search filters after the index scan; a wider candidate list keeps the
# nearest tools of one type in the answer. On 100,000 enrolments (bench/nearest.py,
# docs/nearest.md) 200 gave recall@5 0.91-0.95 against exact search, 800 gave 0.97-0.98.
EF_SEARCH = 800


@dataclass
class TypeCandidate:
    tool_type_id: int
    name: str
    probability: float


@dataclass
class InstanceCandidate:
    tool_instance_id: int
    inventory_number: str
    match_percent: float


@dataclass
class Suggestion:
    """The crib's answer for one box: likely tool types and nearest enrolled tool instances."""

    box: Box
    confidence: float
    types: list[TypeCandidate] = field(default_factory=list)
    instances: list[InstanceCandidate] = field(default_factory=list)
    feature: np.ndarray | None = None
    marking: markings.Marking | None = None  # what was read off the tool (None: not read)
    named: Named | None = None  # what the marking says about the crib's tools
    reading: bool = False  # the marking is not read yet: asked for apart (markings="later")
    tools: int = 1  # a proposed box that likely holds several overlapping tools says how many
    maybe_several: bool = False  # one tool likely, but large enough to hold two
    cut_from_pile: bool = False  # cut out of tools that overlap: a guess, check it

    @property
    def notice(self) -> str:
        return box_notice(self.tools, self.maybe_several, self.cut_from_pile)

    @property
    def marking_answer(self) -> dict | None:
        """The marking as the recognition API gives it (None: not read at all)."""
        if self.reading:
            return READING
        if self.marking is None or self.named is None:
            return None
        read = self.named.read
        box = None
        if read is not None and read.box is not None:
            x0, y0 = turned.bounds(self.box)[:2]  # markings are read in the bounds
            box = [x0 + read.box[0], y0 + read.box[1], x0 + read.box[2], y0 + read.box[3]]
        return {
            "text": self.named.text or None,
            "source": read.source if read else None,
            "confidence": round(read.confidence, 3) if read else None,
            "status": self.marking.status,
            "message": self.named.message,
            "char_height": self.marking.char_height,
            "box": box,
            "check": self.named.check,
            "tool_instance": self.named.tool_instance_id,
            "inventory_number": self.named.inventory_number or None,
        }


# A box's marking not read yet: the answer to POST /api/recognition/markings/ fills it in.
READING = {
    "text": None,
    "source": None,
    "confidence": None,
    "status": None,
    "message": "Reading the marking…",
    "char_height": None,
    "box": None,
    "check": "reading",
    "tool_instance": None,
    "inventory_number": None,
}


def photo_bytes(photo: Photo) -> bytes:
    with photo.image.open("rb") as f:
        return f.read()


def recognise_boxes(
    photo: Photo, boxes: list[Box], *, reuse: bool = True
) -> tuple[list[Recognition | None], str]:
    """The model's recognition of each box in `photo` (class candidates and a unit-length 512-d
    feature), or None for each when recognition is off; and the model's sha256. reuse=False
    runs the model whatever was kept (`manage.py reembed` recomputes)."""
    model = runtime.get_model()
    if model is None or not boxes:
        return [None] * len(boxes), ""
    if not reuse:
        return recognise(photo_bytes(photo), boxes, model), model.sha256
    return kept_recognitions(photo, boxes, model), model.sha256


def kept_recognitions(
    photo: Photo, boxes: list[Box], model: runtime.Model, data: bytes | None = None
) -> list[Recognition]:
    """The recognition of each box: the kept one where this photo's box was recognised before
    by this model file in this rotation mode, else computed now (one model run for all the
    missing boxes, one decode of the photo) and kept. `data`: the photo's bytes, if read."""
    mode = rotation.rotation_mode()
    boxes = [turned.plain(b) for b in boxes]
    kept = {
        row.box: row
        for row in BoxRecognition.objects.filter(
            photo=photo, model_sha256=model.sha256, rotation=mode
        )
    }
    missing = list(dict.fromkeys(b for b in boxes if b not in kept))
    if missing:
        fresh = recognise(
            data if data is not None else photo_bytes(photo), missing, model, rotation_mode=mode
        )
        made = [
            BoxRecognition(
                photo=photo,
                **box_fields(b),
                model_sha256=model.sha256,
                rotation=mode,
                feature=r.feature,
                candidates=[[c.class_index, c.probability] for c in r.candidates],
            )
            for b, r in zip(missing, fresh)
        ]
        # Two requests may recognise the same box at once: the first row stays, both are equal.
        BoxRecognition.objects.bulk_create(made, ignore_conflicts=True)
        kept.update(zip(missing, made))
    return [_as_recognition(kept[b]) for b in boxes]


def _as_recognition(row: BoxRecognition) -> Recognition:
    return Recognition(
        box=row.box,
        candidates=[Candidate(int(i), float(p)) for i, p in row.candidates],
        feature=np.asarray(row.feature, dtype=np.float32),
    )


def full_pixels(data: bytes) -> np.ndarray:
    """A photo's oriented pixels at full resolution (the markings are read from these)."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


def read_markings(photo: Photo, boxes: list[Box], rules=None, data: bytes | None = None):
    """What is read off each tool in the boxes (inference Marking per box): codes and numbers,
    from the photo's full-resolution pixels. `rules`: (patterns, min_partial) from the crib's
    settings. Never raises on what is in the photo: a failure is a Marking that says so.
    The OCR runs here: the marking reader calls it, and the desk's close-up (one box)."""
    patterns, min_partial = rules or (None, markings.DEFAULT_MIN_PARTIAL)
    try:
        rgb = full_pixels(data or photo_bytes(photo))
    except (OSError, ValueError) as e:
        return [
            markings.Marking(status="failed", message=f"The photo could not be read: {e}")
        ] * len(boxes)
    return markings.read_photo(rgb, boxes, patterns, min_partial=min_partial)


def kept_or_queued(
    photo: Photo, boxes: list[Box], rules=None, *, queue: bool = True
) -> list[markings.Marking | None]:
    """The marking of each box kept under the crib's present rules, or None where it is not
    read yet: those boxes are queued for the marking reader (marking_queue.py, marking_reader.py), which reads
    them in its own process (queue=False: the caller queues them, once it knows it needs
    them: `queue_markings`). No OCR runs here."""
    patterns, min_partial = rules or CribSettings.current().marking_rules()
    boxes = [turned.plain(b) for b in boxes]
    kept = kept_markings(photo, (patterns, min_partial))
    missing = [b for b in boxes if b not in kept]
    if missing and queue:
        marking_queue.queue(photo, missing, markings.rules_key(patterns, min_partial))
    return [kept.get(b) for b in boxes]


def queue_markings(sightings, rules=None) -> None:
    """Queue for the marking reader the boxes of (photo, box) pairs (one photo at a time)."""
    patterns, min_partial = rules or CribSettings.current().marking_rules()
    key = markings.rules_key(patterns, min_partial)
    by_photo: dict[int, tuple[Photo, list[Box]]] = {}
    for photo, box in sightings:
        by_photo.setdefault(photo.pk, (photo, []))[1].append(box)
    for photo, boxes in by_photo.values():
        marking_queue.queue(photo, boxes, key)


def kept_markings(photo: Photo, rules) -> dict[Box, markings.Marking]:
    """The markings read and kept for `photo`'s boxes under these rules (patterns,
    min_partial); boxes still pending with the reader are not among them."""
    key = markings.rules_key(*rules)
    return {
        row.box: markings.Marking.from_dict(row.reading)
        for row in BoxMarking.objects.filter(photo=photo, rules=key, reading__isnull=False)
    }


def read_boxes(
    photo: Photo, boxes: list[Box]
) -> list[tuple[markings.Marking | None, Named | None]]:
    """The marking of each box and what it says about the crib, where the reader has read it;
    (None, None) where it has not yet: queued, the caller asks again (POST
    /api/recognition/markings/, which the page polls after the boxes were answered)."""
    rules = CribSettings.current().marking_rules()
    read = kept_or_queued(photo, boxes, rules)
    return list(zip(read, name_tools(read, rules[0])))


def name_tools(read_off: list[markings.Marking | None], patterns=None) -> list[Named | None]:
    """What each marking says about the crib's tools (one query for all of them)."""
    keys = {k for m in read_off if m is not None for _, k in reads_of(m)}
    crib: dict[str, tuple[int, str]] = {}
    if keys:
        asked = Q()
        for k in keys:
            asked |= Q(inventory_number__iexact=k)
        crib = {
            markings.normalise(number): (pk, number)
            for pk, number in ToolInstance.objects.filter(asked).values_list(
                "pk", "inventory_number"
            )
        }
    return [None if m is None else name_tool(m, crib, patterns) for m in read_off]


def propose(
    photo: Photo,
    data: bytes | None = None,
    expected: int | None = None,
    at_most: int | None = None,
) -> list["Proposed"]:
    """Boxes around the tools on the table, each as the proposer saw it (Proposed); the whole
    photo when none is found. `data`: the photo's bytes, when the caller has read them already; `expected`: how many tools the photo should hold, when that is known;
    `at_most`: how many it may hold (boxes.propose_boxes)."""
    proposals = propose_in_file(
        io.BytesIO(data or photo_bytes(photo)), expected=expected, at_most=at_most
    )
    boxes = [
        Proposed(
            _checked(p, (photo.width, photo.height)),
            p.confidence,
            p.tools,
            p.maybe_several,
            p.cut_from_pile,
        )
        for p in proposals
    ]
    return boxes or [Proposed((0, 0, photo.width, photo.height), 0.0)]


class Proposed(NamedTuple):
    """A box to recognise, with what the proposer said of it (Suggestion's fields)."""

    box: Box
    confidence: float
    tools: int = 1
    maybe_several: bool = False
    cut_from_pile: bool = False


def _checked(proposal: Proposal, size: tuple[int, int]) -> Box:
    """A proposal's box as the crib keeps it: turned where the proposer turned it (and it
    passes the crib's check), else axis-aligned."""
    if proposal.turned_box is not None:
        try:
            return preprocess.check_box(proposal.turned_box, size)
        except preprocess.PhotoError:
            pass
    return proposal.box


def recognise_photo(
    photo: Photo,
    boxes: list[Box] | None = None,
    *,
    in_crib_only: bool = True,
    expected: int | None = None,
    at_most: int | None = None,
    read: bool = True,
    wait: bool = False,
    site: Site | None = None,
) -> list["Suggestion"]:
    """For each box (proposed when none are given): likely tool types and nearest enrolled tools,
    and what is read off the tool (`read`: kept markings; the others are queued for the marking
    reader and answered `reading`; read_boxes gives them when read). wait=True waits (idle)
    for the reader, at most TOOLCRIB_MARKING_WAIT_SECONDS; what is not read by then is still
    `reading`. The OCR never runs here: seconds a box, the rest ~1 s a photo.
    `expected`: how many tools the photo should hold (the engineer's at return, the kit's at
    issue), which lets the proposer cut merged tools apart or say that they overlap; `at_most`:
    an upper bound only (the engineer's tools at a normal return). `site`: the nearest enrolled
    tools are that site's only (the asker is limited to it, toolcrib/crib/sites.py)."""
    data = photo_bytes(photo)  # read once: proposals, the model and the markings decode it
    boxed = (
        [Proposed(turned.plain(b), 1.0) for b in boxes]
        if boxes is not None
        else propose(photo, data, expected, at_most)
    )
    model = runtime.get_model()
    boxes = [p.box for p in boxed]

    def run_model() -> list[Recognition] | None:
        return kept_recognitions(photo, boxes, model, data) if model is not None else None

    read_off: list[markings.Marking | None] = [None] * len(boxes)
    named: list[Named | None] = [None] * len(boxes)
    if read:
        # Queued for the marking reader before the model runs: it reads while the model thinks.
        rules = CribSettings.current().marking_rules()
        read_off = kept_or_queued(photo, boxes, rules)
    found = run_model()
    if read and wait and any(m is None for m in read_off):
        key = markings.rules_key(*rules)
        marking_queue.wait_for(photo, boxes, key, settings.TOOLCRIB_MARKING_WAIT_SECONDS)
        on_hand = kept_markings(photo, rules)
        read_off = [on_hand.get(b) for b in boxes]
    if read:
        named = name_tools(read_off, rules[0])
    reading = [read and m is None for m in read_off]
    if model is None or found is None:
        return [
            Suggestion(**p._asdict(), marking=m, named=t, reading=w)
            for p, m, t, w in zip(boxed, read_off, named, reading)
        ]
    model_types = {t.model_class_index: t for t in ToolType.objects.exclude(model_class_index=None)}
    out = []
    for p, r, m, t, w in zip(boxed, found, read_off, named, reading):
        types = [
            TypeCandidate(
                model_types[c.class_index].pk, model_types[c.class_index].name, c.probability
            )
            for c in r.candidates
            if c.class_index in model_types
        ]
        types = _with_enrolled_types(types, r.feature, model.sha256)
        instances = nearest_instances(
            r.feature,
            model.sha256,
            tool_type_id=types[0].tool_type_id if types else None,
            in_crib_only=in_crib_only,
            site=site,
        )
        out.append(
            Suggestion(
                **p._asdict(),
                types=types,
                instances=instances,
                feature=r.feature,
                marking=m,
                named=t,
                reading=w,
            )
        )
    return out


def _with_enrolled_types(types: list[TypeCandidate], feature, sha: str) -> list[TypeCandidate]:
    """Types enrolled after training have no class in the model: they are known by their
    enrolments. When the nearest enrolled tool is of such a type, that type comes first,
    with its match as the probability."""
    # While no such type is enrolled (the usual case), skip the vector search altogether.
    if not Enrolment.objects.filter(
        model_sha256=sha, tool_instance__tool_type__model_class_index=None
    ).exists():
        return types
    nearest = nearest_instances(feature, sha, limit=1, new_types_only=True)
    if not nearest:
        return types
    tool = ToolInstance.objects.select_related("tool_type").get(pk=nearest[0].tool_instance_id)
    model_type_best = nearest_instances(feature, sha, limit=1, model_types_only=True)
    if model_type_best and model_type_best[0].match_percent >= nearest[0].match_percent:
        return types + [
            TypeCandidate(tool.tool_type_id, tool.tool_type.name, nearest[0].match_percent / 100)
        ]
    return [
        TypeCandidate(tool.tool_type_id, tool.tool_type.name, nearest[0].match_percent / 100)
    ] + types


def nearest_instances(
    feature,
    sha: str,
    *,
    tool_type_id=None,
    in_crib_only=False,
    limit=5,
    new_types_only=False,
    model_types_only=False,
    ef_search: int | None = None,
    exact: bool | None = None,
    site: Site | None = None,
) -> list[InstanceCandidate]:
    """1:N: the enrolled tool instances nearest to `feature`, best first, one row per instance.

    pgvector 0.6 filters (type, in crib) after the HNSW scan: when the asked-for enrolments are
    not among the `ef_search` nearest of all (another type than the photo shows, a new type with
    few enrolments) the index finds fewer than `limit` of them, often none. By default (exact=None)
    such a short answer is searched again exactly (no index; bench/nearest.py and docs/nearest.md
    for the recall and times). exact=True searches only exactly, exact=False only the index.
    `ef_search`: the HNSW candidate list for this query (default EF_SEARCH). `site`: that
    site's tools only (a filter like the type: a short answer is searched again exactly).
    """
    enrolments = Enrolment.objects.filter(model_sha256=sha).exclude(embedding=None)
    if tool_type_id is not None:
        enrolments = enrolments.filter(tool_instance__tool_type_id=tool_type_id)
    if in_crib_only:
        enrolments = enrolments.filter(tool_instance__status=ToolInstance.Status.IN_CRIB)
    if site is not None:
        enrolments = enrolments.filter(tool_instance__site=site)
    if new_types_only:
        enrolments = enrolments.filter(tool_instance__tool_type__model_class_index=None)
    if model_types_only:
        enrolments = enrolments.exclude(tool_instance__tool_type__model_class_index=None)
    rows = (
        enrolments.annotate(
            distance=CosineDistance("embedding", np.asarray(feature, dtype=np.float32))
        )
        .order_by("distance")
        .values_list("tool_instance_id", "tool_instance__inventory_number", "distance")
    )[: limit * 8]
    picked = _instances(
        rows, limit, exact=bool(exact), ef_search=EF_SEARCH if ef_search is None else ef_search
    )
    if exact is None and len(picked) < limit:
        picked = _instances(rows, limit, exact=True)
    return picked


def _instances(
    rows, limit: int, *, exact: bool, ef_search: int = EF_SEARCH
) -> list[InstanceCandidate]:
    with transaction.atomic(), connection.cursor() as cursor:
        if exact:
            # The HNSW index is the only index that orders by distance: without index scans
            # PostgreSQL reads the filtered enrolments and sorts them by the exact distance.
            # (Whatever the session's planner settings: a sequential scan and a sort.)
            cursor.execute(
                "SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = on; SET LOCAL enable_sort = on"
            )
        else:
            cursor.execute("SET LOCAL hnsw.ef_search = %s", [ef_search])
        picked: dict[int, InstanceCandidate] = {}
        for pk, number, distance in rows.all():  # a fresh query each time (no result cache)
            if pk not in picked:
                picked[pk] = InstanceCandidate(
                    pk, number, round(percent_from_distance(distance), 2)
                )
            if len(picked) == limit:
                break
        # Only reads happened: roll the savepoint back so that the SET LOCALs above end here and
        # do not hold for the rest of a caller's transaction (no index scans for its queries).
        transaction.set_rollback(True)
    return list(picked.values())
