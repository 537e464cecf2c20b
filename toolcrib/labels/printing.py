"""Tool labels as a PDF (reportlab): each label a DataMatrix of the inventory number (zxing-cpp
writes it), the number in text and the tool type.

Pure: takes (inventory number, tool type) pairs, returns PDF bytes. Two layouts:
- `a4`: an A4 sheet of 65 labels, 38.1 x 21.2 mm, 5 across and 13 down, the layout of
  Avery L7651 and its many compatible sheets (the common small-label sheet for an office
  printer, large enough for a 15 mm code that a phone camera or desk scanner reads);
- `roll`: one 25 x 12 mm label per page, the size label printers (Brother P-touch/QL, Zebra,
  Dymo) print on a continuous or die-cut tape: the driver takes the page size as the label size.
The code's payload is the inventory number itself, as inference/markings.py and the desk's
scanner field read it. Everything is drawn as vectors, so the print is exact at 100 %.
"""

import io
from dataclasses import dataclass

import numpy as np
import zxingcpp
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

QUIET_MODULES = 1  # DataMatrix needs one module of quiet zone around it (ISO/IEC 16022)


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    page: tuple[float, float]  # mm
    label: tuple[float, float]  # mm
    columns: int
    rows: int
    origin: tuple[float, float]  # top-left of the first label, from the page's top-left, mm
    pitch: tuple[float, float]  # from one label's corner to the next's, mm
    margin: float  # inside each label, mm (printers and die-cuts are off by about 1 mm)

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


LAYOUTS = {
    "a4": Layout(
        "a4",
        "A4 sheet, 65 labels of 38.1 x 21.2 mm (Avery L7651 and compatible)",
        (210.0, 297.0),
        (38.1, 21.2),
        5,
        13,
        (4.75, 10.7),
        (40.6, 21.2),
        1.5,
    ),
    "roll": Layout(
        "roll",
        "Label printer, one 25 x 12 mm label per page",
        (25.0, 12.0),
        (25.0, 12.0),
        1,
        1,
        (0.0, 0.0),
        (25.0, 12.0),
        1.0,
    ),
}


def modules(text: str) -> np.ndarray:
    """The DataMatrix's modules (True is black), without quiet zone."""
    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.DataMatrix)
    return np.asarray(symbol.to_image(scale=1, add_quiet_zones=False)) < 128


def labels_pdf(tools: list[tuple[str, str]], layout: str = "a4") -> bytes:
    """One label per (inventory number, tool type), in order, filling pages of `layout`."""
    lay = LAYOUTS[layout]
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(lay.page[0] * mm, lay.page[1] * mm), pageCompression=1)
    c.setTitle(f"Tool labels ({len(tools)}): {lay.title}")
    for n, (number, tool_type) in enumerate(tools):
        if n and n % lay.per_page == 0:
            c.showPage()
        k = n % lay.per_page
        col, row = k % lay.columns, k // lay.columns
        x = lay.origin[0] + col * lay.pitch[0]
        top = lay.page[1] - lay.origin[1] - row * lay.pitch[1]
        _label(c, lay, x, top, number, tool_type)
    c.showPage()
    c.save()
    return buf.getvalue()


def _label(c: Canvas, lay: Layout, x: float, top: float, number: str, tool_type: str) -> None:
    """One label whose top-left corner is at (x, top) mm from the page's bottom-left."""
    w, h = lay.label
    m = lay.margin
    cells = modules(number)
    side = h - 2 * m  # the code, quiet zone included, is as tall as the label allows
    cell = side / (len(cells) + 2 * QUIET_MODULES)
    c.setFillGray(0)
    x0, y0 = x + m + QUIET_MODULES * cell, top - m - QUIET_MODULES * cell
    for j, row in enumerate(cells):
        for i, black in enumerate(row):
            if black:
                # A hair wider than the cell, so neighbours print as one black area.
                c.rect(
                    (x0 + i * cell) * mm,
                    (y0 - (j + 1) * cell) * mm,
                    cell * mm + 0.05,
                    cell * mm + 0.05,
                    stroke=0,
                    fill=1,
                )
    # Text to the right of the code: the number as large as fits, the type under it.
    tx = x + m + side + 0.5
    room = (x + w - m - tx) * mm
    size = min(9.0, h * mm * 0.32, 0.95 * room / stringWidth(number, "Helvetica-Bold", 1))
    c.setFont("Helvetica-Bold", size)
    c.drawString(tx * mm, (top - m) * mm - size, number)
    small = max(3.5, min(6.5, size * 0.75))
    lines = simpleSplit(tool_type, "Helvetica", small, room)
    fits = max(1, int(((h - 2 * m) * mm - size * 1.25) // (small * 1.1)))
    if len(lines) > fits:
        lines = lines[:fits]
        while lines[-1] and stringWidth(lines[-1] + "…", "Helvetica", small) > room:
            lines[-1] = lines[-1][:-1]
        lines[-1] += "…"
    c.setFont("Helvetica", small)
    y = (top - m) * mm - size * 1.25
    for line in lines:
        y -= small * 1.1
        c.drawString(tx * mm, y, line)
