"""How good the model is on a dataset in the training layout.

Layout: ``ROOT/<class folder>/<image>`` with class folders ``1_screw_flat`` ...
``11_side_cutters`` (see CLASS_NAMES), and optionally ``ROOT/annotations.csv``
with columns ``label,path,x0,y0,x1,y1`` (path relative to ROOT; empty box =
whole image; several rows per image = several tools) and an optional ``tool``
column naming the physical tool. Images not in the CSV are used whole.

Reported: top-1 accuracy and confusion matrix; verification by class (pairs of
the same class are positives) and, where the CSV names physical tools, by
identity (pairs of the same tool are positives, any other pair negative):
ROC-AUC, TAR at FAR 1% and 0.1%, and the match % threshold for FAR 1% -- the
suggested recount threshold.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

from .preprocess import PhotoError
from .recognise import CLASS_NAMES, recognise
from .runtime import Model
from .similarity import pairwise_match_percent

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}


@dataclass
class Sample:
    path: Path
    label: int
    box: tuple[float, ...] | None = None  # x0, y0, x1, y1
    tool: str | None = None


@dataclass
class Verification:
    positives: int
    negatives: int
    roc_auc: float
    mean_positive: float  # mean match % of positive pairs
    mean_negative: float
    tar: dict[float, float]  # FAR -> TAR
    threshold: dict[float, float]  # FAR -> match % threshold (accept at or above)


@dataclass
class Report:
    samples: int
    accuracy: float
    confusion: np.ndarray  # [true, predicted] counts
    by_class: Verification
    by_identity: Verification | None
    skipped: list[str] = field(default_factory=list)
    sample_list: list[Sample] = field(default_factory=list, repr=False)
    predicted: np.ndarray | None = field(default=None, repr=False)  # class index per sample
    features: np.ndarray | None = field(default=None, repr=False)  # [samples, 512], unit length

    @property
    def suggested_threshold(self) -> float:
        """Match % at FAR 1%: by identity where the dataset names tools, else by class."""
        return (self.by_identity or self.by_class).threshold[0.01]


FARS = (0.01, 0.001)


def load_dataset(root: Path) -> tuple[list[Sample], list[str]]:
    root = Path(root)
    index = {name: i for i, name in enumerate(CLASS_NAMES)}
    samples, skipped, listed = [], [], set()
    csv_path = root / "annotations.csv"
    if csv_path.is_file():
        with open(csv_path, newline="") as f:
            for row in csv.DictReader(f):
                label = row["label"].strip()
                if label not in index:
                    skipped.append(f"annotations.csv: unknown label {label!r}")
                    continue
                coords = [row.get(k, "").strip() for k in ("x0", "y0", "x1", "y1")]
                box = tuple(float(v) for v in coords) if all(coords) else None
                path = root / row["path"].strip()
                listed.add(path.resolve())
                samples.append(
                    Sample(path, index[label], box, (row.get("tool") or "").strip() or None)
                )
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name not in index:
            skipped.append(f"folder {folder.name}/ is not one of the model's classes")
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in IMAGE_SUFFIXES and path.resolve() not in listed:
                samples.append(Sample(path, index[folder.name]))
    return samples, skipped


def roc_auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """Probability that a random positive pair scores above a random negative one (ties count half)."""
    ranks = rankdata(np.concatenate([positive, negative]))
    n_pos, n_neg = len(positive), len(negative)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def threshold_at_far(negative: np.ndarray, far: float) -> float:
    """Lowest threshold accepting at most `far` of the negatives (accept = score >= threshold)."""
    desc = np.sort(negative)[::-1]
    allowed = int(np.floor(far * len(desc)))
    if allowed >= len(desc):
        return float(desc[-1])
    return float(np.nextafter(desc[allowed], np.inf))


def verification(features: np.ndarray, groups: list) -> Verification:
    scores = pairwise_match_percent(features)
    i, j = np.triu_indices(len(groups), k=1)
    same = np.array([groups[a] == groups[b] for a, b in zip(i, j)], dtype=bool)
    pos, neg = scores[i, j][same], scores[i, j][~same]
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("verification needs at least one positive and one negative pair")
    thresholds = {far: threshold_at_far(neg, far) for far in FARS}
    return Verification(
        positives=len(pos),
        negatives=len(neg),
        roc_auc=roc_auc(pos, neg),
        mean_positive=float(pos.mean()),
        mean_negative=float(neg.mean()),
        tar={far: float((pos >= t).mean()) for far, t in thresholds.items()},
        threshold=thresholds,
    )


def evaluate(root: str | Path, model: Model, rotation_mode: str | None = None) -> Report:
    samples, skipped = load_dataset(Path(root))
    if not samples:
        raise ValueError(f"no images found under {root} in the training layout")
    if not model.contract.has_p:
        raise ValueError("the model has no `p` output: top-1 accuracy cannot be measured")
    by_image = defaultdict(list)
    for s in samples:
        by_image[s.path].append(s)
    used: list[Sample] = []
    classes: list[int] = []
    rows: list[np.ndarray] = []
    for path, members in by_image.items():
        data = path.read_bytes()
        whole = [s for s in members if s.box is None]
        boxed = [s for s in members if s.box is not None]
        try:
            results = recognise(data, None, model, rotation_mode) * len(whole) if whole else []
            if boxed:  # all boxes of a photo in one call, as the app does
                results += recognise(
                    data, [s.box for s in boxed if s.box is not None], model, rotation_mode
                )
        except PhotoError as e:
            skipped.append(f"{path}: {e}")
            continue
        for sample, result in zip(whole + boxed, results):
            used.append(sample)
            classes.append(result.candidates[0].class_index)
            rows.append(result.feature)
    labels = np.array([s.label for s in used])
    predicted, features = np.array(classes), np.stack(rows)
    confusion = np.zeros((len(CLASS_NAMES), len(CLASS_NAMES)), int)
    np.add.at(confusion, (labels, predicted), 1)
    by_identity = None
    if any(s.tool for s in used):
        # A sample without a tool id is a tool of its own.
        by_identity = verification(features, [s.tool or f"#{n}" for n, s in enumerate(used)])
    return Report(
        samples=len(used),
        accuracy=float((labels == predicted).mean()),
        confusion=confusion,
        by_class=verification(features, list(labels)),
        by_identity=by_identity,
        skipped=skipped,
        sample_list=used,
        predicted=predicted,
        features=features,
    )


def format_report(report: Report) -> str:
    lines = [f"samples: {report.samples}", f"top-1 accuracy: {report.accuracy:.3f}"]
    for name, v in (("by class", report.by_class), ("by identity", report.by_identity)):
        if v is None:
            continue
        lines.append(
            f"verification {name}: {v.positives} positive / {v.negatives} negative pairs, "
            f"ROC-AUC {v.roc_auc:.3f}, mean match % {v.mean_positive:.1f} vs {v.mean_negative:.1f}, "
            + ", ".join(
                f"TAR@FAR{far:.1%} {v.tar[far]:.3f} (threshold {v.threshold[far]:.1f}%)"
                for far in FARS
            )
        )
    lines.append(f"suggested recount threshold (FAR 1%): {report.suggested_threshold:.1f}%")
    lines.append("confusion matrix (rows = true class, columns = predicted; classes 1..11):")
    lines += [
        f"  {CLASS_NAMES[i]:>24} " + " ".join(f"{c:2d}" for c in row)
        for i, row in enumerate(report.confusion)
    ]
    lines += [f"skipped: {s}" for s in report.skipped]
    return "\n".join(lines)
