"""Raw match -> calibrated probability -> the level for the admin's risk (pure, no model)."""

import numpy as np
import pytest

from inference import calibration as cal


def draw(rng, n_genuine, n_impostors):
    """Candidates whose true P(genuine | match, margin) is logistic: independent normal match
    and margin, equal spreads for genuine and impostors."""
    genuine = zip(rng.normal(84, 6, n_genuine), rng.normal(12, 8, n_genuine))
    impostors = zip(rng.normal(70, 6, n_impostors), rng.normal(-4, 8, n_impostors))
    candidates = [cal.Candidate(float(m), float(g), 1) for m, g in [*genuine, *impostors]]
    return candidates, [True] * n_genuine + [False] * n_impostors


def test_it_is_within_five_points_of_the_observed_rate_on_data_like_its_own():
    rng = np.random.default_rng(0)
    fitted = cal.Calibration.fit(*draw(rng, 3000, 6000))
    candidates, genuine = draw(rng, 3000, 6000)  # new data from the same desk

    deciles = cal.reliability(fitted.probability(candidates), genuine)

    assert len(deciles) == 10
    assert all(abs(d.predicted - d.observed) <= 5 for d in deciles if d.count >= 100)


def test_it_rises_with_the_match_the_margin_and_type_agreement():
    rng = np.random.default_rng(1)
    candidates, genuine = draw(rng, 500, 500)
    # Impostors read as another type half of the time: agreement carries information.
    candidates = [
        cal.Candidate(c.match, c.margin, 1 if g or i % 2 else -1)
        for i, (c, g) in enumerate(zip(candidates, genuine))
    ]
    fitted = cal.Calibration.fit(candidates, genuine)

    p = fitted.probability(
        [
            cal.Candidate(80, 5, 1),
            cal.Candidate(90, 5, 1),
            cal.Candidate(90, 20, 1),
            cal.Candidate(90, 20, -1),
        ]
    )

    assert p[0] < p[1] < p[2] and p[3] < p[2]
    assert fitted.from_dict(fitted.to_dict()).percent(candidates[0]) == pytest.approx(
        fitted.percent(candidates[0])
    )


def test_it_refuses_data_without_both_kinds():
    with pytest.raises(ValueError, match="both genuine and impostor"):
        cal.Calibration.fit([cal.Candidate(90, 10, 1)], [True])


def test_a_crib_with_few_cases_cannot_claim_a_low_risk_it_has_not_seen():
    rng = np.random.default_rng(2)
    few = draw(rng, 30, 30)
    many = draw(rng, 3000, 3000)
    fitted = cal.Calibration.fit(*many)

    # No impostor of 30 was accepted, but 0 of 30 does not show fewer than 20 per 1,000.
    assert cal.level_for_risk(cal.operating_points(fitted, *few), 20) is None
    point = cal.level_for_risk(cal.operating_points(fitted, *many), 20)
    assert point is not None and point.false_accepts_upper <= 20 and point.accepted > 0.5
    # A stricter risk costs more looks.
    strict = cal.level_for_risk(cal.operating_points(fitted, *many), 5)
    assert strict.probability >= point.probability and strict.accepted <= point.accepted


def test_it_builds_genuine_pairs_only_from_different_photos():
    def crop(tool, photo, vector):
        v = np.asarray(vector, float)
        return cal.Sighting(tool, "t" + tool, photo, v / np.linalg.norm(v), "t" + tool)

    crops = [
        crop("a", "p1", [1, 0, 0]),
        crop("a", "p2", [0.9, 0.1, 0]),
        crop("b", "p1", [0, 1, 0]),  # same photo as a's first: never held against it
        crop("b", "p3", [0.1, 0.9, 0]),
        crop("c", "p4", [0, 0, 1]),
    ]

    candidates, genuine = cal.events(crops)

    assert sum(genuine) == 4  # a and b, each photo against the other photo of the same tool
    # With its own tool taken away, the returned tool is paired with the closest other one.
    removed = [c for c, g in zip(candidates, genuine) if c.chosen and not g]
    assert removed and all(c.agree == -1 for c in removed)
    assert cal.accept_rate_at_far([c.match for c in candidates], genuine, 0.0)[0] == 1.0


def test_a_gallery_never_holds_the_returned_photo_and_every_held_tool_gets_as_many():
    from bench.cross_photo_gallery import RULES, gallery_events

    def crop(tool, photo, vector):
        v = np.asarray(vector, float)
        return cal.Sighting(tool, "t" + tool, photo, v / np.linalg.norm(v), None)

    returned = crop("a", "desk", [1, 0, 0, 0])
    crops = [
        returned,
        crop("a", "desk", [0, 0, 0, 1]),  # the returned photo itself: never in a gallery
        crop("a", "p1", [0.6, 0.8, 0, 0]),
        crop("a", "p2", [0.8, 0.6, 0, 0]),
        crop("a", "p3", [0.5, 0, 0.5, 0.7]),
        crop("b", "p1", [0.7, 0.7, 0.1, 0]),
        crop("b", "p4", [0.1, 0, 1, 0]),
        crop("c", "p5", [0, 1, 0, 0]),  # one photo only: not held when galleries have 2
    ]

    single, genuine = gallery_events(crops, queries=[returned], size=1, held_from=2, rounds=3)
    best, same = gallery_events(crops, queries=[returned], size=2, held_from=2, rounds=3)

    assert genuine == same  # the same pairs, scored two ways
    assert sum(genuine) == 3 and len(genuine) == 6  # a and b held (c has one photo), 3 rounds
    assert max(c.match for c in best) < 95  # the returned photo itself never matched
    # Round 0: a's gallery is p1 + p2 (its best is p2, 90 %), b's is p1 + p4; the margin
    # takes b's best over its own gallery too.
    assert best[0].match == pytest.approx((0.8 + 1) * 50)
    assert best[0].margin == pytest.approx(
        best[0].match - (0.7 / np.linalg.norm([0.7, 0.7, 0.1]) + 1) * 50
    )
    assert single[0].match == pytest.approx((0.6 + 1) * 50)
    with pytest.raises(ValueError):
        gallery_events(crops, size=3, held_from=2, rule=RULES["top-2 mean"])
