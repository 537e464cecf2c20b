"""Coping with tools lying in any orientation: the model is not rotation-invariant.

- ``tta``: each 112x112 input is also fed rotated by 90, 180 and 270 degrees, in the
  same session.run; probabilities and unit-length features are averaged.
- ``canonical``: before padding, each crop is turned so the tool's principal axis
  (PCA of its foreground pixels; foreground = differs from the border colour) is
  horizontal, and cropped again to the tool. Its 0/180 ambiguity is left as is.

Which one is the default was decided by measurement: see bench/rotation.py and
docs/inference.md.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from . import config
from .similarity import l2_normalise

MODES = config.ROTATION_MODES
DEFAULT_MODE = config.DEFAULT_ROTATION

_FOREGROUND_DIFF = 40  # max channel difference from the border colour that counts as tool
_PCA_SIDE = 256  # the axis is estimated on a copy this size at most
_MIN_FOREGROUND = 0.005  # fraction of pixels; below this the crop is left alone
_WORK_SIDE = 4 * 112  # crops are shrunk to this before turning: the model sees 112 px anyway


def rotation_mode(value: str | None = None) -> str:
    """`value` if given, else TOOLCRIB_ROTATION (inference/config.py)."""
    if value is None:
        return config.from_environ().rotation
    mode = value.strip().lower()
    if mode not in MODES:
        raise ValueError(f"rotation mode {mode!r}: expected one of {', '.join(MODES)}")
    return mode


def tta_batch(crops: np.ndarray) -> np.ndarray:
    """[n,112,112,3] -> [4n,...]: all crops at 0, 90, 180, 270 degrees (rotation-major)."""
    return np.concatenate([np.rot90(crops, k, axes=(1, 2)) for k in range(4)])


def tta_combine(
    p: np.ndarray | None, feature: np.ndarray, n: int
) -> tuple[np.ndarray | None, np.ndarray]:
    """Average the four rotations of each crop back to n results."""
    f = l2_normalise(feature).reshape(4, n, -1).mean(axis=0)
    return (None if p is None else p.reshape(4, n, -1).mean(axis=0)), l2_normalise(f)


def _border_colour(a: np.ndarray) -> np.ndarray:
    return np.median(np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]]), axis=0)


def _foreground(a: np.ndarray) -> np.ndarray:
    background = _border_colour(a)
    mask = np.zeros(a.shape[:2], bool)
    for c in range(3):  # channel by channel: much faster than a reduction over a length-3 axis
        mask |= np.abs(a[..., c].astype(np.int16) - int(background[c])) > _FOREGROUND_DIFF
    return mask


def principal_angle(image: Image.Image) -> float | None:
    """Angle in degrees (counter-clockwise as seen) of the foreground's principal axis."""
    small = image.copy()
    small.thumbnail((_PCA_SIDE, _PCA_SIDE))
    mask = _foreground(np.asarray(small))
    if mask.mean() < _MIN_FOREGROUND:
        return None
    ys, xs = np.nonzero(mask)
    cov = np.cov(np.stack([xs, ys]).astype(np.float64))
    vx, vy = np.linalg.eigh(cov)[1][:, -1]
    # Image y grows downwards, so the axis as seen is at -atan2(vy, vx).
    return float(-np.degrees(np.arctan2(vy, vx)))


def canonicalise(image: Image.Image) -> Image.Image:
    """Turn an RGB crop so the tool lies horizontally, cropped back to the tool."""
    if max(image.size) > _WORK_SIDE:
        image = image.copy()
        image.thumbnail((_WORK_SIDE, _WORK_SIDE), Image.Resampling.BICUBIC)
    angle = principal_angle(image)
    if angle is None:
        return image
    fill = tuple(int(v) for v in _border_colour(np.asarray(image)))
    # PIL turns counter-clockwise for a positive angle: turn back by the axis angle.
    turned = image.rotate(-angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
    box = Image.fromarray(_foreground(np.asarray(turned))).getbbox()
    return turned.crop(box) if box else turned
