"""A screwdriver's shaft, followed beyond its handle.

On a textured or grey table a shaft is 2-3 px wide in the proposer's working copy and close
to the table's colours, so the region found is often the handle alone and its box holds half
the tool (IoU under 0.5: the tool is not found). A shaft leaves the handle along its axis, so
it is looked for there, and only there: a thin straight line that stands out from the table on
both sides of it. Measured in docs/kits.md ("Following a shaft").
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

LONG = 2.5  # a region this many times longer than wide may be a handle
REACH = 1.6  # a shaft is looked for up to this many times the handle's length beyond it
LEAST = 0.15  # ... and taken when it runs at least this share of the handle's length
ALONG = 7  # colours averaged over this many px along the axis: a straight line adds up, grain
# and texture at other angles do not
LINE = 2.5  # the line differs from the table beside it by this many of the table's own spreads
FLOOR = 2.0  # colour levels added to that spread: a flat table's spread is near 0
GAP = 3  # px of a shaft that may be missing (a reflection) before it is taken to have ended


def follow(labels: np.ndarray, pixels: np.ndarray) -> dict[int, np.ndarray]:
    """The shaft found for each labelled region, as [n, 2] (x, y) points in `pixels`' grid.

    `labels`: the regions (1..n) on the working copy; `pixels`: its float RGB. A region gets
    a shaft only from its narrower end (where a handle meets its shaft; from the butt end a
    cutting mat's grid line would be taken), and only if the line ends on the table: one that
    runs on past any shaft (a grid line, a board's edge), into another region or out of the
    photo is not a shaft.
    """
    found = {}
    for k, where in enumerate(ndimage.find_objects(labels), start=1):
        if where is None:
            continue
        ys, xs = np.nonzero(labels[where] == k)
        points = np.stack([xs + where[1].start, ys + where[0].start], axis=1).astype(float)
        shaft = _shaft(points, k, labels, pixels)
        if shaft is not None:
            found[k] = shaft
    return found


def _shaft(points: np.ndarray, k: int, labels: np.ndarray, pixels: np.ndarray) -> np.ndarray | None:
    if len(points) < 10:
        return None
    centre = points.mean(axis=0)
    _, axes = np.linalg.eigh(np.cov((points - centre).T))
    along, across = axes[:, 1], axes[:, 0]
    t, o = (points - centre) @ along, (points - centre) @ across
    length = float(t.max() - t.min())
    half = max(2.0, float(np.percentile(np.abs(o), 95)))
    if length < LONG * 2 * half:
        return None
    # the narrower end, by the mean half-width over its last fifth
    tail = 0.2 * length
    wide_hi = np.abs(o[t > t.max() - tail]).mean()
    wide_lo = np.abs(o[t < t.min() + tail]).mean()
    sign, end = (1, t.max()) if wide_hi < wide_lo else (-1, t.min())

    reach = max(8, int(2 * half))  # offsets across the axis: the line and the table beside it
    offsets = np.arange(-reach, reach + 1)
    beside = np.abs(offsets) >= max(4, reach // 2)
    steps = end + sign * np.arange(1, int(REACH * length) + 1)
    qx = centre[0] + along[0] * steps[:, None] + across[0] * offsets[None, :]
    qy = centre[1] + along[1] * steps[:, None] + across[1] * offsets[None, :]
    h, w = labels.shape
    inside = (qx >= 0) & (qx <= w - 1) & (qy >= 0) & (qy <= h - 1)
    colours = np.stack(
        [
            ndimage.map_coordinates(pixels[..., c], [qy, qx], order=1, mode="nearest")
            for c in range(3)
        ],
        axis=-1,
    )
    colours = ndimage.uniform_filter1d(colours, ALONG, axis=0, mode="nearest")
    table = np.median(colours[:, beside], axis=1)
    distance = np.sqrt(((colours - table[:, None, :]) ** 2).sum(axis=-1))
    spread = 1.4826 * np.median(distance[:, beside], axis=1) + FLOOR
    z = distance / spread[:, None]
    owner = labels[
        np.clip(np.round(qy).astype(int), 0, h - 1), np.clip(np.round(qx).astype(int), 0, w - 1)
    ]

    at = reach  # the line's offset index: it may drift 1 px a step (the axis is an estimate)
    path: list[tuple[float, float]] = []
    missing = last = 0
    for i in range(len(steps)):
        if not inside[i, at]:
            return None
        lo, hi = max(0, at - 1), min(len(offsets), at + 2)
        j = lo + int(np.argmax(z[i, lo:hi]))
        if abs(offsets[j]) >= reach // 2 or owner[i, j] not in (0, k):
            return None  # drifted off the axis, or ran into another tool
        if z[i, j] >= LINE:
            at, missing, last = j, 0, i + 1
            path.append((qx[i, j], qy[i, j]))
        else:
            missing += 1
            if missing > GAP:
                break
    else:
        return None  # still running at the reach: a line across the table, not a shaft
    if last < LEAST * length:
        return None
    return np.array(path)
