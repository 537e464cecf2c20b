"""Each character's score in every look at a number line: why the green wrench reads
AT-288203-5 and why no per-character floor tells that wrong read from right ones.

    uv run python -m bench.marking_scores [--seed S --per-kind N]

For every real crop of a numbered tool (the boxes of bench/marking_boxes.csv and the tool
boxes of bench/shared_boxes.csv at four quarter turns, and each whole photo) and, with
--per-kind, every text crop of a synthetic set (scripts/make_markings.py): the reader's verdict
and, for each number line, its four looks (first, enlarged, wider, local contrast) with the
weakest character of each. A number the reader names is summed up by its *surest look per
character* (for each character the highest score any look gave it, then the lowest of those):
the smallest per-character floor that would have refused it. The last lines put the wrong reads'
figure beside the right reads' (docs/markings.md, "Per-character scores").
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "scripts")]

from inference import markings  # noqa: E402
from inference.marking_eval import load_rgb  # noqa: E402

SHARED = REPO.parent / "shared" / "photos"
ETCHED = {"10_open_end_wrench_3_4": "AT-288293-5", "5_safety_pliers": "AT-288293-6"}


def real_crops() -> list[tuple[str, np.ndarray, str]]:
    out = []
    with open(REPO / "bench" / "marking_boxes.csv", newline="") as f:
        for b in csv.DictReader(f):
            rgb = load_rgb(SHARED / "single" / b["file"])
            x0, y0, x1, y1 = (int(b[k]) for k in ("x0", "y0", "x1", "y1"))
            for q in range(4):
                out.append(
                    (f"{b['file']} {b['kind']} {q * 90}", np.rot90(rgb[y0:y1, x0:x1], q), b["text"])
                )
    with open(REPO / "bench" / "shared_boxes.csv", newline="") as f:
        for r in csv.DictReader(f):
            key = r["photo"].split("/")[-1].split("__")[0]
            if key not in ETCHED:
                continue
            rgb = load_rgb(SHARED / r["photo"])
            x0, y0, x1, y1 = (int(r[k]) for k in ("x0", "y0", "x1", "y1"))
            for q in range(4):
                out.append(
                    (f"{r['photo']} tool {q * 90}", np.rot90(rgb[y0:y1, x0:x1], q), ETCHED[key])
                )
            out.append((f"{r['photo']} whole", rgb, ETCHED[key]))
    return out


def synthetic_crops(
    seed: int, per_kind: int, tmp: str, kinds: tuple[str, ...] = ("etched", "label")
) -> list[tuple[str, np.ndarray, str]]:
    import make_markings

    make_markings.main([tmp, "--seed", str(seed), "--per-kind", str(per_kind)])
    with open(Path(tmp) / "markings.csv", newline="") as f:
        rows = [w for w in csv.DictReader(f) if w["kind"] in kinds]
    return [
        (w["file"], load_rgb(Path(tmp) / w["file"]), markings.normalise(w["text"])) for w in rows
    ]


def surest_per_character(looks: list[markings.Look], number: str) -> float | None:
    """For each letter and digit of `number`, the highest score any look that reads it gave
    that character; the lowest of those (separators left out: a lost dash is put back)."""
    patterns = markings.compile_patterns(None)
    wanted = sum(c.isalnum() for c in number)
    rows = []
    for v in looks:
        scores = [s for c, s in zip(v.text, v.char_scores) if c.isalnum()]
        if number in markings.numbers_in(v.text, patterns) and len(scores) == wanted:
            rows.append(scores)
    return float(np.max(np.array(rows), axis=0).min()) if rows else None


def show(name: str, crop: np.ndarray, want: str, summary: dict[str, list[float]]) -> None:
    crop = np.ascontiguousarray(crop)
    patterns = markings.compile_patterns(None)
    m = markings.read_marking(crop)
    got = m.best.text if m.best else ""
    verdict = "exact" if got == want else ("WRONG" if got else m.status)
    print(f"{verdict:9s} {name}: {got or '-'} (true {want})")
    lines = markings.read_text(crop)
    if markings._flat_look_may_help(lines, patterns):
        lines += markings.read_text(crop, flatten=True)
    for line in lines:
        if not markings.numbers_in(line.text, patterns):
            continue
        looks = [markings.Look(line.text, line.char_scores), *markings.other_looks(crop, line)]
        for label, v in zip(("first", "enlarged", "wider", "contrast"), looks):
            if v.char_scores:
                i = int(np.argmin(v.char_scores))
                weakest = f"weakest {v.text[i]!r} (position {i + 1}) {v.char_scores[i]:.2f}"
            else:
                weakest = "no scores"
            print(f"    {label:8s} {v.text:14s} {weakest}")
        if got and got in markings.numbers_in(line.text, patterns):
            surest = surest_per_character(looks, got)
            if surest is not None:
                summary["right" if got == want else "wrong"].append(surest)
                print(f"    surest look per character, weakest: {surest:.3f}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--per-kind", type=int, default=0, help="also a synthetic set (0: none)")
    args = ap.parse_args(argv)
    markings.ocr_engine()
    summary: dict[str, list[float]] = {"right": [], "wrong": []}
    print("## real crops (bench/marking_boxes.csv, bench/shared_boxes.csv)")
    for name, crop, want in real_crops():
        show(name, crop, want, summary)
    if args.per_kind:
        print(
            f"## synthetic text (scripts/make_markings.py --seed {args.seed} --per-kind {args.per_kind})"
        )
        with tempfile.TemporaryDirectory() as tmp:
            for name, crop, want in synthetic_crops(args.seed, args.per_kind, tmp):
                show(name, crop, want, summary)
    for kind, values in summary.items():
        v = sorted(values)
        low = ", ".join(f"{x:.3f}" for x in v[:8])
        print(f"{kind} reads named: {len(v)}; surest look per character, lowest: {low}")


if __name__ == "__main__":
    main()
