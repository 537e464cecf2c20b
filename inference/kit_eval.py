"""Measure box proposals, classification and kit matching on a folder of kit photos.

    uv run python -m inference.kit_eval PATH      (or: manage.py evaluate_kits PATH)

PATH holds JPEGs and `boxes.csv` with columns image,label,x0,y0,x1,y1 and optionally
kit,tool (scripts/make_kits.py writes both). Without `kit`, the kit is the image name up to
"__"; without `tool`, a tool is known by its label (so one tool per type in a kit).
"""

from __future__ import annotations

import csv
import os
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from inference.boxes import Proposal, propose_boxes
from inference.kits import KitItem, match_kit

CLASSES = [
    "1_screw_flat", "2_screw_plus", "3_offset_screw_plus", "4_kolovorot", "5_safety_pliers", "6_pliers",
    "7_shernitsa", "8_adjustable_wrench", "9_can_opener", "10_open_end_wrench_3_4", "11_side_cutters",
]
IOU_HIT = 0.5


# --- Private model runner, for measurements only. -------------------------------------------
# TODO(merge): replace `_crop` with inference.preprocess and `run_model` with inference.runtime.run
# once those land; this copy follows the same recipe (crop -> pad square with 0 -> 112 bicubic).
@lru_cache(maxsize=1)
def _session():
    import onnxruntime as ort

    path = os.environ.get("TOOLCRIB_MODEL") or str(Path(__file__).resolve().parent.parent.parent / "shared" / "models" / "clf.onnx")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _crop(image: Image.Image, box: tuple[int, int, int, int]) -> np.ndarray:
    tool = image.crop(box)
    side = max(tool.size)
    square = Image.new("RGB", (side, side))
    square.paste(tool, ((side - tool.width) // 2, (side - tool.height) // 2))
    return np.asarray(square.resize((112, 112), Image.BICUBIC))


def run_model(image: Image.Image, boxes: list) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities [n, 11] and features [n, 512] for the boxes, in one batch."""
    if not boxes:
        return np.zeros((0, len(CLASSES)), np.float32), np.zeros((0, 512), np.float32)
    batch = np.stack([_crop(image, tuple(b)) for b in boxes])
    probs, features = _session().run(["p", "feature"], {"image": batch})
    return probs, features
# ---------------------------------------------------------------------------------------------


@dataclass
class Truth:
    label: str
    box: tuple[int, int, int, int]
    tool: str


@dataclass
class Photo:
    name: str
    kit: str
    truths: list[Truth]
    proposals: list[Proposal]
    true_probs: np.ndarray  # model output on the true boxes
    true_features: np.ndarray
    proposal_probs: np.ndarray  # model output on the proposals
    proposal_features: np.ndarray
    hits: dict[int, int]  # truth index -> proposal index (IoU >= 0.5, one-to-one)


def read_truth(folder: Path) -> dict[str, tuple[str, list[Truth]]]:
    photos: dict[str, tuple[str, list[Truth]]] = {}
    with (folder / "boxes.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            kit = row.get("kit") or row["image"].split("__")[0]
            box = tuple(int(float(row[k])) for k in ("x0", "y0", "x1", "y1"))
            photos.setdefault(row["image"], (kit, []))[1].append(Truth(row["label"], box, row.get("tool") or row["label"]))
    return photos


def iou(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def match_boxes(truths: list[Truth], proposals: list[Proposal]) -> dict[int, int]:
    """Greedy one-to-one matching by IoU, best pairs first, at IoU >= 0.5."""
    candidates = sorted(
        ((iou(t.box, p.box), ti, pi) for ti, t in enumerate(truths) for pi, p in enumerate(proposals)), reverse=True
    )
    hits, used = {}, set()
    for value, ti, pi in candidates:
        if value < IOU_HIT:
            break
        if ti not in hits and pi not in used:
            hits[ti] = pi
            used.add(pi)
    return hits


def analyse(folder: Path) -> list[Photo]:
    photos = []
    for name, (kit, truths) in sorted(read_truth(folder).items()):
        image = ImageOps.exif_transpose(Image.open(folder / name)).convert("RGB")
        proposals = propose_boxes(image)
        true_probs, true_features = run_model(image, [t.box for t in truths])
        proposal_probs, proposal_features = run_model(image, [p.box for p in proposals])
        photos.append(Photo(name, kit, truths, proposals, true_probs, true_features, proposal_probs, proposal_features, match_boxes(truths, proposals)))
    return photos


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


def figures(photos: list[Photo]) -> Figures:
    tools = sum(len(p.truths) for p in photos)
    proposals = sum(len(p.proposals) for p in photos)
    found = sum(len(p.hits) for p in photos)
    right_true = sum(int(np.argmax(p.true_probs[i])) == CLASSES.index(t.label) for p in photos for i, t in enumerate(p.truths))
    right_proposed = sum(
        int(np.argmax(p.proposal_probs[j])) == CLASSES.index(p.truths[i].label) for p in photos for i, j in p.hits.items()
    )
    kits = defaultdict(list)
    for p in photos:
        kits[p.kit].append(p)
    pairs, right_t, right_p, counted = 0, 0, 0, 0
    for members in kits.values():
        for issued, returned in permutations(members, 2):
            pairs += 1
            counted += len(issued.truths)
            right_t += _kit_right(issued, returned, proposed=False)
            right_p += _kit_right(issued, returned, proposed=True)
    layouts = defaultdict(lambda: [0, 0, 0, 0])  # tools, found, proposals, hits
    for p in photos:
        key = p.name.split("__")[-1].rsplit(".", 1)[0].split("_", 1)[-1]
        layouts[key][0] += len(p.truths)
        layouts[key][1] += len(p.hits)
        layouts[key][2] += len(p.proposals)
    by_layout = {k: (v[1] / v[0], v[1] / max(1, v[2])) for k, v in sorted(layouts.items())}
    return Figures(
        photos=len(photos), tools=tools, proposals=proposals,
        recall=found / max(1, tools), precision=found / max(1, proposals),
        class_accuracy_true=right_true / max(1, tools), class_accuracy_proposed=right_proposed / max(1, found),
        kit_pairs=pairs, kit_accuracy_true=right_t / max(1, counted), kit_accuracy_proposed=right_p / max(1, counted),
        by_layout=by_layout,
    )


def _kit_right(issued: Photo, returned: Photo, *, proposed: bool) -> int:
    """How many of the issued photo's tools are paired with the same tool in the returned photo."""
    def items(photo: Photo):
        if proposed:
            tool_of = {j: photo.truths[i].tool for i, j in photo.hits.items()}
            return [KitItem(f, p) for f, p in zip(photo.proposal_features, photo.proposal_probs)], tool_of
        return [KitItem(f, p) for f, p in zip(photo.true_features, photo.true_probs)], {i: t.tool for i, t in enumerate(photo.truths)}

    issued_items, issued_tool = items(issued)
    returned_items, returned_tool = items(returned)
    result = match_kit(issued_items, returned_items)
    return sum(1 for pair in result.pairs if pair.issued in issued_tool and issued_tool[pair.issued] == returned_tool.get(pair.returned))


def report(fig: Figures) -> str:
    lines = [
        f"photos {fig.photos}, tools {fig.tools}, proposals {fig.proposals}",
        f"box recall @IoU>={IOU_HIT}: {fig.recall:.3f}",
        f"box precision @IoU>={IOU_HIT}: {fig.precision:.3f}",
        f"class accuracy, true boxes: {fig.class_accuracy_true:.3f}",
        f"class accuracy, proposed boxes (found tools): {fig.class_accuracy_proposed:.3f}",
        f"kit matching accuracy, true boxes ({fig.kit_pairs} photo pairs): {fig.kit_accuracy_true:.3f}",
        f"kit matching accuracy, proposed boxes: {fig.kit_accuracy_proposed:.3f}",
        "by layout (recall / precision):",
    ]
    lines += [f"  {name:<12} {r:.3f} / {p:.3f}" for name, (r, p) in fig.by_layout.items()]
    return "\n".join(lines)


def evaluate_kits(folder: str | Path) -> str:
    return report(figures(analyse(Path(folder))))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m inference.kit_eval PATH", file=sys.stderr)
        return 2
    print(evaluate_kits(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
