"""What a floor on the read number's estimated character height would do: a number read from
characters estimated under H px is not named (the marking asks for a close-up instead, as the
issue wants below the readable height), for several H, on the real crops and synthetic seeds.

    uv run python -m bench.marking_heights [--seed S ...] [--per-kind N] [--no-real]

Each crop is read once with the reader as it is (both recognisers); the floor is applied to
what it named. Prints per set and floor: exact reads and wrong reads per height band.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench"), str(REPO / "scripts")]

from bench.second_recogniser import band, each_set  # noqa: E402
from inference import markings  # noqa: E402

FLOORS = (None, 8.0, 9.0, 10.0, 11.0)


def compare(title: str, crops: list[tuple[str, np.ndarray, str]], second) -> None:
    reads = []
    for name, crop, want in crops:
        m = markings.read_marking(np.ascontiguousarray(crop), second=second)
        best = m.best
        height = best.char_height if best is not None else None
        reads.append((band(name), want, best.text if best else "", height))
        if best is not None and best.source == "ocr" and best.text != want:
            print(f"  wrong: {name} (true {want}): read {best.text} at {height} px")
    print(f"## {title}")
    for floor in FLOORS:
        counts: Counter = Counter()
        for b, want, got, height in reads:
            if floor is not None and got and height is not None and height < floor:
                got = ""
            counts[b, "n"] += 1
            counts[b, "exact"] += got == want
            counts[b, "wrong"] += bool(got) and got != want
        bands = sorted({k[0] for k in counts})
        cells = ", ".join(f"{b} {counts[b, 'exact']}/{counts[b, 'n']}" for b in bands)
        wrong = sum(counts[b, "wrong"] for b in bands)
        print(f"floor {floor or 'none'}: exact {cells}; wrong {wrong}")


def main(argv=None) -> None:
    each_set(argv, __doc__.splitlines()[0], compare)


if __name__ == "__main__":
    main()
