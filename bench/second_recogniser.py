"""The second recogniser's worth: every text crop read with one recogniser and with two.

    uv run python -m bench.second_recogniser [--seed S ...] [--per-kind N] [--no-real]

For the real crops (bench/marking_scores.py's: the pliers' number and tool boxes of
bench/marking_boxes.csv and the wrench's and pliers' tool boxes of bench/shared_boxes.csv at
four quarter turns, and each whole photo) and the etched and printed text crops of each
synthetic seed (scripts/make_markings.py, made in a temporary folder): exact reads per
character-height band, wrong reads and crops with no number named, with one recogniser
(`read_marking(second=None)`) and with two; every crop whose reading changed; and the CPU time
per crop (`time.process_time` around `read_marking`, median) of each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "scripts"), str(REPO / "bench")]

from inference import markings  # noqa: E402

BANDS = ((6, 8), (10, 10), (12, 16), (20, 24))


def band(name: str) -> str:
    """The height band of a synthetic crop, from its file name (etched_14px_3.png)."""
    if "px_" not in name:
        return "real"
    height = int(name.split("_")[1].removesuffix("px"))
    return next(
        f"{lo}-{hi} px" if lo != hi else f"{lo} px" for lo, hi in BANDS if lo <= height <= hi
    )


def read(crop: np.ndarray, second) -> tuple[str, str, float]:
    started = time.process_time()
    m = markings.read_marking(np.ascontiguousarray(crop), second=second)
    return (m.best.text if m.best else ""), m.status, time.process_time() - started


def compare(title: str, crops: list[tuple[str, np.ndarray, str]], second) -> None:
    counts: Counter = Counter()
    cpu: dict[str, list[float]] = {"one": [], "two": []}
    print(f"## {title}")
    for name, crop, want in crops:
        got1, status1, cpu1 = read(crop, None)
        got2, status2, cpu2 = read(crop, second)
        cpu["one"].append(cpu1)
        cpu["two"].append(cpu2)
        b = band(name)
        counts[b, "crops"] += 1
        for label, got in (("one", got1), ("two", got2)):
            counts[b, label, "exact"] += got == want
            counts[b, label, "wrong"] += bool(got) and got != want
            counts[b, label, "not read"] += not got
        if (got1, status1) != (got2, status2):
            print(f"  changed: {name} (true {want}): one {got1 or status1}, two {got2 or status2}")
    for b in sorted({k[0] for k in counts}):
        n = counts[b, "crops"]
        one = [counts[b, "one", k] for k in ("exact", "wrong", "not read")]
        two = [counts[b, "two", k] for k in ("exact", "wrong", "not read")]
        print(
            f"{b}: exact {one[0]}/{n} -> {two[0]}/{n}, wrong {one[1]} -> {two[1]}, "
            f"not read {one[2]} -> {two[2]}"
        )
    wrong = [sum(counts[b, label, "wrong"] for b in {k[0] for k in counts}) for label in cpu]
    print(f"wrong reads, all: {wrong[0]} -> {wrong[1]}")
    print(
        f"CPU per crop, median: one recogniser {statistics.median(cpu['one']) * 1000:.0f} ms, "
        f"two {statistics.median(cpu['two']) * 1000:.0f} ms"
    )


Compare = Callable[[str, list[tuple[str, np.ndarray, str]], Any], None]


def each_set(
    argv, description: str, compare: Compare, kinds: tuple[str, ...] = ("etched", "label")
) -> None:
    """`compare(title, crops, second)` on the real crops and each synthetic seed asked for
    (--seed S ..., --per-kind N, --no-real; its crops of these `kinds`), with the second
    recogniser loaded once."""
    import marking_scores

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--seed", type=int, nargs="*", default=[10])
    ap.add_argument("--per-kind", type=int, default=6)
    ap.add_argument("--no-real", action="store_true")
    args = ap.parse_args(argv)
    markings.ocr_engine()
    second = markings.second_recogniser()
    if second is None:
        sys.exit(markings.second_recogniser_status()[1])
    if not args.no_real:
        compare("real crops (bench/marking_scores.py)", marking_scores.real_crops(), second)
    for seed in args.seed:
        with tempfile.TemporaryDirectory() as tmp:
            crops = marking_scores.synthetic_crops(seed, args.per_kind, tmp, kinds)
            compare(
                f"synthetic text (scripts/make_markings.py --seed {seed} --per-kind {args.per_kind})",
                crops,
                second,
            )


def main(argv=None) -> None:
    each_set(argv, __doc__.splitlines()[0], compare)


if __name__ == "__main__":
    main()
