"""Synthetic photos of a kit mat, with the truth of every slot.

The mat is the app's own PDF rendered by pdftoppm; the tools are the catalogue cut-outs of
scripts/make_kits.py laid in their slots with small offsets and turns; the sheet is then
photographed in perspective (up to 35 degrees of tilt) at 4000x3000, with a lighting gradient,
a soft shadow, glare, one marker partly covered, and per photo some slots empty, two tools
swapped (or a tool of another type in a slot) and a foreign object. Used by bench/mats.py and
by the tests. SYNTHETIC: the same tool pixels as the design photo, so it flatters the model.
"""

from __future__ import annotations

import io
import math
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from inference import mats
from scripts.make_kits import CATALOG, SOURCES, Cutout, cut_out
from toolcrib.mats.printing import mat_pdf

RENDER_PX_PER_MM = 6.0  # the mat is rendered this fine before it is photographed
PHOTO_SIZE = (4000, 3000)  # 12 MP
# Tool lengths on the mat (mm), roughly the real kit's.
LENGTH_MM = {
    "1_screw_flat": 190,
    "2_screw_plus": 180,
    "3_offset_screw_plus": 150,
    "4_kolovorot": 260,
    "5_safety_pliers": 180,
    "6_pliers": 170,
    "7_shernitsa": 160,
    "8_adjustable_wrench": 200,
    "9_can_opener": 120,
    "10_open_end_wrench_3_4": 200,
    "11_side_cutters": 150,
}
SLOT_MARGIN_MM = 12.0  # the outline lies this far around the tool


@cache
def cutouts() -> dict[str, Cutout]:
    """The catalogue's cut-outs as they are (their tools lie along x), the real single photos'
    turned so that their tool does too (they lie at any angle in the photo)."""
    return {s: straightened(cut_out(s)) if s.startswith("single/") else cut_out(s) for s in SOURCES}


def straightened(cut: Cutout) -> Cutout:
    """The cut-out turned so the tool's long axis lies along x, cropped to the tool."""
    turn = -cut.axis  # PIL turns counter-clockwise
    rgb = Image.fromarray(np.clip(cut.rgb, 0, 255).astype(np.uint8)).rotate(
        turn, Image.BICUBIC, expand=True
    )
    alpha = Image.fromarray((cut.alpha * 255).astype(np.uint8)).rotate(
        turn, Image.BILINEAR, expand=True
    )
    a_arr = np.asarray(alpha, np.float32) / 255
    ys, xs = np.nonzero(a_arr > 0.02)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    return Cutout(cut.source, cut.label, np.asarray(rgb)[y0:y1, x0:x1], a_arr[y0:y1, x0:x1])


def _aspect(cut: Cutout) -> tuple[float, float]:
    """Length and width of the cut-out along its own axis, as a fraction of its length; its
    pixels are laid along x (the longer side of the picture)."""
    h, w = cut.alpha.shape
    return 1.0, min(h, w) / max(h, w)


def kit_template(paper: str = "A2", code: str = "TCM1-BENCH-1-1") -> mats.Template:
    """The 11 catalogue tools packed in rows on the mat, one slot each, axis along x."""
    x0, y0, x1, y1 = mats.inner_area(paper)
    tools = sorted(CATALOG, key=lambda s: -_aspect(cutouts()[s])[1] * LENGTH_MM[_label(s)])
    for shrink in (1.0, 0.92, 0.85, 0.78, 0.72):
        slots, x, y, row_h = [], x0, y0, 0.0
        ok = True
        for i, source in enumerate(tools):
            label = _label(source)
            length = LENGTH_MM[label] * shrink
            width = length * _aspect(cutouts()[source])[1]
            sw, sh = length + SLOT_MARGIN_MM, width + SLOT_MARGIN_MM
            if x + sw > x1:
                x, y, row_h = x0, y + row_h + 6, 0.0
            if y + sh > y1 or (x + sw > x1 - mats.CODE_MM and y + sh > y1 - mats.CODE_MM - 4):
                ok = False
                break
            # Every other tool lies head to the right: the slot's axis points the other way.
            angle = 0.0 if i % 2 == 0 else 180.0
            outline = mats.rectangle(x + sw / 2, y + sh / 2, sw, sh, angle)
            slots.append(mats.Slot(str(i + 1), label, outline, angle, f"MAT-{i + 1:02d}"))
            x, row_h = x + sw + 6, max(row_h, sh)
        if ok:
            return mats.Template("Bench kit", 1, paper, tuple(slots), code)
    raise ValueError(f"the kit does not fit on {paper}")


def _label(source: str) -> str:
    return source.split("/")[1].split(".")[0].split("__")[0]


@cache
def _rendered(template: mats.Template, px_per_mm: float = RENDER_PX_PER_MM) -> np.ndarray:
    """The printed mat as an RGB array at px_per_mm, from the PDF via pdftoppm."""
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "mat.pdf"
        pdf.write_bytes(mat_pdf(template))
        dpi = px_per_mm * 25.4
        subprocess.run(
            ["pdftoppm", "-r", f"{dpi:.2f}", "-png", "-singlefile", str(pdf), str(pdf)[:-4]],
            check=True,
        )
        image = np.asarray(Image.open(Path(tmp) / "mat.png").convert("RGB"))
    # Paper is not pure white: a slightly warm off-white.
    return (image.astype(np.float32) * np.array([0.94, 0.93, 0.9], np.float32)).astype(np.uint8)


@dataclass
class Truth:
    """What lies in each slot: the source cut-out, or None for an empty slot."""

    in_slot: list[str | None]
    expected: list[str]
    foreign: bool
    occluded_marker: int | None

    @property
    def states(self) -> list[str]:
        return [
            "empty" if s is None else ("present" if _label(s) == _label(e) else "wrong")
            for s, e in zip(self.in_slot, self.expected)
        ]


def _paste(canvas: np.ndarray, cut: Cutout, centre_px, length_px, angle, rng, shadow=True):
    """Lay a cut-out on the canvas: scaled to length_px along its axis, turned by angle (deg,
    counter-clockwise), centred at centre_px, with a soft drop shadow."""
    h, w = cut.alpha.shape
    along_x = w >= h
    rgb, alpha = cut.rgb, cut.alpha
    if not along_x:
        rgb, alpha = np.rot90(rgb), np.rot90(alpha)
    scale = length_px / max(h, w)
    size = (max(2, round(rgb.shape[1] * scale)), max(2, round(rgb.shape[0] * scale)))
    rgb_img = Image.fromarray(np.ascontiguousarray(rgb)).resize(size, Image.BICUBIC)
    a_img = Image.fromarray(np.ascontiguousarray((alpha * 255).astype(np.uint8))).resize(
        size, Image.BILINEAR
    )
    rgb_img = rgb_img.rotate(angle, Image.BICUBIC, expand=True)
    a_img = a_img.rotate(angle, Image.BILINEAR, expand=True)
    rgb_a = np.asarray(rgb_img, np.float32)
    a = np.asarray(a_img, np.float32) / 255
    ph, pw = a.shape
    x = round(centre_px[0] - pw / 2)
    y = round(centre_px[1] - ph / 2)
    H, W = canvas.shape[:2]
    if shadow:
        off = round(length_px * 0.015)
        sh = cv2.GaussianBlur(a, (0, 0), max(1.0, length_px * 0.01))
        _blend(canvas, np.zeros_like(rgb_a), sh * 0.35, x + off, y + off, W, H)
    _blend(canvas, rgb_a, a, x, y, W, H)


def _blend(canvas, rgb, a, x, y, W, H):
    ph, pw = a.shape
    cx0, cy0 = max(0, x), max(0, y)
    cx1, cy1 = min(W, x + pw), min(H, y + ph)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    sub_a = a[cy0 - y : cy1 - y, cx0 - x : cx1 - x, None]
    sub = rgb[cy0 - y : cy1 - y, cx0 - x : cx1 - x]
    region = canvas[cy0:cy1, cx0:cx1]
    region[:] = region * (1 - sub_a) + sub * sub_a


def lay_tools(
    template: mats.Template,
    in_slot: list[str | None],
    rng,
    *,
    jitter=True,
    sheet=None,
    px_per_mm: float = RENDER_PX_PER_MM,
    print_scale: float = 1.0,
):
    """The mat with the given cut-out in each slot (None: empty), float32 RGB at px_per_mm.
    `sheet`: another template to print underneath (a blank mat, for a design photo).
    `print_scale`: the sheet printed evenly scaled about its centre ("fit to page": 0.94);
    the tools keep their size, laid in the printed outlines."""
    canvas = _rendered(sheet or template, px_per_mm).astype(np.float32)
    h, w = canvas.shape[:2]
    if print_scale != 1.0:
        m = np.array([[print_scale, 0, (1 - print_scale) * w / 2],
                      [0, print_scale, (1 - print_scale) * h / 2]], np.float32)  # fmt: skip
        paper = tuple(float(v) for v in canvas[2, w // 2])  # the sheet's edge: bare paper
        canvas = cv2.warpAffine(canvas, m, (w, h), flags=cv2.INTER_AREA, borderValue=paper)
    p = px_per_mm
    mid = (w / 2 / p, h / 2 / p)
    for slot, source in zip(template.slots, in_slot):
        if source is None:
            continue
        # A tool keeps its real length: a longer one sticks out of a short slot.
        length, _ = slot.extent()
        scale = (length - SLOT_MARGIN_MM) / LENGTH_MM[slot.tool_type]
        tool_length = LENGTH_MM[_label(source)] * scale
        cx, cy = slot.centre
        cx = mid[0] + print_scale * (cx - mid[0])
        cy = mid[1] + print_scale * (cy - mid[1])
        angle = slot.angle
        if jitter:
            cx, cy = cx + rng.uniform(-4, 4), cy + rng.uniform(-3, 3)
            angle += rng.uniform(-4, 4)
        _paste(canvas, cutouts()[source], (cx * p, cy * p), tool_length * p, angle, rng)
    return canvas


def _foreign(canvas, template, rng) -> bool:
    """A rag or glove lying on the mat outside every slot; False when there is no room."""
    p = RENDER_PX_PER_MM
    x0, y0, x1, y1 = mats.inner_area(template.paper)
    boxes = []
    for slot in template.slots:
        xs, ys = zip(*slot.outline)
        boxes.append((min(xs) - 12, min(ys) - 12, max(xs) + 12, max(ys) + 12))
    boxes.append(mats.code_square(template.paper))
    for _ in range(200):
        w, h = rng.uniform(30, 50), rng.uniform(20, 35)
        fx, fy = rng.uniform(x0, x1 - w), rng.uniform(y0, y1 - h)
        if all(fx + w < a or fx > c or fy + h < b or fy > d for a, b, c, d in boxes):
            mask = np.zeros(canvas.shape[:2], np.float32)
            cv2.ellipse(
                mask,
                (round((fx + w / 2) * p), round((fy + h / 2) * p)),
                (round(w / 2 * p), round(h / 2 * p)),
                rng.uniform(0, 180),
                0,
                360,
                1.0,
                -1,
            )
            mask = cv2.GaussianBlur(mask, (0, 0), 2)[..., None]
            colour = np.array(rng.choice([[40, 60, 140], [180, 60, 40], [60, 60, 60]]), np.float32)
            canvas[:] = canvas * (1 - mask) + colour * mask
            return True
    return False


def _cover_marker(canvas, template, rng) -> int:
    """A thumb over part of one marker: enough that it is not read."""
    p = RENDER_PX_PER_MM
    m = mats.markers(template.paper)[rng.integers(0, len(mats.markers(template.paper)))]
    s = mats.MARKER_MM
    cx, cy = (m.x + s * rng.uniform(0.3, 0.7)) * p, (m.y + s * rng.uniform(0.3, 0.7)) * p
    x0, y0 = round(m.x * p) - 40, round(m.y * p) - 40
    window = canvas[max(0, y0) : y0 + round(s * p) + 80, max(0, x0) : x0 + round(s * p) + 80]
    mask = np.zeros(window.shape[:2], np.float32)
    centre = (round(cx) - max(0, x0), round(cy) - max(0, y0))
    cv2.ellipse(mask, centre, (round(s * 0.45 * p), round(s * 0.3 * p)),
                rng.uniform(0, 180), 0, 360, 1.0, -1)  # fmt: skip
    mask = cv2.GaussianBlur(mask, (0, 0), 3)[..., None]
    window[:] = window * (1 - mask) + np.array([200, 150, 120], np.float32) * mask
    return m.id


def _lighting(canvas, rng) -> None:
    """A gradient across the sheet, a soft shadow (a person leaning over), a glare spot."""
    h, w = canvas.shape[:2]
    y, x = np.mgrid[0:h:8, 0:w:8].astype(np.float32)
    a = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(a) * (x / w - 0.5) + np.sin(a) * (y / h - 0.5)
    light = 1.0 + rng.uniform(0.2, 0.45) * ramp
    sx, sy = rng.uniform(0, w), rng.uniform(0, h)
    r = rng.uniform(0.2, 0.35) * w
    shadow = np.exp(-((((x - sx) ** 2 + (y - sy) ** 2) / (2 * r * r)) ** 2))
    light *= 1 - rng.uniform(0.25, 0.45) * shadow
    light = cv2.resize(light, (w, h), interpolation=cv2.INTER_LINEAR)
    canvas *= light[..., None]
    gx, gy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
    gr = rng.uniform(0.04, 0.08) * w
    yy, xx = np.ogrid[0:h, 0:w]
    glare = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * gr * gr)).astype(np.float32)
    canvas += rng.uniform(50, 90) * glare[..., None]


def _camera(mat_size_px, tilt_deg, rng) -> np.ndarray:
    """Homography mat pixels -> photo pixels for a camera tilted by tilt_deg about a random
    axis in the mat's plane, the mat filling most of the 4000x3000 frame."""
    w, h = mat_size_px
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64) - [w / 2, h / 2]
    axis = rng.uniform(0, np.pi)
    t = math.radians(tilt_deg)
    k = np.array([math.cos(axis), math.sin(axis), 0.0])
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    rot = np.eye(3) + math.sin(t) * kx + (1 - math.cos(t)) * kx @ kx
    spin = rng.uniform(-8, 8) + (180 if rng.random() < 0.2 else 0)
    c, s = math.cos(math.radians(spin)), math.sin(math.radians(spin))
    pts3 = np.c_[corners @ np.array([[c, s], [-s, c]]), np.zeros(4)] @ rot.T
    distance = 1.4 * max(w, h)
    proj = pts3[:, :2] / (pts3[:, 2:] + distance)
    pw, ph = PHOTO_SIZE
    fill = rng.uniform(0.78, 0.92)
    span = proj.max(0) - proj.min(0)
    f = fill * min(pw / span[0], ph / span[1])
    proj = proj * f
    room = np.array([pw, ph]) - (proj.max(0) - proj.min(0))
    offset = -proj.min(0) + room * rng.uniform(0.2, 0.8, 2)
    dst = (proj + offset).astype(np.float32)
    src = (corners + [w / 2, h / 2]).astype(np.float32)
    return cv2.getPerspectiveTransform(src, dst)


def photograph(canvas: np.ndarray, rng, *, tilt: float, quality: int = 90) -> bytes:
    """The sheet on a grey table, seen by the camera: JPEG bytes at 4000x3000."""
    h, w = canvas.shape[:2]
    m = _camera((w, h), tilt, rng)
    pw, ph = PHOTO_SIZE
    table = np.array(rng.choice([[110, 112, 115], [150, 110, 70], [70, 90, 80]]), np.float32)
    photo = cv2.warpPerspective(
        np.clip(canvas, 0, 255).astype(np.uint8),
        m,
        (pw, ph),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=tuple(float(v) for v in table),
    )
    photo = cv2.GaussianBlur(photo, (0, 0), 0.8)
    noise = rng.normal(0, 2.5, (ph // 4, pw // 4, 1)).astype(np.float32)
    photo = np.clip(
        photo + cv2.resize(noise, (pw, ph), interpolation=cv2.INTER_NEAREST)[..., None], 0, 255
    ).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def design_photo(template: mats.Template, rng, *, sheet: mats.Template | None = None) -> bytes:
    """Every tool in its slot, evenly lit, seen from nearly straight above: the photo a
    template's reference crops come from. `sheet`: print a blank mat underneath instead."""
    tools = [_source_of(s) for s in template.slots]
    canvas = lay_tools(template, tools, rng, jitter=False, sheet=sheet)
    return photograph(canvas, rng, tilt=5.0)


def _source_of(slot: mats.Slot) -> str:
    return next(s for s in CATALOG if _label(s) == slot.tool_type)


def return_photo(
    template: mats.Template,
    rng,
    *,
    empty: int | None = None,
    wrong: bool | None = None,
    foreign: bool | None = None,
    tilt: float | None = None,
    missing: list[int] | None = None,
    swap: tuple[int, int] | None = None,
    print_scale: float = 1.0,
) -> tuple[bytes, Truth]:
    """A photo of the mat with a random mix of what happens at the desk (or what is asked:
    `missing` slots empty, the tools of the two `swap` slots in each other's place)."""
    n = len(template.slots)
    expected = [_source_of(s) for s in template.slots]
    in_slot: list[str | None] = list(expected)
    if missing is not None:
        gone = missing
    else:
        k = int(rng.integers(0, 3)) if empty is None else empty
        gone = list(rng.choice(n, size=k, replace=False))
    for i in gone:
        in_slot[i] = None
    if swap is not None:
        a, b = swap
        in_slot[a], in_slot[b] = in_slot[b], in_slot[a]
    elif wrong if wrong is not None else rng.random() < 0.6:
        full = [i for i in range(n) if in_slot[i] is not None]
        a, b = rng.choice(full, size=2, replace=False)
        in_slot[a], in_slot[b] = in_slot[b], in_slot[a]
    canvas = lay_tools(template, in_slot, rng, print_scale=print_scale)
    has_foreign = _foreign(canvas, template, rng) if (
        foreign if foreign is not None else rng.random() < 0.5
    ) else False  # fmt: skip
    covered = _cover_marker(canvas, template, rng)
    _lighting(canvas, rng)
    angle = float(rng.uniform(0, 35)) if tilt is None else tilt
    data = photograph(canvas, rng, tilt=angle)
    return data, Truth(in_slot, expected, has_foreign, covered)
