"""Measure box proposals, classification and kit matching on a folder of kit photos.

    uv run python -m inference.kit_eval PATH      (or: manage.py evaluate_kits PATH)

PATH holds JPEGs and `boxes.csv` with columns image,label,x0,y0,x1,y1 and optionally
kit,tool,tier,table,layout (scripts/make_kits.py writes them all). Without `kit`, the kit is
the image name up to "__"; without `tool`, a tool is known by its label (so one tool per type
in a kit). Photos of one kit are paired for kit matching within their tier. With `tier`,
`table` and `layout`, the figures are also given per tier, per table and per layout. The real
kit photo in ../shared/photos/kit is always measured too, on its own line.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import permutations
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from inference import turned, verdicts
from inference.boxes import Proposal, propose_in_file, refine_with_model
from inference.calibration import FALLBACK, FALLBACK_POINTS, Calibration, Candidate, level_for_risk
from inference.kits import KitItem, match_kit
from inference.preprocess import DecodedPhoto
from inference.recognise import CLASS_NAMES, model_inputs, model_outputs
from inference.rotation import rotation_mode
from inference.runtime import get_model, model_status
from inference.similarity import pairwise_match_percent

CLASSES = list(CLASS_NAMES)
IOU_HIT = 0.5
REAL_KIT = Path(__file__).resolve().parent.parent.parent / "shared" / "photos" / "kit"


def run_model(
    image: Image.Image, boxes: list, *, rotation: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities [n, 11] and unit features [n, 512] for the boxes, in one batch,
    through the app's own runtime and preprocessing (rotation: none|tta|canonical, default
    TOOLCRIB_ROTATION)."""
    if not boxes:
        return np.zeros((0, len(CLASSES)), np.float32), np.zeros((0, 512), np.float32)
    model = get_model()
    if model is None:
        raise RuntimeError(model_status().message)
    mode = rotation_mode(rotation)
    photo = DecodedPhoto(image=image, size=image.size, scale=1)
    probs, features = model_outputs(
        model, model_inputs(photo, [tuple(b) for b in boxes], mode), mode
    )
    if probs is None:
        raise RuntimeError("the model has no `p` output: kits cannot be evaluated by class")
    return probs, features


@dataclass
class Truth:
    label: str
    box: tuple[int, int, int, int]
    tool: str
    tier: str = ""  # easy | hard (make_kits.py); "" for a folder that does not say
    table: str = ""
    layout: str = ""
    turned: tuple | None = None  # the tool's turned box (make_kits.py), where it saves area


@dataclass
class PhotoResult:
    """What the evaluation found in one kit photo."""

    name: str
    kit: str
    truths: list[Truth]
    proposals: list[Proposal]
    true_probs: np.ndarray  # model output on the true boxes
    true_features: np.ndarray
    proposal_probs: np.ndarray  # model output on the proposals
    proposal_features: np.ndarray
    hits: dict[int, int]  # truth index -> proposal index (IoU >= 0.5, one-to-one)

    @property
    def tier(self) -> str:
        return self.truths[0].tier if self.truths else ""

    @property
    def table(self) -> str:
        return self.truths[0].table if self.truths else ""

    @property
    def layout(self) -> str:
        """The layout as the CSV says it (table_layout), else read off the image name."""
        if self.truths and self.truths[0].layout:
            return f"{self.table}_{self.truths[0].layout}"
        return self.name.split("__")[-1].rsplit(".", 1)[0].split("_", 1)[-1]

    @property
    def merged(self) -> int:
        """Proposals holding two or more whole tools."""
        return sum(_held(self, p) >= 2 for p in self.proposals)


def read_truth(folder: Path) -> dict[str, tuple[str, list[Truth]]]:
    photos: dict[str, tuple[str, list[Truth]]] = {}
    with (folder / "boxes.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            kit = row.get("kit") or row["image"].split("__")[0]
            x0, y0, x1, y1 = (int(float(row[k])) for k in ("x0", "y0", "x1", "y1"))
            photos.setdefault(row["image"], (kit, []))[1].append(
                Truth(
                    row["label"],
                    (x0, y0, x1, y1),
                    row.get("tool") or row["label"],
                    row.get("tier") or "",
                    row.get("table") or "",
                    row.get("layout") or "",
                    tuple(float(v) for v in row["turned"].split()) if row.get("turned") else None,
                )
            )
    return photos


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def match_boxes(
    truths: list[Truth], proposals: list[Proposal], *, as_turned: bool = False
) -> dict[int, int]:
    """Greedy one-to-one matching by IoU, best pairs first, at IoU >= 0.5. `as_turned`: the
    truths' turned boxes against the proposals' fitted ones (stricter where tools lie
    diagonally: an upright box around two crossing tools overlaps each a lot)."""
    candidates = sorted(
        (
            (
                turned.iou(t.turned or t.box, p.fitted) if as_turned else iou(t.box, p.box),
                ti,
                pi,
            )
            for ti, t in enumerate(truths)
            for pi, p in enumerate(proposals)
        ),
        reverse=True,
    )
    hits, used = {}, set()
    for value, ti, pi in candidates:
        if value < IOU_HIT:
            break
        if ti not in hits and pi not in used:
            hits[ti] = pi
            used.add(pi)
    return hits


COUNTS = ("exact", "bound", "none")


def analyse(
    folder: Path,
    *,
    rotation: str | None = None,
    with_model: bool = True,
    count: str = "exact",
    every: int = 1,
    turn: bool = True,
) -> list[PhotoResult]:
    """Proposals and the model's view of each photo. `count`: what the proposer is told of the
    number of tools the photo holds — `exact` (a kit chosen at issue), `bound` (at most that
    many: what the app tells it at return, where some tools may stay out or be missing) or
    `none`. `every`: only every n-th photo (a subset while iterating). `turn`: the model sees
    turned boxes where the proposer (and the CSV's `turned` column) has them, as the app does;
    False: axis-aligned boxes only (as before turned boxes)."""
    if count not in COUNTS:
        raise ValueError(f"count {count!r}: expected one of {', '.join(COUNTS)}")
    photos = []
    empty = np.zeros((0, len(CLASSES)), np.float32), np.zeros((0, 512), np.float32)
    for name, (kit, truths) in sorted(read_truth(folder).items())[::every]:
        # Proposed as the app proposes (a JPEG decoded small); the model sees the whole photo.
        proposals = propose_in_file(
            folder / name,
            expected=len(truths) if count == "exact" else None,
            at_most=len(truths) if count == "bound" else None,
        )
        true_boxes = [(t.turned or t.box) if turn else t.box for t in truths]
        fitted = [p.fitted if turn else p.box for p in proposals]
        (true_probs, true_features), (proposal_probs, proposal_features) = empty, empty
        if with_model:
            image = ImageOps.exif_transpose(Image.open(folder / name)).convert("RGB")
            true_probs, true_features = run_model(image, true_boxes, rotation=rotation)
            proposal_probs, proposal_features = run_model(image, fitted, rotation=rotation)
        photos.append(
            PhotoResult(
                name,
                kit,
                truths,
                proposals,
                true_probs,
                true_features,
                proposal_probs,
                proposal_features,
                match_boxes(truths, proposals),
            )
        )
    return photos


@dataclass
class Slice:
    """The figures of one part of the set (a tier, a table)."""

    photos: int
    tools: int
    recall: float
    precision: float
    merged: int  # proposals holding two or more whole tools
    kit_pairs: int
    kit_accuracy_true: float
    kit_accuracy_proposed: float
    # issued tools whose box was found in both photos of a pair, as a share of all issued
    # tools: kit matching on proposed boxes cannot be higher (a tool not found is wrong)
    found_in_both: float = 0.0
    # the desk's case: the issue photo's boxes as the storekeeper checked them (true boxes),
    # the return photo's as proposed
    kit_accuracy_checked: float = 0.0


@dataclass
class Figures:
    photos: int
    tools: int
    proposals: int
    recall: float
    precision: float
    class_accuracy_true: float
    class_accuracy_proposed: float  # over tools whose proposal was found (IoU >= 0.5)
    kit_pairs: int
    kit_accuracy_true: float  # true boxes
    kit_accuracy_proposed: float  # proposed boxes; a tool not found counts as wrong
    by_layout: dict[str, tuple[float, float]]  # layout -> (recall, precision)
    by_kit: dict[str, tuple[float, float]]  # kit -> kit matching accuracy on (true, proposed) boxes
    refined_recall: float  # after refine_with_model dropped the boxes the model sees no tool in
    refined_precision: float
    model_verdicts: dict[
        int, tuple[int, int, int]
    ]  # tools in box (0, 1, 2+) -> (boxes, dropped, flagged two)
    by_tier: dict[str, Slice]  # tier -> figures; "hard, not piled" is the target
    by_table: dict[str, Slice]  # "tier table" -> figures
    notices: tuple[int, int, int]  # boxes saying 2+ tools that hold 2+, saying 2+, holding 2+
    maybe: tuple[
        int, int, int
    ]  # boxes saying "may hold 2" that hold 2+, saying so, any notice right
    # The return desk's verdicts (inference/verdicts.py) on (true, proposed) boxes:
    accepted: tuple[float, float] = (0.0, 0.0)  # share of genuine returns accepted without a look
    false_accepts: tuple[float, float] = (0.0, 0.0)  # share of not-issued tools accepted as one
    confirm: tuple[float, float] = (0.0, 0.0)  # share of genuine returns waiting for one click
    genuine_recount: tuple[int, int] = (0, 0)  # genuine, correctly paired, sent to recount
    risk: float = 20.0
    turned_fit: tuple[float, float] = (0.0, 0.0)  # recall, precision by turned IoU
    # boxes cut out of a pile: (said, of those a hit), every other box: (boxes, hits)
    cut_from_pile: tuple[int, int, int, int] = (0, 0, 0, 0)


def _kit_key(photo: PhotoResult) -> str:
    """Photos are paired within their kit and tier: an easy photo is not a hard one's return."""
    return photo.kit if photo.tier in ("", "easy") else f"{photo.kit} {photo.tier}"


def _kit_figures(
    photos: list[PhotoResult],
) -> tuple[int, dict[str, tuple[int, int, int, int, int]]]:
    """Photo pairs, and per kit: (tools counted, right on true boxes, right on proposed boxes,
    found in both photos on proposed boxes, right with the issue's boxes checked and the
    return's proposed)."""
    kits = defaultdict(list)
    for p in photos:
        kits[_kit_key(p)].append(p)
    pairs, out = 0, {}
    for kit, members in sorted(kits.items()):
        counted = right_t = right_p = both = right_c = 0
        for issued, returned in permutations(members, 2):
            pairs += 1
            counted += len(issued.truths)
            right_t += _kit_right(issued, returned, issued_proposed=False, returned_proposed=False)
            right_p += _kit_right(issued, returned, issued_proposed=True, returned_proposed=True)
            both += _found_in_both(issued, returned)
            right_c += _kit_right(issued, returned, issued_proposed=False, returned_proposed=True)
        out[kit] = (counted, right_t, right_p, both, right_c)
    return pairs, out


def _found_in_both(issued: PhotoResult, returned: PhotoResult) -> int:
    """The issued photo's tools whose boxes were found in both photos."""
    there = {returned.truths[j].tool for j in returned.hits}
    return sum(issued.truths[i].tool in there for i in issued.hits)


def _slice(photos: list[PhotoResult]) -> Slice:
    tools = sum(len(p.truths) for p in photos)
    found = sum(len(p.hits) for p in photos)
    proposals = sum(len(p.proposals) for p in photos)
    pairs, kits = _kit_figures(photos)
    counted = sum(c for c, *_ in kits.values())
    return Slice(
        photos=len(photos),
        tools=tools,
        recall=found / max(1, tools),
        precision=found / max(1, proposals),
        merged=sum(p.merged for p in photos),
        kit_pairs=pairs,
        kit_accuracy_true=sum(k[1] for k in kits.values()) / max(1, counted),
        kit_accuracy_proposed=sum(k[2] for k in kits.values()) / max(1, counted),
        found_in_both=sum(k[3] for k in kits.values()) / max(1, counted),
        kit_accuracy_checked=sum(k[4] for k in kits.values()) / max(1, counted),
    )


def _groups(
    photos: list[PhotoResult],
) -> tuple[defaultdict[str, list[PhotoResult]], defaultdict[str, list[PhotoResult]]]:
    """The photos by tier (each tier also without its piled layouts) and by tier and table."""
    tiers: defaultdict[str, list[PhotoResult]] = defaultdict(list)
    tables: defaultdict[str, list[PhotoResult]] = defaultdict(list)
    for p in photos:
        if p.tier:
            tiers[p.tier].append(p)
            if p.layout.split("_")[-1] not in ("piled", "overlapping"):
                tiers[f"{p.tier}, not piled"].append(p)
        if p.table:
            tables[f"{p.tier} {p.table}".strip()].append(p)
    return tiers, tables


def figures(photos: list[PhotoResult], *, risk: float = 20.0) -> Figures:
    tools = sum(len(p.truths) for p in photos)
    proposals = sum(len(p.proposals) for p in photos)
    found = sum(len(p.hits) for p in photos)
    right_true = sum(
        int(np.argmax(p.true_probs[i])) == CLASSES.index(t.label)
        for p in photos
        for i, t in enumerate(p.truths)
    )
    right_proposed = sum(
        int(np.argmax(p.proposal_probs[j])) == CLASSES.index(p.truths[i].label)
        for p in photos
        for i, j in p.hits.items()
    )
    pairs, kits = _kit_figures(photos)
    counted = sum(c for c, *_ in kits.values())
    by_kit = {k: (t / max(1, c), r / max(1, c)) for k, (c, t, r, *_) in kits.items()}
    layouts: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    # per layout: tools, found, proposals, hits
    for p in photos:
        key = p.layout if p.tier in ("", "easy") else f"{p.tier} {p.layout}"
        layouts[key][0] += len(p.truths)
        layouts[key][1] += len(p.hits)
        layouts[key][2] += len(p.proposals)
    by_layout = {k: (v[1] / v[0], v[1] / max(1, v[2])) for k, v in sorted(layouts.items())}
    tiers, tables = _groups(photos)
    refined_found = refined_count = 0
    verdicts = {0: [0, 0, 0], 1: [0, 0, 0], 2: [0, 0, 0]}
    for p in photos:
        refined = refine_with_model(p.proposals, p.proposal_probs) if p.proposals else []
        refined_count += len(refined)
        refined_found += len(match_boxes(p.truths, refined))
        kept = {r.box: r for r in refined}
        for proposal in p.proposals:
            held = min(2, sum(_inside(t.box, proposal.box) >= 0.6 for t in p.truths))
            verdict = verdicts[held]
            verdict[0] += 1
            verdict[1] += proposal.box not in kept
            verdict[2] += proposal.box in kept and "maybe_two_tools" in kept[proposal.box].flags
    by_kit_photos: defaultdict[str, list[PhotoResult]] = defaultdict(list)
    for p in photos:
        by_kit_photos[_kit_key(p)].append(p)
    desk = {
        proposed: _desk_verdicts(by_kit_photos, proposed=proposed, risk=risk)
        for proposed in (False, True)
    }
    return Figures(
        accepted=(desk[False][0], desk[True][0]),
        false_accepts=(desk[False][1], desk[True][1]),
        confirm=(desk[False][2], desk[True][2]),
        genuine_recount=(desk[False][3], desk[True][3]),
        risk=risk,
        turned_fit=turned_fit(photos),
        photos=len(photos),
        tools=tools,
        proposals=proposals,
        recall=found / max(1, tools),
        precision=found / max(1, proposals),
        class_accuracy_true=right_true / max(1, tools),
        class_accuracy_proposed=right_proposed / max(1, found),
        kit_pairs=pairs,
        kit_accuracy_true=sum(k[1] for k in kits.values()) / max(1, counted),
        kit_accuracy_proposed=sum(k[2] for k in kits.values()) / max(1, counted),
        by_layout=by_layout,
        by_kit=by_kit,
        refined_recall=refined_found / max(1, tools),
        refined_precision=refined_found / max(1, refined_count),
        model_verdicts={k: (v[0], v[1], v[2]) for k, v in verdicts.items()},
        by_tier={k: _slice(v) for k, v in sorted(tiers.items())},
        by_table={k: _slice(v) for k, v in sorted(tables.items())},
        notices=(
            sum(q.tools > 1 and _held(p, q) >= 2 for p in photos for q in p.proposals),
            sum(q.tools > 1 for p in photos for q in p.proposals),
            sum(p.merged for p in photos),
        ),
        maybe=_maybe_counts(photos),
        cut_from_pile=_cut_counts(photos),
    )


def _maybe_counts(photos: list[PhotoResult]) -> tuple[int, int, int]:
    said = [(p, q) for p in photos for q in p.proposals if q.maybe_several]
    any_right = sum(
        (q.tools > 1 or q.maybe_several) and _held(p, q) >= 2 for p in photos for q in p.proposals
    )
    return sum(_held(p, q) >= 2 for p, q in said), len(said), any_right


def _cut_counts(photos: list[PhotoResult]) -> tuple[int, int, int, int]:
    """Boxes saying they were cut out of a pile, how many of them hit a tool, and the same
    two for every other box: the notice is worth its place where the first share is lower."""
    out = [0, 0, 0, 0]
    for p in photos:
        hit = set(p.hits.values())
        for j, q in enumerate(p.proposals):
            k = 0 if q.cut_from_pile else 2
            out[k] += 1
            out[k + 1] += j in hit
    return out[0], out[1], out[2], out[3]


def _cut_line(cut: tuple[int, int, int, int]) -> str:
    said, hits, others, other_hits = cut
    return (
        f"'cut apart from tools that overlap' notices (hit a tool / said): {hits} / {said}; "
        f"other boxes: {other_hits} / {others}"
    )


def _maybe_line(maybe: tuple[int, int, int]) -> str:
    right, said, any_right = maybe
    return (
        f"'may hold 2 tools' notices (hold 2+ / said): {right} / {said}; "
        f"boxes holding 2+ with either notice: {any_right}"
    )


def _held(photo: PhotoResult, proposal: Proposal) -> int:
    return sum(_inside(t.box, proposal.box) >= 0.6 for t in photo.truths)


def _inside(inner: Sequence[float], outer: Sequence[float]) -> float:
    """Share of box `inner` that lies within box `outer`."""
    ix = max(0, min(inner[2], outer[2]) - max(inner[0], outer[0]))
    iy = max(0, min(inner[3], outer[3]) - max(inner[1], outer[1]))
    area = (inner[2] - inner[0]) * (inner[3] - inner[1])
    return ix * iy / area if area else 0.0


def _items(
    photo: PhotoResult, *, proposed: bool, issued: bool = False
) -> tuple[list[KitItem], dict[int, str]]:
    """The photo's tools as kit items, and the physical tool of each (where known). An issued
    tool's type is known (the storekeeper checked it); a returned one's is what the model reads."""
    if proposed:
        tool_of = {j: photo.truths[i].tool for i, j in photo.hits.items()}
        label_of = {j: CLASSES.index(photo.truths[i].label) for i, j in photo.hits.items()}
        features, probs = photo.proposal_features, photo.proposal_probs
    else:
        tool_of = {i: t.tool for i, t in enumerate(photo.truths)}
        label_of = {i: CLASSES.index(t.label) for i, t in enumerate(photo.truths)}
        features, probs = photo.true_features, photo.true_probs
    items = [
        KitItem(f, p, label_of.get(k) if issued else None)
        for k, (f, p) in enumerate(zip(features, probs))
    ]
    return items, tool_of


def _verdict_of_pairs(
    issued: list[KitItem], returned: list[KitItem], cal: Calibration, level: float | None
) -> list[tuple[int, int, str]]:
    """(issued index, returned index, verdict kind) for each pair match_kit makes."""
    result = match_kit(issued, returned)
    if not result.pairs:
        return []
    percent = pairwise_match_percent([i.feature for i in issued], [r.feature for r in returned])
    out = []
    for pair in result.pairs:
        others = np.delete(percent[:, pair.returned], pair.issued)
        next_best = float(others.max()) if len(others) else None
        agree = {True: 1, False: -1, None: 0}[pair.same_class]
        margin = pair.match - (50.0 if next_best is None else next_best)
        probability = float(cal.probability([Candidate(pair.match, margin, agree)])[0])
        read = returned[pair.returned].top_class
        verdict = verdicts.decide(
            probability=probability,
            match=pair.match,
            next_best=next_best,
            agree=agree,
            read_type=None if read is None else CLASSES[read],
            level=level,
        )
        out.append((pair.issued, pair.returned, verdict.kind))
    return out


def _desk_verdicts(
    kits: dict[str, list[PhotoResult]], *, proposed: bool, risk: float
) -> tuple[float, float, float, int]:
    """Over every ordered pair of photos of a kit (issued, returned), with the built-in
    calibration at this risk: the share of genuine returned tools accepted without a look, the
    share waiting for a confirmation by eye, the genuine ones sent to recount, and false
    accepts: each issued tool in turn removed from the issue, is its returned crop accepted
    as another tool? (share of those trials)."""
    point = level_for_risk(FALLBACK_POINTS, risk)
    level = None if point is None else point.probability
    genuine = accepted = confirm = recount = trials = wrong = 0
    for members in kits.values():
        for issued, returned in permutations(members, 2):
            issued_items, issued_tool = _items(issued, proposed=proposed, issued=True)
            returned_items, returned_tool = _items(returned, proposed=proposed)
            genuine += len(issued.truths)
            for i, r, kind in _verdict_of_pairs(issued_items, returned_items, FALLBACK, level):
                if i in issued_tool and issued_tool[i] == returned_tool.get(r):
                    accepted += kind == verdicts.ACCEPTED
                    confirm += kind == verdicts.CONFIRM_BY_EYE
                    recount += kind == verdicts.RECOUNT
            for removed, tool in issued_tool.items():
                if tool not in returned_tool.values():
                    continue
                keep = [k for k in range(len(issued_items)) if k != removed]
                trials += 1
                for _i, r, kind in _verdict_of_pairs(
                    [issued_items[k] for k in keep], returned_items, FALLBACK, level
                ):
                    wrong += returned_tool.get(r) == tool and kind == verdicts.ACCEPTED
    return accepted / max(1, genuine), wrong / max(1, trials), confirm / max(1, genuine), recount


def _kit_right(
    issued: PhotoResult, returned: PhotoResult, *, issued_proposed: bool, returned_proposed: bool
) -> int:
    """How many of the issued photo's tools are paired with the same tool in the returned photo,
    each photo on its proposed boxes or its true ones (as the storekeeper checked them)."""
    issued_items, issued_tool = _items(issued, proposed=issued_proposed)
    returned_items, returned_tool = _items(returned, proposed=returned_proposed)
    result = match_kit(issued_items, returned_items)
    return sum(
        1
        for pair in result.pairs
        if pair.issued in issued_tool
        and issued_tool[pair.issued] == returned_tool.get(pair.returned)
    )


def report(fig: Figures) -> str:
    lines = [
        f"photos {fig.photos}, tools {fig.tools}, proposals {fig.proposals}",
        f"box recall @IoU>={IOU_HIT}: {fig.recall:.3f}",
        f"box precision @IoU>={IOU_HIT}: {fig.precision:.3f}",
        turned_line(fig.turned_fit),
        f"class accuracy, true boxes: {fig.class_accuracy_true:.3f}",
        f"class accuracy, proposed boxes (found tools): {fig.class_accuracy_proposed:.3f}",
        f"kit matching accuracy, true boxes ({fig.kit_pairs} photo pairs): {fig.kit_accuracy_true:.3f}",
        f"kit matching accuracy, proposed boxes: {fig.kit_accuracy_proposed:.3f}",
        "kit matching accuracy by kit (true boxes / proposed boxes):",
        *(f"  {kit:<17} {t:.3f} / {p:.3f}" for kit, (t, p) in fig.by_kit.items()),
        f"after refine_with_model: recall {fig.refined_recall:.3f}, precision {fig.refined_precision:.3f}",
        "model's verdict on proposals by tools inside (boxes, dropped as no tool, flagged as two tools):",
    ]
    for held, (boxes, dropped, flagged) in fig.model_verdicts.items():
        lines.append(f"  {('0', '1', '2+')[held]} tools: {boxes}, {dropped}, {flagged}")
    lines += [
        f"verdicts at accepted risk {fig.risk:g} per 1,000, built-in calibration (true boxes):",
        f"accepted without recount: {fig.accepted[0]:.3f}",
        f"false accepts: {fig.false_accepts[0]:.3f}",
        f"  waiting for confirm by eye: {fig.confirm[0]:.3f}; genuine sent to recount: {fig.genuine_recount[0]}",
        f"verdicts at accepted risk {fig.risk:g} per 1,000, built-in calibration (proposed boxes):",
        f"accepted without recount: {fig.accepted[1]:.3f}",
        f"false accepts: {fig.false_accepts[1]:.3f}",
        f"  waiting for confirm by eye: {fig.confirm[1]:.3f}; genuine sent to recount: {fig.genuine_recount[1]}",
    ]
    right, said, held = fig.notices
    lines.append(
        f"overlap notices (say 2+ tools and hold 2+ / say 2+ / hold 2+): {right} / {said} / {held}"
    )
    lines.append(_maybe_line(fig.maybe))
    lines.append(_cut_line(fig.cut_from_pile))
    lines.append("by layout (recall / precision):")
    lines += [f"  {name:<17} {r:.3f} / {p:.3f}" for name, (r, p) in fig.by_layout.items()]
    for title, slices in (("tier", fig.by_tier), ("table", fig.by_table)):
        if slices:
            lines.append(
                f"by {title} (recall / precision / boxes holding 2+ tools / "
                "kit matching true boxes / proposed boxes / proposed as a share of true):"
            )
            lines += [f"  {name:<17} {_slice_line(s)}" for name, s in slices.items()]
    if fig.by_tier:
        # where proposed-box matching is lost: tools not found in both photos, or found and
        # still matched wrongly (docs/kits.md, "Why kit matching on proposed boxes stays low")
        lines.append(
            "kit matching on proposed boxes by tier (issued tools found in both photos / "
            "matched right of those / true boxes):"
        )
        lines += [
            f"  {name:<17} {s.found_in_both:.3f} / "
            f"{s.kit_accuracy_proposed / s.found_in_both if s.found_in_both else 0.0:.3f} / "
            f"{s.kit_accuracy_true:.3f}"
            for name, s in fig.by_tier.items()
        ]
        # the return desk's own case: the boxes were checked by the storekeeper, only
        # the return photo's are proposed (docs/kits.md, "The desk's case")
        lines.append(
            "kit matching with the issue's boxes checked and the return's proposed by tier "
            "(right / as a share of true boxes):"
        )
        lines += [
            f"  {name:<17} {s.kit_accuracy_checked:.3f} / "
            f"{s.kit_accuracy_checked / s.kit_accuracy_true if s.kit_accuracy_true else 0.0:.2f}"
            for name, s in fig.by_tier.items()
        ]
    return "\n".join(lines)


def _slice_line(s: Slice) -> str:
    share = s.kit_accuracy_proposed / s.kit_accuracy_true if s.kit_accuracy_true else 0.0
    return (
        f"{s.recall:.3f} / {s.precision:.3f} / {s.merged} / "
        f"{s.kit_accuracy_true:.3f} / {s.kit_accuracy_proposed:.3f} / {share:.2f}"
        f"  ({s.photos} photos, {s.tools} tools)"
    )


def real_kit_line(folder: Path = REAL_KIT, *, count: str = "exact") -> str:
    """The real kit photo's figures, on one line: it is worth more than the synthetic set."""
    if not (folder / "boxes.csv").is_file():
        return f"real kit photo: not found in {folder}"
    lines = []
    for photo in analyse(folder, with_model=False, count=count):
        noticed = [q for q in photo.proposals if q.tools > 1 or q.maybe_several]
        right = sum(_held(photo, q) >= 2 for q in noticed)
        lines.append(
            f"real kit photo {photo.name}: found {len(photo.hits)} of {len(photo.truths)} tools "
            f"(recall {len(photo.hits) / max(1, len(photo.truths)):.3f}), "
            f"{len(photo.proposals)} proposals (precision "
            f"{len(photo.hits) / max(1, len(photo.proposals)):.3f}), "
            f"{photo.merged} holding 2+ tools, "
            f"{len(noticed)} with an overlap notice ({right} rightly); "
            f"count told: {count}"
        )
    return "\n".join(lines)


def turned_fit(photos: list[PhotoResult]) -> tuple[float, float]:
    """Recall and precision by the turned boxes' own IoU (truth's turned box, where the CSV
    has one, against the proposal's fitted box)."""
    found = sum(len(match_boxes(p.truths, p.proposals, as_turned=True)) for p in photos)
    tools = sum(len(p.truths) for p in photos)
    proposals = sum(len(p.proposals) for p in photos)
    return found / max(1, tools), found / max(1, proposals)


def turned_line(fit: tuple[float, float]) -> str:
    return f"box recall / precision @turned IoU>={IOU_HIT}: {fit[0]:.3f} / {fit[1]:.3f}"


def boxes_report(photos: list[PhotoResult]) -> str:
    """The proposals' figures alone (no model): recall, precision and the overlap notices,
    for the whole set, per tier and per table. Quick enough to iterate on."""
    whole = _slice(photos)
    said = [(p, q) for p in photos for q in p.proposals if q.tools > 1]
    lines = [
        f"photos {whole.photos}, tools {whole.tools}, proposals {sum(len(p.proposals) for p in photos)}",
        f"box recall @IoU>={IOU_HIT}: {whole.recall:.3f}",
        f"box precision @IoU>={IOU_HIT}: {whole.precision:.3f}",
        turned_line(turned_fit(photos)),
        "overlap notices (say 2+ tools and hold 2+ / say 2+ / hold 2+): "
        f"{sum(_held(p, q) >= 2 for p, q in said)} / {len(said)} / {whole.merged}",
        _maybe_line(_maybe_counts(photos)),
        _cut_line(_cut_counts(photos)),
    ]
    tiers, tables = _groups(photos)
    for title, groups in (("tier", tiers), ("table", tables)):
        if groups:
            lines.append(f"by {title} (recall / precision / boxes holding 2+ tools):")
            for name, members in sorted(groups.items()):
                s = _slice(members)
                lines.append(
                    f"  {name:<17} {s.recall:.3f} / {s.precision:.3f} / {s.merged}"
                    f"  ({s.photos} photos, {s.tools} tools)"
                )
    return "\n".join(lines)


def evaluate_kits(
    folder: str | Path,
    *,
    rotation: str | None = None,
    risk: float = 20.0,
    count: str = "exact",
    boxes_only: bool = False,
    every: int = 1,
    turn: bool = True,
) -> str:
    folder = Path(folder)
    if not (folder / "boxes.csv").is_file():
        raise FileNotFoundError(f"no boxes.csv in {folder}")
    photos = analyse(
        folder, rotation=rotation, count=count, with_model=not boxes_only, every=every, turn=turn
    )
    body = boxes_report(photos) if boxes_only else report(figures(photos, risk=risk))
    told = f"count told to the proposer: {count}" + (
        f"; every {every}th photo" if every > 1 else ""
    )
    told += "; turned boxes" if turn else "; axis-aligned boxes only (--no-turn)"
    return body + "\n" + told + "\n" + real_kit_line(count=count)


def add_count_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared with manage.py evaluate_kits."""
    parser.add_argument(
        "--count",
        choices=COUNTS,
        default="exact",
        help="what the proposer is told of each photo's number of tools: exact (a kit chosen "
        "at issue; the default), bound (at most that many: the app at return) or none",
    )
    parser.add_argument(
        "--no-expected",
        dest="count",
        action="store_const",
        const="none",
        help="the same as --count none",
    )
    parser.add_argument(
        "--boxes-only",
        action="store_true",
        help="only the proposals' figures (no model: quick, for iterating)",
    )
    parser.add_argument(
        "--every", type=int, default=1, help="only every n-th photo (a subset; default all)"
    )
    parser.add_argument(
        "--no-turn",
        dest="turn",
        action="store_false",
        help="the model sees axis-aligned boxes only (true and proposed), as before turned boxes",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inference.kit_eval", description=__doc__.split("\n")[0]
    )
    parser.add_argument("path", help="folder with the photos and boxes.csv")
    parser.add_argument(
        "--rotation", choices=("none", "tta", "canonical"), help="default: TOOLCRIB_ROTATION (tta)"
    )
    parser.add_argument(
        "--risk", type=float, default=20.0, help="accepted false accepts per 1,000 (default 20)"
    )
    add_count_arguments(parser)
    args = parser.parse_args(argv)
    try:
        print(
            evaluate_kits(
                args.path,
                rotation=args.rotation,
                risk=args.risk,
                count=args.count,
                boxes_only=args.boxes_only,
                every=args.every,
                turn=args.turn,
            )
        )
    except FileNotFoundError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
