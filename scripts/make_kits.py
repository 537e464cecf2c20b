"""Build a synthetic set of kit photos from ../shared/photos, with true boxes.

    uv run python scripts/make_kits.py [OUT] [--seed N] [--width W] [--tiers easy,hard]

Tools are cut out of the catalogue pictures (and of the three single-tool photos whose
background separates cleanly), rotated, scaled and laid on generated surfaces. Two tiers:
- "easy" (the first set): plain paper, a green mat, wood, a grey table, each with a bare
  border; spaced, touching, overlapping, soft shadows and crumbs.
- "hard" (like the real kit photos of docs/kits.md): textured tables with no bare border
  (wood grain and planks across the frame, a table edge with a second surface, red steel with
  rust and paint wear, a saturated cutting mat with its grid, a dark rubber mat as dark as the
  black handles), tools close together at any angle, apart / side by side along their length /
  touching / piled and crossing, with hard shadows, glare on chrome, vignetting and warm light.
Each kit is photographed in every layout of its tier, so the same tool instances appear in
every photo of a kit and kit matching can be measured.

Writes OUT/*.jpg and OUT/boxes.csv with columns image,label,x0,y0,x1,y1,kit,tool,tier,table,layout
(`tool` names the instance, the same in every photo of a kit). Deterministic for a given seed;
the easy tier is the same as before the hard tier existed.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, from anywhere
from inference import turned

REPO = Path(__file__).resolve().parent.parent
PHOTOS = REPO.parent / "shared" / "photos"

# Source picture -> (median window as a fraction of the width, closing iterations) for its
# backdrop model. Chosen by eye: small windows keep thin shafts and drop the catalogue's glow
# halos, wide ones keep broad tools whole; the kolovorot and can opener keep some halo.
# The catalogue's side cutters and shernitsa have black handles on a black backdrop: their
# cut-outs lose parts of the handles whatever the window.
SOURCES = {
    "catalog/1_screw_flat.jpg": (0.1, 6),
    "catalog/2_screw_plus.jpg": (0.1, 6),
    "catalog/3_offset_screw_plus.jpg": (0.07, 3),
    "catalog/4_kolovorot.jpg": (0.2, 3),
    "catalog/5_safety_pliers.jpg": (0.3, 6),
    "catalog/6_pliers.jpg": (0.15, 3),
    "catalog/7_shernitsa.jpg": (0.15, 3),
    "catalog/8_adjustable_wrench.jpg": (0.1, 6),
    "catalog/9_can_opener.jpg": (0.25, 3),
    "catalog/10_open_end_wrench_3_4.jpg": (0.1, 6),
    "catalog/11_side_cutters.jpg": (0.15, 8),
    "single/10_open_end_wrench_3_4__black.jpg": (0.3, 6),
    "single/8_adjustable_wrench__paper.jpg": (0.15, 6),
    "single/1_screw_flat__paper.jpg": (0.1, 6),
}

# Length of each tool type as a fraction of the photo's width (a kit on a crib table).
LENGTH = {
    "1_screw_flat": 0.26,
    "2_screw_plus": 0.24,
    "3_offset_screw_plus": 0.22,
    "4_kolovorot": 0.32,
    "5_safety_pliers": 0.24,
    "6_pliers": 0.22,
    "7_shernitsa": 0.22,
    "8_adjustable_wrench": 0.24,
    "9_can_opener": 0.16,
    "10_open_end_wrench_3_4": 0.24,
    "11_side_cutters": 0.2,
}

GAP = 0.02  # space between tools laid apart, as a fraction of the photo's width
LAYOUTS = [
    ("paper", "spaced"),
    ("mat", "spaced"),
    ("wood", "spaced"),
    ("grey", "spaced"),
    ("paper", "touching"),
    ("mat", "touching"),
    ("grey", "overlapping"),
    ("wood", "overlapping"),
    ("paper", "shadows"),
    ("grey", "shadows"),
]


# The hard tier: every table with every layout.
HARD_TABLES = ("wood", "edge", "rust", "colour", "dark")
EXTRA_TABLES = ("sheet",)  # made only when asked (--tables): the default set stays as measured
SHEET_SCALE = 0.85  # tools on a sheet, the table in view round it: the camera is further away
HARD_STYLES = ("apart", "side", "touching", "piled")
HARD_LAYOUTS = [(table, style) for style in HARD_STYLES for table in HARD_TABLES]
HARD_GAP = 0.01  # tools laid apart on the hard tier: about a finger's width


def _label(source: str) -> str:
    return source.split("/")[1].split(".")[0].split("__")[0]


CATALOG = [s for s in SOURCES if s.startswith("catalog/")]
SECOND = [s for s in SOURCES if s.startswith("single/")]
KITS = {
    # the 11 catalogue tools
    "kitA": CATALOG,
    # three of them replaced by other instances of the same type
    "kitB": [s for s in CATALOG if _label(s) not in {_label(x) for x in SECOND}] + SECOND,
    # 14 tools: two instances each of three types, told apart only by identity
    "kitC": CATALOG + SECOND,
}


@dataclass
class Cutout:
    source: str
    label: str
    rgb: np.ndarray  # [h, w, 3] uint8, cropped to the tool
    alpha: np.ndarray  # [h, w] float32 0..1

    @property
    def axis(self) -> float:
        """The tool's long axis, degrees counter-clockwise as seen (y grows downwards)."""
        ys, xs = np.nonzero(self.alpha > 0.5)
        vx, vy = np.linalg.eigh(np.cov(np.stack([xs, ys]).astype(np.float64)))[1][:, -1]
        return float(-np.degrees(np.arctan2(vy, vx)))


def cut_out(source: str) -> Cutout:
    """The tool's pixels and a soft mask, from a picture with one tool on a smooth backdrop."""
    image = Image.open(PHOTOS / source).convert("RGB")
    rgb = np.asarray(image, dtype=np.float32)
    work = image.resize((160, round(160 * image.height / image.width)), Image.BILINEAR)
    window_frac, close = SOURCES[source]
    window = int(window_frac * 160) | 1
    backdrop = np.stack(
        [
            ndimage.median_filter(np.asarray(work, np.float32)[..., c], size=window, mode="reflect")
            for c in range(3)
        ],
        2,
    )
    backdrop = np.asarray(
        Image.fromarray(np.clip(backdrop, 0, 255).astype(np.uint8)).resize(
            image.size, Image.BILINEAR
        ),
        np.float32,
    )
    distance = np.sqrt(((ndimage.uniform_filter(rgb, (3, 3, 1)) - backdrop) ** 2).sum(2))
    mask = distance > max(_otsu(distance), 25.0)
    mask = ndimage.binary_opening(mask, iterations=2)
    mask = ndimage.binary_closing(mask, iterations=close)
    mask = ndimage.binary_fill_holes(mask)
    labels, n = ndimage.label(mask)
    mask = labels == 1 + int(np.argmax(ndimage.sum_labels(mask, labels, range(1, n + 1))))
    ys, xs = np.nonzero(mask)
    sl = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    alpha = ndimage.gaussian_filter(mask[sl].astype(np.float32), 0.8)
    return Cutout(source, _label(source), np.asarray(image)[sl].copy(), alpha)


def _otsu(values: np.ndarray) -> float:
    hist, edges = np.histogram(values, bins=256)
    centers = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)[:-1].astype(np.float64)
    w1 = hist.sum() - w0
    m = np.cumsum(hist * centers)[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        between = w0 * w1 * (m / w0 - (m[-1] + hist[-1] * centers[-1] - m) / w1) ** 2
    return float(centers[int(np.nanargmax(between))])


def surface(kind: str, w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    """A generated table surface [h, w, 3] float32, with a gentle illumination gradient."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    noise = ndimage.gaussian_filter(rng.normal(0, 1, (h // 4, w // 4)).astype(np.float32), 1.5)
    noise = np.asarray(Image.fromarray(noise).resize((w, h), Image.BILINEAR))
    if kind == "paper":
        base = np.array([236, 234, 228], np.float32) + 3 * noise[..., None]
    elif kind == "mat":
        base = np.array([46, 112, 70], np.float32) + 4 * noise[..., None]
    elif kind == "grey":
        base = np.array([128, 130, 132], np.float32) + 3 * noise[..., None]
    elif kind == "wood":
        grain = ndimage.gaussian_filter1d(rng.normal(0, 1, h).astype(np.float32), 2.0)
        wave = np.sin(y / h * 40 + 3 * np.sin(x / w * 6 + grain[:, None] * 2) + 4 * grain[:, None])
        tone = 0.5 + 0.5 * wave
        base = (
            np.stack([150 + 40 * tone, 100 + 30 * tone, 60 + 20 * tone], 2) + 3 * noise[..., None]
        )
    else:
        raise ValueError(kind)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * (x / w - 0.5) + np.sin(angle) * (y / h - 0.5)
    light = 1.0 + rng.uniform(0.08, 0.18) * ramp
    return np.broadcast_to(base, (h, w, 3)) * light[..., None]


def _posed(cut: Cutout, angle: float, length: float) -> tuple[np.ndarray, np.ndarray]:
    """The cut-out scaled to `length` px along its longer side and rotated by `angle` degrees."""
    scale = length / max(cut.rgb.shape[:2])
    size = (max(2, round(cut.rgb.shape[1] * scale)), max(2, round(cut.rgb.shape[0] * scale)))
    rgb = (
        Image.fromarray(cut.rgb)
        .resize(size, Image.BICUBIC)
        .rotate(angle, Image.BICUBIC, expand=True)
    )
    alpha = (
        Image.fromarray((cut.alpha * 255).astype(np.uint8))
        .resize(size, Image.BILINEAR)
        .rotate(angle, Image.BILINEAR, expand=True)
    )
    return np.asarray(rgb, np.float32), np.asarray(alpha, np.float32) / 255


@dataclass
class Placed:
    cut: Cutout
    rgb: np.ndarray
    alpha: np.ndarray
    x: int
    y: int
    zone: tuple  # (slice of the photo, bool mask): where no other tool may lie in a spaced layout
    angle: float = 0.0  # degrees turned counter-clockwise from the cut-out

    @property
    def box(self) -> tuple[int, int, int, int]:
        ys, xs = np.nonzero(self.alpha > 0.5)
        return (
            self.x + int(xs.min()),
            self.y + int(ys.min()),
            self.x + int(xs.max()) + 1,
            self.y + int(ys.max()) + 1,
        )

    def turned(self, size: tuple[int, int]) -> str:
        """The tool's turned box in a photo of `size`, as "x0 y0 x1 y1 [angle]"
        (inference/turned.py: the axis-aligned box where turning saves little)."""
        ys, xs = np.nonzero(self.alpha > 0.5)
        return " ".join(str(v) for v in turned.of_points(xs + self.x, ys + self.y, size))


def layout(
    cuts: list[Cutout],
    style: str,
    w: int,
    h: int,
    rng: np.random.Generator,
    *,
    hard: bool = False,
    allowed: np.ndarray | None = None,
    within: tuple[int, int, int, int] | None = None,
    scale: float = 1.0,
) -> list[Placed]:
    """Place every tool: apart, or with some pairs touching / side by side / overlapping.

    `allowed`: where tools may lie (the table, not the floor beyond its edge); `within`: the
    box tools are tried in (x0, y0, x1, y1; a sheet on the table), else the whole photo;
    `scale`: the tools' size against the usual (a photo that shows the table round a sheet is
    taken from further away)."""
    occupied = np.zeros((h, w), bool)
    keepout = np.zeros((h, w), np.int8)  # how many tools' gap zones cover each pixel
    gap = max(4, round((HARD_GAP if hard else GAP) * w))
    placed: list[Placed] = []
    order = list(rng.permutation(len(cuts)))
    if hard:
        pairs = {"side": 4, "touching": 4, "piled": 4}.get(style, 0)
    else:
        pairs = 3 if style in ("touching", "overlapping") else 0
    forbidden = None if allowed is None else ~allowed
    fit = scale
    for n, i in enumerate(order):
        cut = cuts[i]
        for attempt in range(400):
            if attempt and attempt % 80 == 0:
                fit *= 0.93  # a crowded table: lay the rest a little smaller
            angle = rng.uniform(0, 360)
            length = LENGTH[cut.label] * w * rng.uniform(0.9, 1.1) * fit
            # a partner that finds no place against its tool is laid free (a crowded hard table)
            partner = n % 2 == 1 and n // 2 < pairs and placed and not (hard and attempt >= 200)
            theta = None
            if partner and style == "side":
                # parallel to the tool before it, slid towards it across their length
                other = placed[-1]
                axis = other.cut.axis + other.angle
                angle = axis - cut.axis + rng.normal(0, 3)
                side = 1 if rng.random() < 0.5 else -1
                theta = np.arctan2(np.cos(np.radians(axis)), np.sin(np.radians(axis))) * side
            rgb, alpha = _posed(cut, angle, length)
            ah, aw = alpha.shape
            if ah >= h or aw >= w:
                continue
            solid = alpha > 0.3
            if partner:
                how = {"side": "touching", "piled": "overlapping"}.get(style, style)
                spot = _against(placed[-1], solid, occupied, keepout, how, rng, theta, forbidden)
                if spot is None:
                    continue
                x, y = spot
            else:
                x0, y0, x1, y1 = within or (8, 8, w - 8, h - 8)
                if x1 - x0 <= aw or y1 - y0 <= ah:
                    continue
                x, y = int(rng.integers(x0, x1 - aw)), int(rng.integers(y0, y1 - ah))
                if (keepout[y : y + ah, x : x + aw].astype(bool) & solid).any():
                    continue
                if forbidden is not None and (forbidden[y : y + ah, x : x + aw] & solid).any():
                    continue
            occupied[y : y + ah, x : x + aw] |= solid
            zone = _zone(solid, x, y, gap, (h, w))
            keepout[zone[0]] += zone[1]
            placed.append(Placed(cut, rgb, alpha, x, y, zone, angle))
            break
        else:
            raise RuntimeError(f"no room for {cut.source} in a {style} layout")
    return placed


def _zone(solid: np.ndarray, x: int, y: int, gap: int, shape: tuple[int, int]):
    h, w = shape
    y0, x0, y1, x1 = (
        max(0, y - gap),
        max(0, x - gap),
        min(h, y + solid.shape[0] + gap),
        min(w, x + solid.shape[1] + gap),
    )
    local = np.zeros((y1 - y0, x1 - x0), bool)
    local[y - y0 : y - y0 + solid.shape[0], x - x0 : x - x0 + solid.shape[1]] = solid
    return (slice(y0, y1), slice(x0, x1)), ndimage.distance_transform_edt(~local) <= gap


def _against(
    other: Placed,
    solid: np.ndarray,
    occupied: np.ndarray,
    keepout: np.ndarray,
    style: str,
    rng,
    theta: float | None = None,
    forbidden: np.ndarray | None = None,
) -> tuple[int, int] | None:
    """Slide a tool towards `other` from direction `theta` (random when None) until it touches
    (or overlaps it a little)."""
    h, w = occupied.shape
    ah, aw = solid.shape
    oy, ox = other.y + other.alpha.shape[0] / 2, other.x + other.alpha.shape[1] / 2
    if theta is None:
        theta = rng.uniform(0, 2 * np.pi)
    own = np.zeros_like(occupied)
    own[other.y : other.y + other.alpha.shape[0], other.x : other.x + other.alpha.shape[1]] = (
        other.alpha > 0.3
    )
    others = keepout.copy()
    others[other.zone[0]] -= other.zone[1]
    others = others > 0
    if forbidden is not None:
        others |= forbidden
    last_free = None
    for r in np.arange(max(h, w), 0, -2):
        x, y = int(ox + r * np.cos(theta) - aw / 2), int(oy + r * np.sin(theta) - ah / 2)
        if x < 8 or y < 8 or x + aw > w - 8 or y + ah > h - 8:
            continue
        window = (slice(y, y + ah), slice(x, x + aw))
        if (others[window] & solid).any():
            last_free = None
            continue
        hit = (own[window] & solid).sum()
        if hit == 0:
            last_free = (x, y)
            continue
        if style == "touching":
            return last_free
        if hit >= 0.08 * solid.sum():  # overlapping: a tenth of the tool lies on the other
            return x, y
    return None


def render(placed: list[Placed], kind: str, style: str, w: int, h: int, rng) -> Image.Image:
    canvas = surface(kind, w, h, rng).copy()
    if style == "shadows":
        _shadows(canvas, placed, rng, (0.005, 0.0125), 0.4, 0.0045)
        for _ in range(12):  # crumbs and dust: specks a few pixels wide
            cy, cx, r = int(rng.integers(0, h)), int(rng.integers(0, w)), int(rng.integers(1, 4))
            canvas[max(0, cy - r) : cy + r, max(0, cx - r) : cx + r] *= 0.45
    _paste(canvas, placed)
    return _camera(canvas, rng)


def _shadows(canvas, placed, rng, offset: tuple[float, float], depth: float, blur: float):
    """Darken the table where the tools' shadows fall: light from one side."""
    h, w, _ = canvas.shape
    shade = np.zeros((h, w), np.float32)
    dx, dy = (int(w * rng.uniform(*offset)) for _ in range(2))
    for p in placed:
        ah, aw = p.alpha.shape
        y0, x0 = min(h, p.y + dy), min(w, p.x + dx)
        shade[y0 : y0 + ah, x0 : x0 + aw] = np.maximum(
            shade[y0 : y0 + ah, x0 : x0 + aw], p.alpha[: h - y0, : w - x0]
        )
    canvas *= 1 - depth * ndimage.gaussian_filter(shade, blur * w)[..., None]


def _paste(canvas, placed):
    for p in placed:
        ah, aw = p.alpha.shape
        region = canvas[p.y : p.y + ah, p.x : p.x + aw]
        region[:] = region * (1 - p.alpha[..., None]) + p.rgb * p.alpha[..., None]


def _camera(canvas, rng) -> Image.Image:
    h, w, _ = canvas.shape
    image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(0.6)
    )
    # a camera's softness at the edges (above) and its sensor noise, which also makes the JPEG
    # as large as a real photo's
    noisy = np.asarray(image, np.float32) + rng.normal(0, 2.5, (h, w, 1)).astype(np.float32)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def render_hard(placed: list[Placed], table: np.ndarray, rng) -> Image.Image:
    """A hard-tier photo: hard shadows, glare on chrome, vignetting and a warm cast."""
    canvas = table.copy()
    h, w, _ = canvas.shape
    _shadows(canvas, placed, rng, (0.003, 0.012), rng.uniform(0.3, 0.6), 0.002)
    _paste(canvas, placed)
    for p in placed:  # glare: a bright spot where light catches the metal
        if rng.random() < 0.5:
            continue
        bright = (p.alpha > 0.5) & (p.rgb.mean(axis=2) > 90)
        ys, xs = np.nonzero(bright)
        if len(ys) == 0:
            continue
        k = int(rng.integers(len(ys)))
        yy, xx = np.mgrid[0 : p.alpha.shape[0], 0 : p.alpha.shape[1]]
        sigma = w * rng.uniform(0.006, 0.015)
        blob = np.exp(-((yy - ys[k]) ** 2 + (xx - xs[k]) ** 2) / (2 * sigma**2)) * p.alpha
        region = canvas[p.y : p.y + p.alpha.shape[0], p.x : p.x + p.alpha.shape[1]]
        region += rng.uniform(90, 170) * blob[..., None]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((x / w - 0.5) ** 2 + (y / h - 0.5) ** 2) / 0.5
    canvas *= (1 - rng.uniform(0.15, 0.4) * r2)[..., None]
    if rng.random() < 0.5:
        canvas *= np.array([1.06, 1.0, 0.86], np.float32)  # warm indoor light
    return _camera(canvas, rng)


def _noise(h: int, w: int, cells: float, rng) -> np.ndarray:
    """Smooth noise about `cells` blobs across the width, unit spread."""
    small = (max(2, round(cells * h / w)), max(2, round(cells)))
    field = rng.normal(0, 1, small).astype(np.float32)
    field = np.asarray(Image.fromarray(field).resize((w, h), Image.BICUBIC))
    return field / (field.std() + 1e-6)


def hard_surface(kind: str, w: int, h: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """A textured table filling the frame [h, w, 3] float32, and where tools may lie."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    allowed = np.ones((h, w), bool)
    fine = ndimage.gaussian_filter(rng.normal(0, 1, (h, w)).astype(np.float32), 1.0)
    if kind == "wood":
        table = _wood(w, h, rng)
    elif kind == "edge":
        # a table and, beyond its edge, the floor: a straight edge across a corner or a side
        table = _wood(w, h, rng) if rng.random() < 0.5 else _painted(w, h, rng)
        angle = rng.uniform(0, 2 * np.pi)
        along = np.cos(angle) * (x / w - 0.5) + np.sin(angle) * (y / h - 0.5)
        cut = along.max() - rng.uniform(0.12, 0.25) * (along.max() - along.min())
        floor = np.array([70, 68, 66], np.float32) * (1 + 0.15 * _noise(h, w, 40, rng))[..., None]
        beyond = along > cut
        lip = (along > cut - 0.012) & ~beyond  # the table's edge catches the light
        table = np.where(beyond[..., None], floor, table)
        table[lip] = np.minimum(255, table[lip] * 1.3)
        allowed = along < cut - 0.03
    elif kind == "rust":
        paint = np.array([150, 42, 36], np.float32) * (1 + 0.08 * _noise(h, w, 30, rng))[..., None]
        rust = np.array([135, 72, 34], np.float32) * (
            1 + 0.25 * fine[..., None] + 0.15 * _noise(h, w, 80, rng)[..., None]
        )
        steel = np.array([112, 106, 100], np.float32) * (1 + 0.1 * fine[..., None])
        patches = _noise(h, w, 8, rng) + 0.5 * _noise(h, w, 40, rng)
        worn = _noise(h, w, 20, rng) + 0.4 * _noise(h, w, 90, rng)
        table = np.where((patches > 0.6)[..., None], rust, paint)
        table = np.where((worn > 1.5)[..., None], steel, table)
    elif kind == "colour":
        colour = [np.array(c, np.float32) for c in ([30, 140, 62], [28, 70, 150], [35, 120, 120])]
        base = colour[int(rng.integers(len(colour)))]
        table = base * (1 + 0.05 * _noise(h, w, 30, rng) + 0.03 * fine)[..., None]
        step = w / rng.uniform(14, 22)  # the cutting mat's printed grid
        tilt = rng.uniform(-0.05, 0.05)
        u, v = x + tilt * y, y - tilt * x
        grid = (np.abs((u + step / 2) % step - step / 2) < 1.2) | (
            np.abs((v + step / 2) % step - step / 2) < 1.2
        )
        table[grid] = table[grid] * 0.5 + np.array([200, 210, 200], np.float32) * 0.5
    elif kind == "dark":
        # a black rubber mat: as dark as the tools' black handles, with a fine texture
        level = rng.uniform(28, 45)
        table = (
            np.full((h, w, 3), level, np.float32)
            * (1 + 0.08 * fine + 0.06 * _noise(h, w, 60, rng))[..., None]
        )
    elif kind == "sheet":
        # a sheet of paper or a plain mat lying on a wood or painted table, the table in view
        # on every side: the sheet is not the border's surface (docs/kits.md, "A sheet on the
        # table")
        under = _wood(w, h, rng) if rng.random() < 0.5 else _painted(w, h, rng) * 0.6
        tone = rng.uniform(150, 230)
        paper = np.array([tone, tone * 0.97, tone * 0.9], np.float32)
        sheet = paper * (1 + 0.03 * _noise(h, w, 40, rng) + 0.01 * fine)[..., None]
        turn = np.radians(rng.uniform(-6, 6))
        cx, cy = w * rng.uniform(0.45, 0.55), h * rng.uniform(0.45, 0.55)
        u = np.cos(turn) * (x - cx) + np.sin(turn) * (y - cy)
        v = -np.sin(turn) * (x - cx) + np.cos(turn) * (y - cy)
        half_w, half_h = w * rng.uniform(0.37, 0.42), h * rng.uniform(0.37, 0.42)
        inside = (np.abs(u) < half_w) & (np.abs(v) < half_h)
        table = np.where(inside[..., None], sheet, under)
        margin = 0.02 * w
        allowed = (np.abs(u) < half_w - margin) & (np.abs(v) < half_h - margin)
    else:
        raise ValueError(kind)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * (x / w - 0.5) + np.sin(angle) * (y / h - 0.5)
    light = 1.0 + rng.uniform(0.1, 0.25) * ramp
    return table * light[..., None], allowed


def _painted(w: int, h: int, rng) -> np.ndarray:
    base = np.array([rng.uniform(120, 200)] * 3, np.float32) * np.array([1.0, 1.0, 0.97])
    return base * (1 + 0.04 * _noise(h, w, 50, rng))[..., None]


def _wood(w: int, h: int, rng) -> np.ndarray:
    """Planks with grain running across the whole frame in one direction, and knots."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, np.pi)
    v = -x * np.sin(theta) + y * np.cos(theta)  # across the grain
    plank = rng.uniform(0.15, 0.3) * h
    index = np.floor((v - v.min()) / plank).astype(int)
    tones = rng.uniform(-0.12, 0.12, index.max() + 1).astype(np.float32)
    phases = rng.uniform(0, 100, index.max() + 1).astype(np.float32)
    warp = 6 * _noise(h, w, 6, rng)
    rings = np.sin((v + warp * plank / 20) * rng.uniform(0.15, 0.4) + phases[index])
    streak = ndimage.gaussian_filter1d(rng.normal(0, 1, 4 * (h + w)).astype(np.float32), 1.5)
    streaks = streak[np.clip((v - v.min()).astype(int), 0, len(streak) - 1)]
    tone = 0.25 * rings**3 + 0.08 * streaks + tones[index]
    for _ in range(int(rng.integers(0, 3))):  # knots
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.01, 0.03) * w
        d = np.hypot(x - cx, y - cy) / r
        tone -= 0.35 * np.exp(-(d**2)) + 0.1 * np.sin(d * 6) * np.exp(-d / 3)
    seam = np.abs(((v - v.min()) % plank) - plank / 2) > plank / 2 - 1.5
    tone[seam] -= 0.35
    base = [np.array(c, np.float32) for c in ([196, 146, 96], [160, 104, 60], [105, 66, 40])]
    colour = base[int(rng.integers(len(base)))]
    return colour * (1 + tone)[..., None]


def make_kits(
    out: Path,
    *,
    seed: int = 0,
    width: int = 1600,
    kits: dict | None = None,
    layouts=None,
    hard_layouts=None,
) -> Path:
    """Write the kit photos and boxes.csv into `out`; returns the csv path.

    With neither `layouts` nor `hard_layouts` given, both tiers in full; with one given, only
    that tier (so the easy tier can be made alone, and made as it always was)."""
    if layouts is None and hard_layouts is None:
        layouts, hard_layouts = LAYOUTS, HARD_LAYOUTS
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    height = width * 3 // 4
    cuts = {s: cut_out(s) for s in SOURCES}
    rows = []
    kits = kits or KITS
    for kit, sources in kits.items():
        for n, (kind, style) in enumerate(layouts or ()):
            name = f"{kit}__{n:02d}_{kind}_{style}.jpg"
            placed = layout([cuts[s] for s in sources], style, width, height, rng)
            render(placed, kind, style, width, height, rng).save(out / name, quality=90)
            rows += _rows(name, placed, kit, "easy", kind, style, (width, height))
    for kit, sources in kits.items():
        for n, (kind, style) in enumerate(hard_layouts or ()):
            name = f"{kit}__h{n:02d}_{kind}_{style}.jpg"
            table, allowed = hard_surface(kind, width, height, rng)
            placed = layout(
                [cuts[s] for s in sources],
                style,
                width,
                height,
                rng,
                hard=True,
                allowed=allowed,
                **(_on_sheet(allowed) if kind in EXTRA_TABLES else {}),
            )
            render_hard(placed, table, rng).save(out / name, quality=90)
            rows += _rows(name, placed, kit, "hard", kind, style, (width, height))
    path = out / "boxes.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def _on_sheet(allowed: np.ndarray) -> dict:
    """Tools on a sheet are tried on the sheet and laid smaller (the old tables keep their
    random draws, so their photos stay byte for byte)."""
    ys, xs = np.nonzero(allowed)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    return {"within": box, "scale": SHEET_SCALE}


COLUMNS = [
    "image",
    "label",
    "x0",
    "y0",
    "x1",
    "y1",
    "kit",
    "tool",
    "tier",
    "table",
    "layout",
    "turned",
]


def _rows(name: str, placed: list[Placed], kit: str, tier: str, table: str, style: str, size):
    return [
        [name, p.cut.label, *p.box, kit, p.cut.source.split(".")[0], tier, table, style]
        + [p.turned(size)]
        for p in placed
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default=str(REPO / "var" / "kits"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--tiers", default="easy,hard", help="easy, hard or easy,hard")
    parser.add_argument(
        "--tables",
        default=",".join(HARD_TABLES),
        help=f"the hard tier's tables (default {','.join(HARD_TABLES)}; also: "
        f"{','.join(EXTRA_TABLES)}, a sheet or mat lying on a table)",
    )
    args = parser.parse_args(argv)
    tiers = set(args.tiers.split(","))
    if not tiers <= {"easy", "hard"} or not tiers:
        parser.error(f"--tiers takes easy, hard or easy,hard; got {args.tiers!r}")
    tables = args.tables.split(",")
    if not set(tables) <= set(HARD_TABLES + EXTRA_TABLES):
        parser.error(f"--tables takes {', '.join(HARD_TABLES + EXTRA_TABLES)}; got {args.tables!r}")
    if not PHOTOS.is_dir():
        print(f"no photos at {PHOTOS}", file=sys.stderr)
        return 2
    path = make_kits(
        Path(args.out),
        seed=args.seed,
        width=args.width,
        layouts=LAYOUTS if "easy" in tiers else [],
        hard_layouts=[(t, s) for s in HARD_STYLES for t in tables] if "hard" in tiers else [],
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
