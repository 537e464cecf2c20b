"""A tool photographed again, simulated: what changes between two photos of the same tool.

Used to build hard evaluation pairs (inference/cross_photo.py, `manage.py evaluate`), never in
the app's recognition path. Each change is one a desk really sees between issue and return:
the box drawn a little differently, the tool nearer or further from the camera, other light,
a blurred shot, the tool lying at another angle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Change:
    """One draw of the changes; `strength` 0 = none, 1 = the full ranges below."""

    jitter: tuple[float, float, float, float]  # each box edge moved by this share of its side
    scale: float  # the region resampled by this factor (smaller = further away)
    brightness: float
    contrast: float
    cast: tuple[float, float, float]  # per-channel gain: warm/cold light
    blur: float  # Gaussian radius in pixels of the 112 px model input
    angle: float  # degrees counter-clockwise

    @classmethod
    def draw(cls, rng: np.random.Generator, strength: float = 1.0) -> Change:
        s = strength
        return cls(
            jitter=_floats4(rng.uniform(-0.08 * s, 0.08 * s, 4)),
            scale=float(np.exp(rng.uniform(np.log(1 - 0.6 * s), 0))),
            brightness=float(rng.uniform(1 - 0.35 * s, 1 + 0.35 * s)),
            contrast=float(rng.uniform(1 - 0.3 * s, 1 + 0.3 * s)),
            cast=_floats3(rng.uniform(1 - 0.12 * s, 1 + 0.12 * s, 3)),
            blur=float(rng.uniform(0, 1.5 * s)),
            angle=float(rng.choice([0, 90, 180, 270]) + rng.uniform(-30 * s, 30 * s)),
        )


def _floats4(v: np.ndarray) -> tuple[float, float, float, float]:
    return (float(v[0]), float(v[1]), float(v[2]), float(v[3]))


def _floats3(v: np.ndarray) -> tuple[float, float, float]:
    return (float(v[0]), float(v[1]), float(v[2]))


def apply(image: Image.Image, box: Sequence[float], change: Change) -> tuple[Image.Image, Box]:
    """The tool in `box` of `image` as the change would show it: a new (smaller) image holding
    the tool and some of its surroundings, and the tool's box in it."""
    x0, y0, x1, y1 = (int(v) for v in box)
    w, h = x1 - x0, y1 - y0
    # Keep a margin of surroundings so jitter and rotation show real table, not black.
    margin = int(0.25 * max(w, h))
    ox0, oy0 = max(0, x0 - margin), max(0, y0 - margin)
    ox1, oy1 = min(image.width, x1 + margin), min(image.height, y1 + margin)
    region = image.convert("RGB").crop((ox0, oy0, ox1, oy1))
    bx: tuple[float, float, float, float] = (x0 - ox0, y0 - oy0, x1 - ox0, y1 - oy0)
    if change.scale < 1:
        size = (
            max(8, round(region.width * change.scale)),
            max(8, round(region.height * change.scale)),
        )
        factor = (size[0] / region.width, size[1] / region.height)
        region = region.resize(size, Image.Resampling.BILINEAR)
        bx = (bx[0] * factor[0], bx[1] * factor[1], bx[2] * factor[0], bx[3] * factor[1])
    region = ImageEnhance.Brightness(region).enhance(change.brightness)
    region = ImageEnhance.Contrast(region).enhance(change.contrast)
    pixels = np.asarray(region, dtype=np.float32) * np.array(change.cast, dtype=np.float32)
    region = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if change.blur > 0:
        side = max(bx[2] - bx[0], bx[3] - bx[1])
        region = region.filter(ImageFilter.GaussianBlur(change.blur * side / 112))
    if change.angle % 360:
        region, bx = _turn(region, bx, change.angle)
    bw, bh = bx[2] - bx[0], bx[3] - bx[1]
    j = change.jitter
    moved = (bx[0] + j[0] * bw, bx[1] + j[1] * bh, bx[2] + j[2] * bw, bx[3] + j[3] * bh)
    final = (
        max(0, int(round(moved[0]))),
        max(0, int(round(moved[1]))),
        min(region.width, int(round(moved[2]))),
        min(region.height, int(round(moved[3]))),
    )
    if final[2] - final[0] < 4 or final[3] - final[1] < 4:
        final = (0, 0, region.width, region.height)
    return region, final


def _turn(
    region: Image.Image, box: tuple[float, float, float, float], angle: float
) -> tuple[Image.Image, tuple[float, float, float, float]]:
    """Turn the region (expanding it) and return the upright box around the turned tool box,
    as a user would draw it."""
    w, h = region.size
    turned = region.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    t = np.radians(angle)
    c, s = np.cos(t), np.sin(t)
    corners = [(x - w / 2, y - h / 2) for x in (box[0], box[2]) for y in (box[1], box[3])]
    xs = [c * dx + s * dy + turned.width / 2 for dx, dy in corners]
    ys = [-s * dx + c * dy + turned.height / 2 for dx, dy in corners]
    return turned, (min(xs), min(ys), max(xs), max(ys))
