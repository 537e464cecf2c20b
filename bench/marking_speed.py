"""The real kit photo's markings, before and after a change to the reader, side by side in one run.

    uv run python -m bench.marking_speed [--before REV] [--runs N] [--boxes proposed|drawn]

Reads every box of ../shared/photos/kit/DSCN4950.JPG (1280x960) with `markings.read_photo`:
the 9 boxes the upload proposes (inference/boxes.py), or the 11 hand-drawn ones of
kit/boxes.csv. "before" is inference/markings.py as it was at git revision REV (default
7deead2, before the speed work of issue 10), "now" as it is; runs alternate, so both see the
same load. Prints the load average before and after, per version the median wall clock and CPU
time (process time: all threads) of all boxes, and each box's reading (they must agree); then
where the time of "now" goes, read box by box: codes, first look, flattened look, extra looks,
and inside them text detection, the angle classifier and recognition.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]
SHARED = REPO.parent / "shared" / "photos"

from inference import markings  # noqa: E402
from inference.marking_eval import load_rgb  # noqa: E402


def module_at(rev: str) -> Any:
    """inference/markings.py as it was at `rev`, imported under another name."""
    source = subprocess.run(
        ["git", "show", f"{rev}:inference/markings.py"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "markings_before.py"
    path.write_text(source)
    # named inside the inference package, so that its relative imports (`from . import
    # turned`) find today's modules beside it
    name = "inference.markings_before"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def kit_boxes(which: str, rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    if which == "drawn":
        with open(SHARED / "kit" / "boxes.csv", newline="") as f:
            return [tuple(int(r[k]) for k in ("x0", "y0", "x1", "y1")) for r in csv.DictReader(f)]
    from PIL import Image

    from inference.boxes import propose_boxes

    return [p.box for p in propose_boxes(Image.fromarray(rgb))]


def said(m: Any) -> str:
    return m.best.text if m.best else m.status


class Timed:
    """The OCR engine, with the time of each step counted under the stage that asked for it."""

    def __init__(self, engine: Any, seconds: Counter, stage: list[str]) -> None:
        self.engine, self.seconds, self.stage = engine, seconds, stage

    def _timed(self, step: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            self.seconds[f"{self.stage[0]}: {step}"] += time.perf_counter() - t

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed("text detection", self.engine, *args, **kwargs)

    def cls_and_rotate(self, crops: Any) -> Any:
        return self._timed("angle classifier", self.engine.cls_and_rotate, crops)

    def recognize_txt(self, crops: Any) -> Any:
        return self._timed("recognition", self.engine.recognize_txt, crops)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


def profile(rgb: np.ndarray, boxes: list) -> None:
    """Where the time goes, box by box (one box at a time: the stages do not overlap)."""
    seconds: Counter = Counter()
    stage = ["codes"]
    engine = Timed(markings.ocr_engine(), seconds, stage)
    originals = {
        name: getattr(markings, name) for name in ("read_codes", "read_text", "other_looks")
    }

    def staged(name: str, label: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            stage[0] = label(kwargs)
            t = time.perf_counter()
            try:
                return originals[name](*args, **kwargs)
            finally:
                seconds[f"{stage[0]}: all"] += time.perf_counter() - t

        return call

    markings.read_codes = staged("read_codes", lambda kw: "codes")
    markings.read_text = staged(
        "read_text", lambda kw: "flattened look" if kw.get("flatten") else "first look"
    )
    markings.other_looks = staged("other_looks", lambda kw: "extra looks")
    print("## where the time of 'now' goes, box by box (wall clock, s)")
    total = 0.0
    try:
        h, w = rgb.shape[:2]
        for x0, y0, x1, y1 in boxes:
            before = Counter(seconds)
            t = time.perf_counter()
            m = markings.read_marking(rgb[y0:y1, x0:x1], engine=engine)
            took = time.perf_counter() - t
            total += took
            steps = ", ".join(
                f"{k} {v - before[k]:.2f}"
                for k, v in sorted(seconds.items())
                if k.endswith(": all") and v - before[k] > 0.005
            )
            print(f"  box {(x0, y0, x1, y1)}: {took:.2f} s, {said(m)} ({steps})")
    finally:
        for name, original in originals.items():
            setattr(markings, name, original)
    print(f"  all boxes: {total:.2f} s")
    for k, v in sorted(seconds.items()):
        print(f"  {k:<36} {v:6.2f} s  {v / total:5.1%}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default="7deead2", help="git revision to compare with")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--boxes", choices=["proposed", "drawn"], default="proposed")
    args = ap.parse_args(argv)
    rgb = load_rgb(SHARED / "kit" / "DSCN4950.JPG")
    boxes = kit_boxes(args.boxes, rgb)
    versions = {f"before ({args.before})": module_at(args.before), "now": markings}
    for module in versions.values():
        module.read_photo(rgb, boxes[:1])  # the engine is loaded once, outside the timing
    print(
        f"DSCN4950.JPG, {len(boxes)} {args.boxes} boxes, {args.runs} runs each, alternating; "
        f"os.cpu_count {os.cpu_count()}, load average {os.getloadavg()}"
    )
    wall: dict[str, list[float]] = {name: [] for name in versions}
    cpu: dict[str, list[float]] = {name: [] for name in versions}
    reads: dict[str, list[str]] = {}
    for _ in range(args.runs):
        for name, module in versions.items():
            c, t = time.process_time(), time.perf_counter()
            found = module.read_photo(rgb, boxes)
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
            reads[name] = [said(m) for m in found]
    for name in versions:
        print(
            f"{name:<22} all boxes read: median {statistics.median(wall[name]):5.2f} s wall, "
            f"{statistics.median(cpu[name]):5.2f} s CPU; reads {reads[name]}"
        )
    same = len({tuple(r) for r in reads.values()}) == 1
    print(f"same readings: {'yes' if same else 'NO'}; load average {os.getloadavg()}")
    profile(rgb, boxes)


if __name__ == "__main__":
    main()
