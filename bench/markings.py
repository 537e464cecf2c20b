"""Figures for reading tool markings (issue 10's targets), medians, on this machine.

    uv run python bench/markings.py [--per-kind N] [--seed S]
        [--skip-synthetic | --synthetic-only | --codes-only]

1. Synthetic set (scripts/make_markings.py, made in a temporary folder, not committed):
   codes read rate and ms at >= 2.5 px/module and below, false decodes on blanks and junk;
   text exact rate by character-height band; wrong reads per kind; ms per crop.
   `--codes-only`: the code figures and false decodes alone, from `read_codes` on every crop
   (seconds, no OCR; what `read_marking` returns for codes, since a code found ends it).
2. Real crops: the lockwire pliers' etched number in ../shared/photos/single/ (boxes in
   bench/marking_boxes.csv: the number's box and the tool's box), each turned 0/90/180/270.
   Prints every crop that is not read exactly, with what was read. Then every real photo of
   a numbered tool (the wrench's AT-288293-5, the pliers' AT-288293-6: the tool's box of
   bench/shared_boxes.csv at each quarter turn, and the whole photo) and what is read in each
   box of the kit photo (hand-drawn and proposed boxes).
3. The real kit photo ../shared/photos/kit/DSCN4950.JPG (1280x960, 11 boxes): markings of all
   11 tools (text found once per photo), alone and beside the model, ms.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "scripts")]

from inference import markings  # noqa: E402
from inference.marking_eval import Row, evaluate_folder, load_rgb, summary_lines  # noqa: E402

SHARED = REPO.parent / "shared" / "photos"
BANDS = ((6, 8), (10, 10), (12, 16), (20, 24))


def median_ms(values) -> str:
    values = list(values)
    return f"{statistics.median(values):.0f}" if values else "-"


def synthetic(per_kind: int, seed: int, *, codes_only: bool = False) -> None:
    import make_markings

    with tempfile.TemporaryDirectory() as tmp:
        make_markings.main([tmp, "--seed", str(seed), "--per-kind", str(per_kind)])
        rows = code_rows(tmp) if codes_only else evaluate_folder(tmp)
        # Codes alone (what a label costs): zxing-cpp on every code crop, timed separately.
        code_ms = {}
        for r in rows:
            if r.extra["kind"] in ("datamatrix", "qr"):
                rgb = load_rgb(Path(tmp) / r.file)
                t = time.perf_counter()
                markings.read_codes(rgb)
                code_ms[r.file] = (time.perf_counter() - t) * 1000
    only = " (codes only: zxing-cpp on every crop, no OCR)" if codes_only else ""
    print(f"## synthetic set (scripts/make_markings.py --seed {seed} --per-kind {per_kind}){only}")
    if not codes_only:
        for line in summary_lines(rows):
            print(line)
    codes = [r for r in rows if r.extra["kind"] in ("datamatrix", "qr")]
    for label, keep in (
        (">= 2.5 px/module", lambda m: m >= 2.5),
        ("< 2.5 px/module", lambda m: m < 2.5),
    ):
        part = [r for r in codes if keep(float(r.extra["height"]))]
        rate = sum(r.exact for r in part) / len(part)
        print(
            f"codes {label}: read {rate:.3f} of {len(part)}, "
            f"zxing ms per crop median {median_ms(code_ms[r.file] for r in part)}, "
            f"wrong {sum(r.wrong for r in part)}"
        )
    no_code = [r for r in rows if r.extra["kind"] in ("blank", "junk", "etched", "label")]
    print(
        f"false decodes (a code read where there is none): {sum(r.source not in ('', 'ocr') for r in no_code)}"
    )
    if codes_only:
        return
    text = [r for r in rows if r.extra["kind"] in ("etched", "label")]
    for lo, hi in BANDS:
        part = [r for r in text if lo <= int(r.extra["height"]) <= hi]
        asked = sum(r.status in ("too_small", "unsure", "partial", "not_found") for r in part)
        print(
            f"text {lo}-{hi} px: exact {sum(r.exact for r in part) / len(part):.3f} of {len(part)}, "
            f"wrong {sum(r.wrong for r in part)}, close-up asked {asked}"
        )
    # the target reads "character height >= 12 px": every band from 12 px up
    tall = [r for r in text if int(r.extra["height"]) >= 12]
    print(
        f"text >= 12 px (12-24): exact {sum(r.exact for r in tall)} of {len(tall)}, "
        f"wrong {sum(r.wrong for r in tall)}"
    )
    for kind in ("etched", "label", "datamatrix", "qr", "blank", "junk"):
        part = [r for r in rows if r.extra["kind"] == kind]
        print(f"{kind}: wrong reads {sum(r.wrong for r in part)} of {len(part)}")
    print(f"ms per crop (codes + OCR): median {median_ms(r.ms for r in rows)}")
    print(f"ms per text crop: median {median_ms(r.ms for r in text)}")


def code_rows(folder: str) -> list[Row]:
    """Every crop of a synthetic set read by the code reader alone (`read_codes`, the first
    step of `read_marking`: a code found there ends the reading, so these are the codes
    `read_marking` returns, and any code on a text crop is a false decode)."""
    with open(Path(folder) / "markings.csv", newline="") as f:
        wanted = list(csv.DictReader(f))
    rows = []
    for w in wanted:
        rgb = load_rgb(Path(folder) / w["file"])
        t = time.perf_counter()
        found = markings.read_codes(rgb)
        ms = (time.perf_counter() - t) * 1000
        extra = {k: v for k, v in w.items() if k not in ("file", "text")}
        read, source = (found[0].text, found[0].source) if found else ("", "")
        rows.append(Row(w["file"], w["text"], read, source, "", None, ms, extra))
    return rows


def real_crops() -> None:
    with open(REPO / "bench" / "marking_boxes.csv", newline="") as f:
        boxes = list(csv.DictReader(f))
    exact, wrong, total, ms = 0, 0, 0, []
    print("## real crops: lockwire pliers, ../shared/photos/single (bench/marking_boxes.csv)")
    for b in boxes:
        rgb = load_rgb(SHARED / "single" / b["file"])
        x0, y0, x1, y1 = (int(b[k]) for k in ("x0", "y0", "x1", "y1"))
        crop = rgb[y0:y1, x0:x1]
        for quarter in range(4):
            m = markings.read_marking(np.ascontiguousarray(np.rot90(crop, quarter)))
            got = m.best.text if m.best else ""
            total += 1
            exact += got == b["text"]
            wrong += bool(got) and got != b["text"]
            ms.append(m.ms)
            if got != b["text"]:
                print(
                    f"  not exact: {b['file']} {b['kind']} turned {quarter * 90}: {m.status}, "
                    f"read {got or '-'}, characters ~{m.char_height} px"
                )
    print(f"real crops: exact {exact} of {total}, wrong reads {wrong}, ms median {median_ms(ms)}")


# The etched numbers on the tools of ../shared/photos/single (checked by eye).
ETCHED = {"10_open_end_wrench_3_4": "AT-288293-5", "5_safety_pliers": "AT-288293-6"}


def real_tools() -> None:
    """Every real photo of a numbered tool: the tool's hand-drawn box (bench/shared_boxes.csv)
    at each quarter turn and the whole photo (a close-up reads the whole photo), and the kit
    photo's boxes, drawn and proposed (no number known there: what is read is printed)."""
    from PIL import Image

    from inference.boxes import propose_boxes

    print("## real tools: wrench and pliers in ../shared/photos/single, the kit photo's boxes")
    exact = wrong = total = 0
    with open(REPO / "bench" / "shared_boxes.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["photo"].split("/")[-1].split("__")[0] in ETCHED]
    for r in rows:
        rgb = load_rgb(SHARED / r["photo"])
        want = ETCHED[r["photo"].split("/")[-1].split("__")[0]]
        x0, y0, x1, y1 = (int(r[k]) for k in ("x0", "y0", "x1", "y1"))
        crops = [(f"tool box turned {q * 90}", np.rot90(rgb[y0:y1, x0:x1], q)) for q in range(4)]
        for label, crop in [*crops, ("whole photo", rgb)]:
            m = markings.read_marking(np.ascontiguousarray(crop))
            got = m.best.text if m.best else ""
            total += 1
            exact += got == want
            wrong += bool(got) and got != want
            if got != want:
                print(f"  not exact: {r['photo']} {label}: {m.status}, read {got or '-'}")
    print(f"real tools: exact {exact} of {total}, wrong reads {wrong}")
    rgb = load_rgb(SHARED / "kit" / "DSCN4950.JPG")
    with open(SHARED / "kit" / "boxes.csv", newline="") as f:
        drawn = [tuple(int(r[k]) for k in ("x0", "y0", "x1", "y1")) for r in csv.DictReader(f)]
    proposed = [p.box for p in propose_boxes(Image.fromarray(rgb))]
    for name, boxes in (("drawn", drawn), ("proposed", proposed)):
        found = markings.read_photo(rgb, boxes)
        said = [m.best.text if m.best else m.status for m in found]
        print(f"kit photo, {len(boxes)} {name} boxes: {said}")


def kit_photo(runs: int = 3) -> None:
    from PIL import Image

    from inference.kit_eval import run_model

    path = SHARED / "kit" / "DSCN4950.JPG"
    with open(SHARED / "kit" / "boxes.csv", newline="") as f:
        boxes = [tuple(int(r[k]) for k in ("x0", "y0", "x1", "y1")) for r in csv.DictReader(f)]
    rgb = load_rgb(path)
    image = Image.fromarray(rgb)
    markings.read_photo(rgb, boxes[:1])  # load the OCR engine once, outside the timing
    alone, beside = [], []
    for _ in range(runs):
        t = time.perf_counter()
        found = markings.read_photo(rgb, boxes)
        alone.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            reading = pool.submit(markings.read_photo, rgb, boxes)
            model = pool.submit(run_model, image, boxes)
            reading.result(), model.result()
        beside.append((time.perf_counter() - t) * 1000)
    statuses = ", ".join(sorted({m.status for m in found}))
    print(f"## real kit photo {path.name} ({rgb.shape[1]}x{rgb.shape[0]}, {len(boxes)} tools)")
    print(
        f"kit photo markings: median {median_ms(alone)} ms; with the model in parallel: "
        f"median {median_ms(beside)} ms ({runs} runs; statuses: {statuses})"
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-kind", type=int, default=4)
    ap.add_argument("--seed", type=int, default=10)
    only = ap.add_mutually_exclusive_group()
    only.add_argument("--skip-synthetic", action="store_true")
    only.add_argument("--synthetic-only", action="store_true", help="no real crops, no kit photo")
    only.add_argument(
        "--codes-only",
        action="store_true",
        help="the synthetic set's code figures and false decodes only (zxing-cpp, no OCR)",
    )
    args = ap.parse_args(argv)
    if args.codes_only:
        synthetic(args.per_kind, args.seed, codes_only=True)
        return
    markings.ocr_engine()
    if not args.skip_synthetic:
        synthetic(args.per_kind, args.seed)
    if args.synthetic_only:
        return
    real_crops()
    real_tools()
    kit_photo()


if __name__ == "__main__":
    main()
