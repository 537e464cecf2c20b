"""How well markings are read on a folder of crops with the text each should read as.

The folder holds images and `markings.csv` (`file,text`; text empty where the crop has no
legible marking, a code's payload otherwise; other columns are carried along for breakdowns).
"""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from . import markings


@dataclass
class Row:
    file: str
    text: str  # what should be read ('' for none)
    read: str  # what was read ('' for nothing well-formed)
    source: str
    status: str
    char_height: float | None
    ms: float
    extra: dict

    @property
    def exact(self) -> bool:
        return bool(self.text) and self.read == self.text

    @property
    def wrong(self) -> bool:
        return bool(self.read) and self.read != self.text


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


def evaluate_folder(
    where: str | Path,
    patterns: list[str] | None = None,
    *,
    min_partial: int = markings.DEFAULT_MIN_PARTIAL,
) -> list[Row]:
    folder = Path(where)
    table = folder / "markings.csv"
    if not table.is_file():
        raise FileNotFoundError(f"{table} not found: the folder needs markings.csv (file,text)")
    compiled = markings.compile_patterns(patterns)
    with open(table, newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"file", "text"} <= set(reader.fieldnames):
            raise ValueError(f"{table} needs the columns file,text")
        wanted = list(reader)
    if not wanted:
        raise ValueError(f"{table} lists no crops")
    rows = []
    for w in wanted:
        rgb = load_rgb(folder / w["file"])
        m = markings.read_marking(rgb, compiled, min_partial=min_partial)
        best = m.best
        text = (w.get("text") or "").strip()
        rows.append(
            Row(
                file=w["file"],
                text=text if not text or _is_code(best, text) else markings.normalise(text),
                read=best.text if best else "",
                source=best.source if best else "",
                status=m.status,
                char_height=m.char_height,
                ms=m.ms,
                extra={k: v for k, v in w.items() if k not in ("file", "text")},
            )
        )
    return rows


def _is_code(best: markings.Read | None, text: str) -> bool:
    return best is not None and best.source != markings.Source.OCR and best.text == text


def summary_lines(rows: list[Row]) -> list[str]:
    with_text = [r for r in rows if r.text]
    rate = sum(r.exact for r in with_text) / len(with_text) if with_text else 0.0
    return [
        f"exact read rate: {rate:.3f}",
        f"wrong reads: {sum(r.wrong for r in rows)}",
        f"not read: {sum(not r.read for r in with_text)}",
        f"ms per crop: median {statistics.median(r.ms for r in rows):.0f}",
    ]
