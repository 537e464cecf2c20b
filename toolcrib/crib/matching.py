"""Returned tools to held tools: an optimal one-to-one assignment on feature similarity."""

import numpy as np
from scipy.optimize import linear_sum_assignment


def match_percent_matrix(a: list, b: list) -> np.ndarray:
    """(cosine + 1) / 2 x 100 for every pair; NaN where either side has no feature."""
    out = np.full((len(a), len(b)), np.nan, dtype=np.float64)
    ia = [i for i, f in enumerate(a) if f is not None]
    ib = [j for j, f in enumerate(b) if f is not None]
    if ia and ib:
        fa = np.stack([np.asarray(a[i], dtype=np.float64) for i in ia])
        fb = np.stack([np.asarray(b[j], dtype=np.float64) for j in ib])
        fa /= np.linalg.norm(fa, axis=1, keepdims=True) + 1e-12
        fb /= np.linalg.norm(fb, axis=1, keepdims=True) + 1e-12
        out[np.ix_(ia, ib)] = (fa @ fb.T + 1) / 2 * 100
    return out


def assign(returned: list, held: list) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Pairs (returned index, held index) that maximise total similarity, and the % matrix."""
    percent = match_percent_matrix(returned, held)
    if percent.size == 0:
        return [], percent
    cost = np.where(np.isnan(percent), 1e6, -percent)
    rows, cols = linear_sum_assignment(cost)
    return [(r, c) for r, c in zip(rows, cols) if not np.isnan(percent[r, c])], percent
