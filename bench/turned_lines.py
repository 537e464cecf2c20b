"""Session 10's two changes to the text reader, before and after, side by side: a weak line read
again turned half a turn (`TURN_CHECK_BELOW`; a line read turned is named only when all its
looks agree) and a second-recogniser look that lost only the dashes backing the number
(`_same_characters`).

    uv run python -m bench.turned_lines [--seed S ...] [--per-kind N] [--no-real]

For the real crops (bench/marking_scores.py's) and each synthetic seed (scripts/make_markings.py,
made in a temporary folder: its etched and printed text crops and its junk and blank crops),
each crop is read before (both changes off) and after, alternating which goes first, with both
recognisers. Prints exact reads per character-height band, wrong reads (any number named that
is not the crop's, junk and blank included), every crop whose reading changed, and the CPU
time per text crop (`time.process_time` around `read_marking`, median) before and after.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "scripts"), str(REPO / "bench")]

from bench.second_recogniser import band, each_set  # noqa: E402
from inference import markings  # noqa: E402

TURN_CHECK_BELOW = markings.TURN_CHECK_BELOW
SAME_CHARACTERS = markings._same_characters


def switch(after: bool) -> None:
    """Both changes on (after) or off (before: no line read turned, no dashless backing)."""
    markings.TURN_CHECK_BELOW = TURN_CHECK_BELOW if after else 0.0
    markings._same_characters = SAME_CHARACTERS if after else (lambda text, number: False)


def compare(title: str, crops: list[tuple[str, np.ndarray, str]], second) -> None:
    counts: Counter = Counter()
    cpu: dict[str, list[float]] = {"before": [], "after": []}
    print(f"## {title}", flush=True)
    for k, (name, crop, want) in enumerate(crops):
        got = {}
        for label in ("before", "after") if k % 2 == 0 else ("after", "before"):
            switch(label == "after")
            started = time.process_time()
            m = markings.read_marking(np.ascontiguousarray(crop), second=second)
            if want:
                cpu[label].append(time.process_time() - started)
            got[label] = (m.best.text if m.best else "", m.status)
        b = band(name) if want else "junk and blank"
        counts[b, "crops"] += 1
        for label, (text, _) in got.items():
            counts[b, label, "exact"] += bool(want) and text == want
            counts[label, "wrong"] += bool(text) and text != want
        if got["before"] != got["after"]:
            print(f"  changed: {name} (true {want or '-'}): {got['before']} -> {got['after']}")
    switch(True)
    for b in sorted({k[0] for k in counts if len(k) == 2 and k[1] == "crops"}):
        n = counts[b, "crops"]
        print(f"{b}: exact {counts[b, 'before', 'exact']}/{n} -> {counts[b, 'after', 'exact']}/{n}")
    print(f"wrong reads: {counts['before', 'wrong']} -> {counts['after', 'wrong']}")
    print(
        f"CPU per text crop, median: before {statistics.median(cpu['before']) * 1000:.0f} ms, "
        f"after {statistics.median(cpu['after']) * 1000:.0f} ms",
        flush=True,
    )


def main(argv=None) -> None:
    each_set(argv, __doc__.splitlines()[0], compare, kinds=("etched", "label", "junk", "blank"))


if __name__ == "__main__":
    main()
