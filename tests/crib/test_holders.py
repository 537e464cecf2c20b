"""The return desk's engineer is filled in from the photo only when one engineer's tools
explain it clearly better than anyone else's."""

import pytest

from toolcrib.crib import services
from toolcrib.crib.holders import likely_holder
from toolcrib.crib.models import Engineer
from toolcrib.crib.recognition import InstanceCandidate, Suggestion
from toolcrib.crib.services import ToolLine


@pytest.fixture
def out(engineer, tool_factory, storekeeper):
    """Ivan holds AT-1 and AT-2, Anna holds AT-3 and AT-4; AT-5 is in the crib."""
    anna = Engineer.objects.create(badge_number="E3003", name="Anna Berg")
    tools = {n: tool_factory(n) for n in ("AT-1", "AT-2", "AT-3", "AT-4", "AT-5")}
    services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[ToolLine(tools["AT-1"]), ToolLine(tools["AT-2"])],
    )
    services.issue_tools(
        engineer=anna,
        storekeeper=storekeeper,
        lines=[ToolLine(tools["AT-3"]), ToolLine(tools["AT-4"])],
    )
    return tools, anna


def boxes(tools, *nearest):
    """Suggestion boxes whose nearest enrolled tools are these (best first per box)."""
    return [
        Suggestion(
            box=(0, 0, 10, 10),
            confidence=1.0,
            instances=[InstanceCandidate(tools[n].pk, n, 97.0 - i) for i, n in enumerate(names)],
        )
        for names in nearest
    ]


def test_it_names_the_engineer_whose_tools_the_photo_shows(out, engineer):
    tools, anna = out
    assert likely_holder(boxes(tools, ["AT-3", "AT-1"], ["AT-4", "AT-2"])) == anna
    assert likely_holder(boxes(tools, ["AT-1"], ["AT-2"], ["AT-5"])) == engineer


def test_it_asks_when_the_photo_is_not_clearly_one_engineers(out):
    tools, _ = out
    # One of each: Anna's tool looking a little like Ivan's is not enough to say Ivan.
    assert likely_holder(boxes(tools, ["AT-1", "AT-3"], ["AT-3", "AT-1"])) is None
    # Two to one is not clear either.
    assert likely_holder(boxes(tools, ["AT-1"], ["AT-2"], ["AT-3"], ["AT-5"])) is None
    # Mostly tools nobody holds.
    assert likely_holder(boxes(tools, ["AT-1"], ["AT-5"], ["AT-5"])) is None
    assert likely_holder(boxes(tools, [], [])) is None


def test_tools_that_nobody_holds_name_nobody(out):
    tools, _ = out
    # Every nearest tool is in the crib: no votes at all (this once answered with a 500).
    assert likely_holder(boxes(tools, ["AT-5"])) is None


def test_the_tool_a_marking_names_speaks_for_its_holder_over_the_look(out, engineer):
    from toolcrib.crib.markings import Named

    tools, _ = out
    [box] = boxes(tools, ["AT-3"])  # looks most like Anna's AT-3 ...
    box.named = Named("confirmed", "AT-1", "marking AT-1 read", None, tools["AT-1"].pk, "AT-1")
    assert likely_holder([box]) == engineer  # ... but its marking reads Ivan's AT-1
