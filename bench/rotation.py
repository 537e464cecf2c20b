"""Which rotation handling to use: none, tta or canonical, measured on ../shared/photos.

Every photo of single/ and catalog/ (28; once with the hand-drawn box around the
tool, bench/shared_boxes.csv, and once with the whole photo as the box) is also turned
by 90, 180, 270 and 30 degrees. Per mode: top-1 accuracy of the 11 classes per
angle; same-tool vs different-tool separation over all angles, where a positive
pair is the same physical tool in two *different* photos (a photo and its own
turned copy do not count) and a negative pair is two different tools; and the
cost in ms per crop (batch of 1 and of 16 crops of one photo).

Run: uv run python -m bench.rotation
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bench.shared_dataset import SHARED_PHOTOS, layout
from inference.config import REPO_ROOT
from inference.evaluate import FARS, evaluate, roc_auc, threshold_at_far
from inference.recognise import recognise
from inference.rotation import MODES
from inference.runtime import load_model
from inference.similarity import pairwise_match_percent

ANGLES = (0, 90, 180, 270, 30)


def source_of(path: Path) -> str:
    return path.stem.split("__rot")[0]


def angle_of(path: Path) -> int:
    return int(path.stem.split("__rot")[1]) if "__rot" in path.stem else 0


def separation(report) -> str:
    samples = report.sample_list
    scores = pairwise_match_percent(report.features)
    i, j = np.triu_indices(len(samples), k=1)
    tool = [s.tool for s in samples]
    src = [source_of(s.path) for s in samples]
    same_tool = np.array([tool[a] == tool[b] for a, b in zip(i, j)])
    same_photo = np.array([src[a] == src[b] for a, b in zip(i, j)])
    pos, neg = scores[i, j][same_tool & ~same_photo], scores[i, j][~same_tool]
    t = threshold_at_far(neg, FARS[0])
    return (
        f"same tool {pos.mean():.1f}% vs different {neg.mean():.1f}% "
        f"({len(pos)}/{len(neg)} pairs), ROC-AUC {roc_auc(pos, neg):.3f}, "
        f"TAR@FAR1% {(pos >= t).mean():.3f}"
    )


def cost(model, mode: str, photos: list[Path]) -> str:
    out = []
    for n in (1, 16):
        times = []
        for path in photos:
            data = path.read_bytes()
            w, h = Image.open(path).size
            boxes = [
                (
                    k * 7 % (w // 2),
                    k * 5 % (h // 2),
                    k * 7 % (w // 2) + w // 2,
                    k * 5 % (h // 2) + h // 2,
                )
                for k in range(n)
            ]
            recognise(data, boxes, model, mode)  # warm-up
            start = time.perf_counter()
            for _ in range(3):
                recognise(data, boxes, model, mode)
            times.append((time.perf_counter() - start) / 3 / n)
        out.append(f"batch {n}: {statistics.median(times) * 1000:.2f} ms/crop")
    return ", ".join(out)


def main() -> None:
    model = load_model(REPO_ROOT.parent / "shared" / "models" / "clf.onnx")
    photos = sorted(SHARED_PHOTOS.glob("*/*.jpg"))
    for boxes in (True, False):
        with tempfile.TemporaryDirectory() as tmp:
            root = layout(Path(tmp) / "dataset", angles=ANGLES, boxes=boxes)
            what = "hand-drawn boxes" if boxes else "whole photos"
            print(f"{len(photos)} photos ({what}) x angles {ANGLES}; top-1 accuracy per angle")
            compare(model, root, photos)


def compare(model, root: Path, photos: list[Path]) -> None:
    for mode in MODES:
        report = evaluate(root, model, mode)
        labels = np.array([s.label for s in report.sample_list])
        angles = np.array([angle_of(s.path) for s in report.sample_list])
        ok = report.predicted == labels
        per_angle = "  ".join(f"{a:3d}deg {ok[angles == a].mean():.3f}" for a in ANGLES)
        print(f"  {mode:9s}: {per_angle}  all {ok.mean():.3f}")
        print(f"  {'':9s}  identity: {separation(report)}")
        print(f"  {'':9s}  cost: {cost(model, mode, photos[:6])}")


if __name__ == "__main__":
    main()
