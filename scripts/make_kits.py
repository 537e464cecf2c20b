"""Build a synthetic set of kit photos from ../shared/photos, with true boxes.

    uv run python scripts/make_kits.py [OUT] [--seed N] [--width W]

Tools are cut out of the catalogue pictures (and of the three single-tool photos whose
background separates cleanly), rotated, scaled and laid on generated surfaces: white paper
with a light gradient, a green mat, wood, a grey painted table. Each kit is photographed in
several layouts (spaced, touching, overlapping, with soft shadows and crumbs), so the same
tool instances appear in every photo of a kit and kit matching can be measured.

Writes OUT/*.jpg and OUT/boxes.csv with columns image,label,x0,y0,x1,y1,kit,tool (`tool` names
the instance, the same in every photo of a kit). Deterministic for a given seed.
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

    @property
    def box(self) -> tuple[int, int, int, int]:
        ys, xs = np.nonzero(self.alpha > 0.5)
        return (
            self.x + int(xs.min()),
            self.y + int(ys.min()),
            self.x + int(xs.max()) + 1,
            self.y + int(ys.max()) + 1,
        )


def layout(
    cuts: list[Cutout], style: str, w: int, h: int, rng: np.random.Generator
) -> list[Placed]:
    """Place every tool: apart, or with some pairs touching / overlapping."""
    occupied = np.zeros((h, w), bool)
    keepout = np.zeros((h, w), np.int8)  # how many tools' gap zones cover each pixel
    gap = max(4, round(GAP * w))
    placed: list[Placed] = []
    order = list(rng.permutation(len(cuts)))
    pairs = 3 if style in ("touching", "overlapping") else 0
    fit = 1.0
    for n, i in enumerate(order):
        cut = cuts[i]
        for attempt in range(400):
            if attempt and attempt % 80 == 0:
                fit *= 0.93  # a crowded table: lay the rest a little smaller
            rgb, alpha = _posed(
                cut, rng.uniform(0, 360), LENGTH[cut.label] * w * rng.uniform(0.9, 1.1) * fit
            )
            ah, aw = alpha.shape
            if ah >= h or aw >= w:
                continue
            solid = alpha > 0.3
            if n % 2 == 1 and n // 2 < pairs and placed:
                spot = _against(placed[-1], solid, occupied, keepout, style, rng)
                if spot is None:
                    continue
                x, y = spot
            else:
                x, y = int(rng.integers(8, w - aw - 8)), int(rng.integers(8, h - ah - 8))
                if (keepout[y : y + ah, x : x + aw].astype(bool) & solid).any():
                    continue
            occupied[y : y + ah, x : x + aw] |= solid
            zone = _zone(solid, x, y, gap, (h, w))
            keepout[zone[0]] += zone[1]
            placed.append(Placed(cut, rgb, alpha, x, y, zone))
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
    other: Placed, solid: np.ndarray, occupied: np.ndarray, keepout: np.ndarray, style: str, rng
) -> tuple[int, int] | None:
    """Slide a tool towards `other` from a random direction until it touches (or overlaps it a little)."""
    h, w = occupied.shape
    ah, aw = solid.shape
    oy, ox = other.y + other.alpha.shape[0] / 2, other.x + other.alpha.shape[1] / 2
    theta = rng.uniform(0, 2 * np.pi)
    own = np.zeros_like(occupied)
    own[other.y : other.y + other.alpha.shape[0], other.x : other.x + other.alpha.shape[1]] = (
        other.alpha > 0.3
    )
    others = keepout.copy()
    others[other.zone[0]] -= other.zone[1]
    others = others > 0
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
        shade = np.zeros((h, w), np.float32)
        dx, dy = (int(w * rng.uniform(0.005, 0.0125)) for _ in range(2))  # light from one side
        for p in placed:
            ah, aw = p.alpha.shape
            y0, x0 = min(h, p.y + dy), min(w, p.x + dx)
            shade[y0 : y0 + ah, x0 : x0 + aw] = np.maximum(
                shade[y0 : y0 + ah, x0 : x0 + aw], p.alpha[: h - y0, : w - x0]
            )
        canvas *= 1 - 0.4 * ndimage.gaussian_filter(shade, 0.0045 * w)[..., None]
        for _ in range(12):  # crumbs and dust: specks a few pixels wide
            cy, cx, r = int(rng.integers(0, h)), int(rng.integers(0, w)), int(rng.integers(1, 4))
            canvas[max(0, cy - r) : cy + r, max(0, cx - r) : cx + r] *= 0.45
    for p in placed:
        ah, aw = p.alpha.shape
        region = canvas[p.y : p.y + ah, p.x : p.x + aw]
        region[:] = region * (1 - p.alpha[..., None]) + p.rgb * p.alpha[..., None]
    image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(0.6)
    )
    # a camera's softness at the edges (above) and its sensor noise, which also makes the JPEG
    # as large as a real photo's
    noisy = np.asarray(image, np.float32) + rng.normal(0, 2.5, (h, w, 1)).astype(np.float32)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def make_kits(
    out: Path, *, seed: int = 0, width: int = 1600, kits: dict | None = None, layouts=None
) -> Path:
    """Write the kit photos and boxes.csv into `out`; returns the csv path."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    height = width * 3 // 4
    cuts = {s: cut_out(s) for s in SOURCES}
    rows = []
    for kit, sources in (kits or KITS).items():
        for n, (kind, style) in enumerate(layouts or LAYOUTS):
            name = f"{kit}__{n:02d}_{kind}_{style}.jpg"
            placed = layout([cuts[s] for s in sources], style, width, height, rng)
            render(placed, kind, style, width, height, rng).save(out / name, quality=90)
            for p in placed:
                rows.append([name, p.cut.label, *p.box, kit, p.cut.source.split(".")[0]])
    path = out / "boxes.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["image", "label", "x0", "y0", "x1", "y1", "kit", "tool"])
        writer.writerows(rows)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default=str(REPO / "var" / "kits"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--width", type=int, default=1600)
    args = parser.parse_args(argv)
    if not PHOTOS.is_dir():
        print(f"no photos at {PHOTOS}", file=sys.stderr)
        return 2
    path = make_kits(Path(args.out), seed=args.seed, width=args.width)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
