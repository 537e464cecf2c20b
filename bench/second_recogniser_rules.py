"""Rules for a second recogniser, measured before one was chosen: a veto and the agreement.

    uv run python -m bench.second_recogniser_rules [--seed S ...] [--per-kind N] [--no-real]

Each text crop is read as `read_marking` reads it (lines found, the flattened second look where
it may help, four looks at each number line) and the second recogniser (PP-OCRv4 mobile) reads
every looked-at line's four crops. Then each rule decides every line, and the crop reads the
first number named (lines by confidence, as `read_marking`):

- `one`: the first recogniser alone (the reader without the second);
- `veto`: a number the looks agree on is refused when the second recogniser reads another
  number in more of its looks than it reads that one;
- `agree`: where the looks disagree, the number the second recogniser reads in all four looks,
  when the first reads it in more than half of its own (`markings.second_agrees`, adopted);
- `veto+agree`: both.

Prints exact reads per height band and wrong reads for each rule, and every crop that a rule
reads otherwise than `one` does. The crops are bench/marking_scores.py's (real; synthetic
etched and printed text of scripts/make_markings.py).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "scripts"), str(REPO / "bench")]

from bench.second_recogniser import band, each_set  # noqa: E402
from inference import markings  # noqa: E402

PATTERNS = markings.compile_patterns(None)
Line = tuple[float, list[str], list[str]]  # confidence, the first's four looks, the second's


def looked_at(crop: np.ndarray, second) -> list[Line]:
    """Every line `read_marking` looks at four times, with both recognisers' reads of it."""
    lines = markings.read_text(crop)
    if markings._flat_look_may_help(lines, PATTERNS):
        lines += markings.read_text(crop, flatten=True)
    out = []
    for line in lines:
        if not (markings.numbers_in(line.text, PATTERNS) or markings.fragments_in(line.text, 6)):
            continue
        turned: list[np.ndarray] = []
        looks = markings.other_looks(crop, line, None, turned)
        views = [line.text, *(v.text for v in looks)]
        out.append((line.confidence, views, markings._second_reads(second, [line.crop, *turned])))
    return out


def one(line: Line) -> str | None:
    confidence, views, _ = line
    found = [set(markings.numbers_in(v, PATTERNS)) for v in views]
    candidates = set().union(*found)
    agreed = len(candidates) == 1 and sum(bool(f) for f in found) >= 2
    return next(iter(candidates)) if agreed and confidence >= markings.MIN_CONFIDENCE else None


def vetoed(line: Line, number: str) -> bool:
    counts = Counter(n for v in line[2] for n in markings.numbers_in(v, PATTERNS))
    return any(n != number and k > counts[number] for n, k in counts.items())


def veto(line: Line) -> str | None:
    number = one(line)
    return None if number is None or vetoed(line, number) else number


def agree(line: Line) -> str | None:
    number = one(line)
    confidence, views, seconds = line
    unsure = number is None and any(markings.numbers_in(v, PATTERNS) for v in views)
    if unsure and confidence >= markings.MIN_CONFIDENCE:
        return markings.second_agrees(views, seconds, PATTERNS)
    return number


def veto_agree(line: Line) -> str | None:
    number = one(line)
    return veto(line) if number is not None else agree(line)


RULES: dict[str, Callable[[Line], str | None]] = {
    "one": one,
    "veto": veto,
    "agree": agree,
    "veto+agree": veto_agree,
}


def reading(lines: list[Line], rule: Callable[[Line], str | None]) -> str:
    for line in sorted(lines, key=lambda t: -t[0]):
        if number := rule(line):
            return number
    return ""


def compare(title: str, crops: list[tuple[str, np.ndarray, str]], second) -> None:
    counts: Counter = Counter()
    print(f"## {title}")
    for name, crop, want in crops:
        lines = looked_at(np.ascontiguousarray(crop), second)
        got = {rule: reading(lines, decide) for rule, decide in RULES.items()}
        b = band(name)
        counts[b, "crops"] += 1
        for rule, text in got.items():
            counts[b, rule, "exact"] += text == want
            counts["all", rule, "wrong"] += bool(text) and text != want
        if len(set(got.values())) > 1:
            print(
                f"  {name} (true {want}): " + ", ".join(f"{r} {t or '-'}" for r, t in got.items())
            )
    for b in sorted({k[0] for k in counts if k[0] != "all"}):
        print(
            f"{b}: exact "
            + ", ".join(f"{r} {counts[b, r, 'exact']}/{counts[b, 'crops']}" for r in RULES)
        )
    print("wrong reads: " + ", ".join(f"{r} {counts['all', r, 'wrong']}" for r in RULES))


def main(argv=None) -> None:
    each_set(argv, __doc__.splitlines()[0], compare)


if __name__ == "__main__":
    main()
