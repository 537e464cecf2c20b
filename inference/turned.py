"""Turned boxes: a box that follows a diagonal tool instead of holding half the kit.

A box is `[x0, y0, x1, y1]` or `[x0, y0, x1, y1, angle]`: the rectangle x0..x1 x y0..y1
turned by `angle` degrees about its centre, clockwise as seen (y grows downwards: the sense
of SVG's and CSS's rotate). An angle of 0 is the axis-aligned box; x0/y0 may be negative,
or x1/y1 beyond the photo, as long as the turned corners lie inside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

# (x0, y0, x1, y1), or a turned box (x0, y0, x1, y1, angle).
Box = tuple

# Angles are kept to a tenth of a degree (what the editor and the API send).
STEP = 0.1


def angle_of(box: Sequence[float]) -> float:
    return float(box[4]) if len(box) > 4 else 0.0


def plain(box: Sequence[float]) -> tuple:
    """The box as it is kept and given: four whole numbers when not turned, else five."""
    whole = tuple(int(v) for v in box[:4])
    a = normal_angle(angle_of(box))
    return whole if a == 0 else (*whole, a)


def normal_angle(angle: float) -> float:
    """The same turn in (-90, 90], to a tenth of a degree."""
    a = round(float(angle) / STEP) * STEP
    a = (a + 90.0) % 180.0 - 90.0
    return 90.0 if a == -90.0 else round(a, 1)


def corners(box: Sequence[float]) -> np.ndarray:
    """The four corners [4, 2] (float), clockwise from the unturned top-left."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    t = math.radians(angle_of(box))
    c, s = math.cos(t), math.sin(t)
    local = np.array([[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]])
    return local @ np.array([[c, s], [-s, c]]) + (cx, cy)


def bounds(box: Sequence[float]) -> tuple[int, int, int, int]:
    """The smallest whole-pixel axis-aligned box that holds the turned box."""
    if angle_of(box) == 0:
        x0, y0, x1, y1 = box[:4]
        return (int(round(x0)), int(round(y0)), int(round(x1)), int(round(y1)))
    c = corners(box)
    x0, y0 = np.floor(c.min(axis=0) + 1e-6)
    x1, y1 = np.ceil(c.max(axis=0) - 1e-6)
    return (int(x0), int(y0), int(x1), int(y1))


# A turned box's corners may reach this far outside the photo (rounding in the editor).
SLACK = 1.0


def fits(box: Sequence[float], size: tuple[int, int]) -> bool:
    """Whether the turned box's corners lie inside a photo of `size` (within SLACK)."""
    c = corners(box)
    return bool(
        c.min() >= -SLACK
        and (c[:, 0] <= size[0] + SLACK).all()
        and (c[:, 1] <= size[1] + SLACK).all()
    )


def from_rect(cx: float, cy: float, w: float, h: float, angle: float) -> tuple:
    """A turned box in whole pixels from a centre, sides and angle (any range, as OpenCV's
    minAreaRect gives it); sides are swapped so that the turn is the smallest, in (-45, 45]."""
    a = normal_angle(angle)
    if a > 45:
        a, w, h = a - 90, h, w
    elif a <= -45:
        a, w, h = a + 90, h, w
    a = normal_angle(a)
    x0, y0 = int(round(cx - w / 2)), int(round(cy - h / 2))
    box = (x0, y0, max(x0 + 1, int(round(cx + w / 2))), max(y0 + 1, int(round(cy + h / 2))))
    return plain((*box, a))


# A turned box is given only where it holds less than this share of the axis-aligned box's
# area: a straight or nearly level tool keeps its plain box.
GAIN = 0.8


def of_points(
    xs: np.ndarray,
    ys: np.ndarray,
    size: tuple[int, int],
    *,
    scale: tuple[float, float] = (1.0, 1.0),
    axis: tuple[int, int, int, int] | None = None,
) -> tuple:
    """The box around pixels (their whole cells, `scale` photo pixels each): the smallest
    turned box if it fits the photo of `size` and saves area (GAIN) over the axis-aligned box
    (`axis`, else the pixels' own), else that one."""
    sx, sy = scale
    if axis is None:
        axis = (
            int(xs.min() * sx),
            int(ys.min() * sy),
            int(np.ceil((xs.max() + 1) * sx)),
            int(np.ceil((ys.max() + 1) * sy)),
        )
    pts = np.concatenate(
        [np.stack([(xs + dx) * sx, (ys + dy) * sy], axis=1) for dx in (0, 1) for dy in (0, 1)]
    ).astype(np.float32)
    (cx, cy), (w, h), a = cv2.minAreaRect(pts)
    box = from_rect(cx, cy, w, h, a)
    area = (box[2] - box[0]) * (box[3] - box[1])
    if not fits(box, size) or area > GAIN * (axis[2] - axis[0]) * (axis[3] - axis[1]):
        return axis
    return box


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two boxes, turned or not, by their areas as turned."""
    inter, _ = cv2.intersectConvexConvex(
        corners(a).astype(np.float32), corners(b).astype(np.float32)
    )
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0
