"""Match % as the model's authors defined it."""

from __future__ import annotations

import numpy as np
import pytest

from inference.similarity import l2_normalise, match_percent, pairwise_match_percent


def test_it_gives_100_for_the_same_direction_50_for_orthogonal_0_for_opposite():
    f = np.array([3.0, 4.0, 0.0])
    assert match_percent(f, 2 * f) == pytest.approx(100.0)
    assert match_percent(f, np.array([-4.0, 3.0, 0.0])) == pytest.approx(50.0)
    assert match_percent(f, -f) == pytest.approx(0.0)


def test_pairwise_agrees_with_one_pair_at_a_time():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(4, 512)), rng.normal(size=(6, 512))
    table = pairwise_match_percent(a, b)
    assert table.shape == (4, 6)
    assert table[2, 5] == pytest.approx(match_percent(a[2], b[5]), abs=1e-4)
    assert np.allclose(np.diag(pairwise_match_percent(a)), 100.0, atol=1e-4)


def test_l2_normalise_leaves_a_zero_feature_at_zero():
    out = l2_normalise(np.array([[0.0, 0.0], [3.0, 4.0]]))
    assert np.array_equal(out[0], [0, 0]) and np.allclose(out[1], [0.6, 0.8])
