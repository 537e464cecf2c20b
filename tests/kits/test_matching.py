"""Matching a returned kit to the issued one, on the model's features of real photos."""

import numpy as np
from PIL import Image

from inference.kits import KitItem, match_kit

KIT = ["10_open_end_wrench_3_4", "1_screw_flat", "2_screw_plus", "5_safety_pliers"]


def test_it_pairs_each_tool_with_itself_on_another_background(single_tool):
    issued = [single_tool(t, "black") for t in KIT]
    order = [2, 0, 3, 1]  # returned in another order, photographed on wood
    returned = [single_tool(KIT[i], "wood") for i in order]

    result = match_kit(issued, returned)

    assert sorted((p.issued, order[p.returned]) for p in result.pairs) == [
        (0, 0),
        (1, 1),
        (2, 2),
        (3, 3),
    ]
    assert result.missing == [] and result.extra == []
    assert all(p.match >= 60 for p in result.pairs)


def test_it_reports_a_tool_that_did_not_come_back(single_tool):
    issued = [single_tool(t, "black") for t in KIT]
    returned = [single_tool(t, "rust") for t in KIT if t != "2_screw_plus"]

    result = match_kit(issued, returned)

    assert result.missing == [KIT.index("2_screw_plus")]
    assert len(result.pairs) == 3


def test_it_reports_a_tool_that_was_not_issued(single_tool, shared_photos):
    from inference.kit_eval import run_model

    issued = [single_tool(t, "black") for t in KIT]
    stranger = Image.open(shared_photos / "single" / "8_adjustable_wrench__paper.jpg").convert(
        "RGB"
    )
    probs, features = run_model(stranger, [(435, 210, 610, 600)])
    returned = [single_tool(t, "wood") for t in KIT] + [KitItem(features[0], probs[0])]

    result = match_kit(issued, returned)

    assert result.extra == [4]
    assert result.missing == []


def test_it_flags_a_tool_swapped_for_another_of_the_same_type(single_tool, shared_photos):
    from inference.kit_eval import run_model

    issued = [single_tool(t, "wood") for t in KIT]
    # another flat screwdriver (a different team's photo of a different physical tool)
    other = Image.open(shared_photos / "single" / "1_screw_flat__paper.jpg").convert("RGB")
    probs, features = run_model(other, [(0, 0, other.width, other.height)])
    returned = [single_tool(t, "black") for t in KIT]
    genuine = match_kit(issued, returned)
    returned[1] = KitItem(features[0], probs[0])

    swapped = match_kit(issued, returned)

    genuine_screwdriver = next(p.match for p in genuine.pairs if p.issued == 1)
    swapped_screwdriver = [p.match for p in swapped.pairs if p.issued == 1]
    # either no pair at all (below the floor: missing + extra) or a pair scoring far lower
    assert swapped_screwdriver == [] or swapped_screwdriver[0] < genuine_screwdriver - 15
    if not swapped_screwdriver:
        assert swapped.missing == [1] and swapped.extra == [1]


def test_it_lets_class_agreement_decide_between_two_close_candidates():
    rng = np.random.default_rng(0)
    wrench, screwdriver = rng.normal(size=512), rng.normal(size=512)
    between = wrench + screwdriver  # looks as much like one as the other
    probs = np.eye(11)
    issued = [KitItem(wrench, probs[9]), KitItem(screwdriver, probs[0])]
    # the returned screwdriver's feature leans towards the wrench, but its class is screwdriver
    returned = [
        KitItem(between + 0.2 * wrench, probs[0]),
        KitItem(wrench + 0.9 * screwdriver, probs[9]),
    ]

    result = match_kit(issued, returned, floor=0)

    assert {(p.issued, p.returned) for p in result.pairs} == {(0, 1), (1, 0)}


def test_it_handles_an_empty_return():
    issued = [KitItem(np.ones(512)), KitItem(-np.ones(512))]
    result = match_kit(issued, [])
    assert result.pairs == [] and result.missing == [0, 1] and result.extra == []


def test_it_says_whose_an_extra_tool_is(single_tool):
    from inference.kits import owners_of_extras

    mine = [single_tool("10_open_end_wrench_3_4", "black"), single_tool("5_safety_pliers", "black")]
    returned = [
        single_tool(t, "wood") for t in KIT
    ]  # the two screwdrivers are out to other engineers
    result = match_kit(mine, returned)
    assert result.extra == [1, 2]

    out_elsewhere = [
        ("petrov", single_tool("2_screw_plus", "rust")),
        ("ivanova", single_tool("1_screw_flat", "green")),
    ]
    owners = owners_of_extras([returned[i] for i in result.extra], out_elsewhere)

    assert [o.tool for o in owners] == ["ivanova", "petrov"]
