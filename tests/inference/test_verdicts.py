"""The three verdicts and their reasons in words (pure)."""

import itertools

import pytest

from inference import verdicts
from inference.verdicts import ACCEPTED, CONFIRM_BY_EYE, RECOUNT, decide


def verdict(**given):
    asked = {
        "probability": 0.95,
        "match": 93.0,
        "next_best": 41.0,
        "agree": 1,
        "read_type": None,
        "level": 0.9,
    }
    return decide(**{**asked, **given})


def test_it_accepts_the_same_type_clearly_above_the_rest_and_says_why():
    v = verdict()
    assert v.kind == ACCEPTED
    assert v.reason == "same type, 95 % likely the same tool (match 93.0 %, next best 41.0 %)"


@pytest.mark.parametrize(
    "given, why",
    [
        ({"probability": 0.8}, "below the accept level 90 %"),
        ({"agree": 0}, "type not read with certainty"),
        ({"next_best": 95.0}, "another tool the engineer holds matches as well"),
        ({"level": None}, "the crib's data cannot yet show the accepted risk is met"),
        ({"floor": 95.0}, "match below the raw floor 95.0 %"),
    ],
)
def test_it_asks_the_desk_to_look_when_plausible_but_not_sure(given, why):
    v = verdict(**given)
    assert v.kind == CONFIRM_BY_EYE and why in v.reason


def test_it_sends_a_tool_of_another_type_to_recount_with_what_it_looks_like():
    v = verdict(agree=-1, read_type="6_pliers", probability=0.1)
    assert v.kind == RECOUNT
    assert v.reason.startswith("type differs: returned looks like pliers (10 % likely")


def test_a_marking_decides_on_its_own():
    assert verdict(marking="confirmed", probability=0.01).kind == ACCEPTED
    contradicted = verdict(marking="contradicted", marking_note="reads AT-1, issued AT-2")
    assert contradicted.kind == RECOUNT
    assert contradicted.reason == "marking contradicts it (reads AT-1, issued AT-2)"


def test_a_tool_read_as_its_right_type_is_never_sent_to_recount():
    grid = itertools.product(
        [0.0, 0.1, 0.3, 0.6, 0.95, 1.0], [50.0, 70.0, 99.0], [None, 40.0, 99.5], [None, 0.5, 0.99]
    )
    for p, match, next_best, level in grid:
        v = decide(
            probability=p, match=match, next_best=next_best, agree=1, read_type=None, level=level
        )
        assert v.kind != RECOUNT
    # Read as another type but plausible: the reading may be the model's mistake.
    assert verdict(agree=-1, probability=verdicts.PLAUSIBLE).kind == CONFIRM_BY_EYE
