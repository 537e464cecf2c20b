"""Tool labels read back: the PDF rendered at printed size, every DataMatrix decoded by zxing-cpp.

    uv run python -m bench.labels [--count 130]

For each layout (toolcrib/labels/printing.py) the labels of `count` made-up numbers
(AT-2882NN-D) are rendered with pdftoppm at 150 and 300 dpi (an office printer's and a
label printer's resolution; a page at 100 % is the printed size) and decoded whole-page by
zxing-cpp, once as rendered and once "printed and photographed" (Gaussian blur sigma 1 px, then
JPEG quality 70). Prints, per layout, dpi and condition: decoded / labels, wrong decodes,
px per module, ms per page (median; machine shared, so timings are noisy).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import zxingcpp

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from toolcrib.labels.printing import LAYOUTS, labels_pdf, modules  # noqa: E402

CONDITIONS = ("rendered", "blur+jpeg")


def render_pages(pdf: bytes, dpi: int) -> list[np.ndarray]:
    """The PDF's pages as grey images at `dpi` (pdftoppm, as a printer's driver rasterises)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "labels.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(path), str(Path(tmp) / "page")],
            check=True,
        )
        return [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted(Path(tmp).glob("*.png"))]


def decode(page: np.ndarray) -> list[str]:
    """Every DataMatrix zxing-cpp finds on the page, in no particular order."""
    found = zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.DataMatrix)
    return [r.text for r in found if r.valid]


def printed(page: np.ndarray) -> np.ndarray:
    blurred = cv2.GaussianBlur(page, (0, 0), 1.0)
    ok, jpg = cv2.imencode(".jpg", blurred, [cv2.IMWRITE_JPEG_QUALITY, 70])
    return cv2.imdecode(jpg, cv2.IMREAD_GRAYSCALE)


def numbers(count: int) -> list[tuple[str, str]]:
    return [(f"AT-{288200 + n}-{n % 10}", "Lockwire pliers") for n in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=130)
    args = parser.parse_args()
    tools = numbers(args.count)
    want = sorted(n for n, _ in tools)
    for name, layout in LAYOUTS.items():
        pdf = labels_pdf(tools, name)
        side = layout.label[1] - 2 * layout.margin
        mm_per_module = side / (len(modules(want[0])) + 2)
        for dpi in (150, 300):
            pages = render_pages(pdf, dpi)
            for condition in CONDITIONS:
                got, ms = [], []
                for page in pages:
                    image = page if condition == "rendered" else printed(page)
                    t = time.perf_counter()
                    got += decode(image)
                    ms.append((time.perf_counter() - t) * 1000)
                wrong = len([g for g in got if g not in want])
                right = len(set(got) & set(want))
                print(
                    f"{name} {dpi} dpi {condition}: decoded {right} / {len(want)}, "
                    f"wrong {wrong}, {mm_per_module / 25.4 * dpi:.1f} px per module, "
                    f"ms per page: median {statistics.median(ms):.1f} ({len(pages)} pages)"
                )


if __name__ == "__main__":
    main()
