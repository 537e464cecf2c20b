"""Time one return-desk photo: 12-megapixel JPEG bytes -> boxes -> classes + features -> kit match.

    uv run python bench/kit_pipeline.py [--runs N] [--hard | --sheet] [--table border|saliency] [--expected]

The photo is a synthetic 4000x3000 kit of the 11 catalogue tools (scripts/make_kits.py); the
issued kit is the same 11 tools photographed in another layout. Prints the median total and
each stage's share of it. Decoding uses JPEG draft mode (DCT scaling) to get a 1000x750 image
straight from the file; boxes are found on it and the crops are cut from it too, since a tool
there is still 150-300 px long, more than the model's 112 px input.
--hard: the returned photo is a hard-tier one (tools side by side on wood grain); --sheet: the
tools apart on a sheet lying on the table, the table in view round it (the sheet is modelled
again as the table: docs/kits.md, "A sheet on the table"); --table:
how the table is told from the tools (the mask model costs one more network run);
--expected: the proposer is told the number of tools (as at return). CPU time per photo
(both cores together) is printed too: on a shared machine it says more than wall time.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "scripts")]

from inference.boxes import propose_boxes  # noqa: E402
from inference.kit_eval import run_model  # noqa: E402
from inference.kits import KitItem, match_kit  # noqa: E402

DRAFT = (1000, 750)  # 1/4 of 4000x3000: what the proposer and the crops need, no more


def photo_bytes(seed: int, layout: tuple[str, str], *, hard: bool = False) -> bytes:
    import make_kits

    with tempfile.TemporaryDirectory() as tmp:
        make_kits.make_kits(
            Path(tmp),
            seed=seed,
            width=4000,
            kits={"bench": make_kits.CATALOG},
            **({"hard_layouts": [layout]} if hard else {"layouts": [layout]}),
        )
        return next(Path(tmp).glob("*.jpg")).read_bytes()


TABLE: str | None = None
EXPECTED: int | None = None


def pipeline(data: bytes, issued: list[KitItem]) -> tuple[dict[str, float], object]:
    cpu = time.process_time()
    t = [time.perf_counter()]
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", DRAFT)
    image = ImageOps.exif_transpose(image).convert("RGB")
    t.append(time.perf_counter())
    proposals = propose_boxes(image, table=TABLE, expected=EXPECTED)
    t.append(time.perf_counter())
    t.append(time.perf_counter())  # crops are cut inside run_model: its time counts as "model"
    probs, features = run_model(image, [p.fitted for p in proposals])
    t.append(time.perf_counter())
    result = match_kit(issued, [KitItem(f, p) for f, p in zip(features, probs)])
    t.append(time.perf_counter())
    stages = ["decode", "propose", "crop", "model", "match"]
    timing = {name: (t[i + 1] - t[i]) * 1000 for i, name in enumerate(stages)}
    timing["cpu"] = (time.process_time() - cpu) * 1000
    return timing, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--hard", action="store_true", help="a hard-tier returned photo")
    parser.add_argument("--sheet", action="store_true", help="the kit on a sheet on the table")
    parser.add_argument("--table", choices=("border", "saliency"), help="default: TOOLCRIB_TABLE")
    parser.add_argument("--expected", action="store_true", help="tell the proposer: 11 tools")
    args = parser.parse_args(argv)
    global TABLE, EXPECTED
    TABLE, EXPECTED = args.table, 11 if args.expected else None
    issued_photo = photo_bytes(1, ("paper", "spaced"))
    if args.sheet:
        returned_photo = photo_bytes(2, ("sheet", "apart"), hard=True)
    elif args.hard:
        returned_photo = photo_bytes(2, ("wood", "side"), hard=True)
    else:
        returned_photo = photo_bytes(2, ("grey", "spaced"))
    _, _ = pipeline(returned_photo, [])  # warm-up: session creation, first-run allocations
    image = Image.open(io.BytesIO(issued_photo))
    image.draft("RGB", DRAFT)
    image = image.convert("RGB")
    boxes = [p.fitted for p in propose_boxes(image)]
    probs, features = run_model(image, boxes)
    issued = [KitItem(f, p) for f, p in zip(features, probs)]

    timings = [pipeline(returned_photo, issued)[0] for _ in range(args.runs)]
    cpu = statistics.median(t.pop("cpu") for t in timings)
    totals = [sum(t.values()) for t in timings]
    median_total = statistics.median(totals)
    _, result = pipeline(returned_photo, issued)
    size = Image.open(io.BytesIO(returned_photo)).size
    print(
        f"photo {size[0]}x{size[1]}, {len(returned_photo) / 1e6:.1f} MB JPEG, {len(issued)} issued boxes, {args.runs} runs"
    )
    print(
        f"matched pairs {len(result.pairs)}, missing {len(result.missing)}, extra {len(result.extra)}"
    )
    print(
        f"median total {median_total:.1f} ms (min {min(totals):.1f}, max {max(totals):.1f}); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"median CPU time {cpu:.1f} ms (table: {TABLE or 'default'}, expected: {EXPECTED})")
    for stage in timings[0]:
        median = statistics.median(t[stage] for t in timings)
        print(f"  {stage:<8} {median:7.1f} ms  {100 * median / median_total:5.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
