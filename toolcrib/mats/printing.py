"""The kit mat as a PDF (reportlab): one sheet at its paper size, or tiled onto A4 pages.

Pure: takes an inference.mats.Template, returns PDF bytes. Everything is drawn as vectors in
the mat's millimetres, so the print is exact at 100 % ("actual size"); a 100 mm bar on the
title strip lets anyone check the scale with a ruler.
"""

import io
import math

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from inference import mats

OUTLINE_GREY = 0.3
TILE_MARGIN_MM = 10.0  # around each A4 tile: printers leave a few mm blank


def mat_pdf(template: mats.Template) -> bytes:
    """The mat on one sheet of its paper size (A3 or A2, landscape)."""
    w, h = template.size
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(w * mm, h * mm), pageCompression=1)
    c.setTitle(f"Kit mat {template.name} v{template.version} ({template.paper})")
    _draw(c, template, 0.0, h * mm)
    c.showPage()
    c.save()
    return buf.getvalue()


def tiled_pdf(template: mats.Template) -> bytes:
    """The mat cut into A4 pages with crop and registration marks, for an office printer.
    Pages are upright or sideways, whichever needs fewer."""
    w, h = template.size
    page_w, page_h = A4[0] / mm, A4[1] / mm
    options = []
    for pw, ph in ((page_w, page_h), (page_h, page_w)):
        tw, th = pw - 2 * TILE_MARGIN_MM, ph - 2 * TILE_MARGIN_MM
        cols, rows = math.ceil(w / tw), math.ceil(h / th)
        options.append((cols * rows, pw, ph, tw, th, cols, rows))
    _, pw, ph, tw, th, cols, rows = min(options)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(pw * mm, ph * mm), pageCompression=1)
    c.setTitle(f"Kit mat {template.name} v{template.version} ({template.paper} on A4)")
    for r in range(rows):
        for col in range(cols):
            tx, ty = col * tw, r * th
            cw, ch = min(tw, w - tx), min(th, h - ty)
            left, top = TILE_MARGIN_MM, ph - TILE_MARGIN_MM
            c.saveState()
            clip = c.beginPath()
            clip.rect(left * mm, (top - ch) * mm, cw * mm, ch * mm)
            c.clipPath(clip, stroke=0, fill=0)
            _draw(c, template, (left - tx) * mm, (top + ty) * mm)
            c.restoreState()
            _tile_marks(c, left, top, cw, ch)
            c.setFont("Helvetica", 7)
            c.setFillGray(0.3)
            c.drawString(
                left * mm,
                (top + 4) * mm,
                f"{template.name} v{template.version} ({template.paper}) - tile row {r + 1} "
                f"column {col + 1} of {rows} x {cols}. Print at 100 %, trim at the marks, "
                "butt the tiles edge to edge with the crosses aligned.",
            )
            c.showPage()
    c.save()
    return buf.getvalue()


def _tile_marks(c: Canvas, left: float, top: float, cw: float, ch: float) -> None:
    """Crop marks in the margin at the tile's corners, and a registration cross at each."""
    c.setStrokeGray(0)
    c.setLineWidth(0.2 * mm)
    for x in (left, left + cw):
        for y in (top, top - ch):
            sx = -1 if x == left else 1
            sy = 1 if y == top else -1
            c.line(x * mm, (y + sy * 2) * mm, x * mm, (y + sy * 8) * mm)
            c.line((x + sx * 2) * mm, y * mm, (x + sx * 8) * mm, y * mm)
            cx, cy = x + sx * 5, y + sy * 5
            c.circle(cx * mm, cy * mm, 1.5 * mm)
            c.line((cx - 2.5) * mm, cy * mm, (cx + 2.5) * mm, cy * mm)
            c.line(cx * mm, (cy - 2.5) * mm, cx * mm, (cy + 2.5) * mm)


def _draw(c: Canvas, template: mats.Template, ox: float, oy: float) -> None:
    """Draw the whole mat with its top-left corner at (ox, oy) points."""

    def at(x: float, y: float) -> tuple[float, float]:
        return ox + x * mm, oy - y * mm

    def cells(bits, x0: float, y0: float, cell: float) -> None:
        for j, row in enumerate(bits):
            for i, black in enumerate(row):
                if black:
                    px, py = at(x0 + i * cell, y0 + (j + 1) * cell)
                    # A hair wider than the cell, so neighbours print as one black area.
                    c.rect(px, py, cell * mm + 0.05, cell * mm + 0.05, stroke=0, fill=1)

    c.setFillGray(0)
    for m in mats.markers(template.paper):
        cells(mats.marker_bits(m.id), m.x, m.y, mats.MARKER_MM / 6)
    x0, y0, x1, y1 = mats.code_square(template.paper)
    modules = mats.code_modules(template.code or "TCM1-UNSAVED-0-0")
    cell = (x1 - x0) / (len(modules) + 8)  # four modules of quiet zone on each side
    cells(modules, x0 + 4 * cell, y0 + 4 * cell, cell)

    ix0, iy0, ix1, _ = mats.inner_area(template.paper)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(*at(ix0, iy0 - 5), template.name)
    c.setFont("Helvetica", 8)
    c.drawString(
        *at(ix0, iy0 - 1.5),
        f"version {template.version} - {template.paper} - {len(template.slots)} tools - "
        "print at 100 % (actual size): the bar on the right is 100 mm",
    )
    c.setLineWidth(0.6 * mm)
    c.line(*at(ix1 - 100, iy0 - 4), *at(ix1, iy0 - 4))
    c.setLineWidth(0.3 * mm)
    for x in (ix1 - 100, ix1):
        c.line(*at(x, iy0 - 7), *at(x, iy0 - 1))
    c.drawRightString(*at(ix1 - 102, iy0 - 3), "100 mm")

    c.setStrokeGray(OUTLINE_GREY)
    c.setFillGray(OUTLINE_GREY)
    c.setLineWidth(0.5 * mm)
    c.setLineJoin(1)
    for slot in template.slots:
        path = c.beginPath()
        path.moveTo(*at(*slot.outline[0]))
        for p in slot.outline[1:]:
            path.lineTo(*at(*p))
        path.close()
        c.drawPath(path, stroke=1, fill=0)
        cx, cy = slot.centre
        c.setFont("Helvetica-Bold", 8)
        c.drawCentredString(*at(cx, cy - 0.5), f"{slot.label}  {slot.tool_type}")
        if slot.tool_instance:
            c.setFont("Helvetica", 7)
            c.drawCentredString(*at(cx, cy + 3.2), slot.tool_instance)
