"""Feature similarity as the model's authors defined it: match % = (cosine + 1) / 2 * 100."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def l2_normalise(features: ArrayLike, axis: int = -1) -> np.ndarray:
    """Unit-length rows (float32); an all-zero row stays zero instead of becoming NaN."""
    f = np.asarray(features, dtype=np.float32)
    norm = np.linalg.norm(f, axis=axis, keepdims=True)
    return f / np.maximum(norm, np.float32(1e-12))


def percent_from_cosine(cosine: Any) -> Any:
    """The one formula: match % = (cosine + 1) / 2 * 100 (a float or an array of them)."""
    return (cosine + 1.0) / 2.0 * 100.0


def percent_from_distance(distance: float) -> float:
    """Match % from pgvector's cosine distance, which is 1 - cosine."""
    return percent_from_cosine(1.0 - distance)


def match_percent(f1: ArrayLike, f2: ArrayLike) -> float:
    """Match percentage of two features, 0..100 (100 = same direction)."""
    return percent_from_cosine(float(np.dot(l2_normalise(f1), l2_normalise(f2))))


def pairwise_match_percent(a: ArrayLike, b: ArrayLike | None = None) -> np.ndarray:
    """Match % of every row of `a` against every row of `b` (or of `a`): [len(a), len(b)]."""
    a = l2_normalise(np.atleast_2d(a))
    b = a if b is None else l2_normalise(np.atleast_2d(b))
    return percent_from_cosine(np.clip(a @ b.T, -1.0, 1.0))
