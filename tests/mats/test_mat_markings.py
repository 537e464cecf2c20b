"""A tool's marking decides its slot, as on a photo return: the real etched open-end wrench
(../shared/photos/single, AT-288293-5) laid on a printed A3 mat and photographed, read by
the real OCR. In its own slot its number confirms it; in another wrench's slot it is that
slot's wrong tool, verified as itself, and the slot's own tool goes to a recount."""

import dataclasses

import numpy as np
import pytest

from tests.conftest import need_model, need_shared_photos
from toolcrib.crib.models import ReturnedTool, ToolInstance, ToolType
from toolcrib.mats import services

pytestmark = [pytest.mark.photos, pytest.mark.model]
WRENCH = "10_open_end_wrench_3_4"
ETCHED = "single/10_open_end_wrench_3_4__black.jpg"  # etched AT-288293-5
PLAIN = "catalog/10_open_end_wrench_3_4.jpg"  # no number on it


@pytest.fixture
def wrench_mat(db, crib_admin):
    need_shared_photos(), need_model()
    from inference.recognise import CLASS_NAMES

    wrench = ToolType.objects.get(model_class_index=CLASS_NAMES.index(WRENCH))
    etched = ToolInstance.objects.create(inventory_number="AT-288293-5", tool_type=wrench)
    plain = ToolInstance.objects.create(inventory_number="WR-0002", tool_type=wrench)
    return services.save_template(
        name="Wrenches",
        paper="A3",
        slots=[
            services.SlotSpec("1", wrench, 170, 100, 212, 60, 0, etched),
            services.SlotSpec("2", wrench, 170, 200, 212, 60, 0, plain),
        ],
        user=crib_admin,
    )


def mat_photo(template, tools, seed) -> bytes:
    """The printed mat with these cut-outs in slots 1 and 2, 12 MP, 10 degrees of tilt; drawn
    at 8 px/mm, about what a 12 MP photo of an A3 sheet sees, so the etching stays legible."""
    from bench import mat_photos

    printed = template.as_template()  # the bench knows tools by the model's class names
    slots = tuple(dataclasses.replace(s, tool_type=WRENCH) for s in printed.slots)
    rng = np.random.default_rng(seed)
    canvas = mat_photos.lay_tools(
        dataclasses.replace(printed, slots=slots), tools, rng, px_per_mm=8.0
    )
    return mat_photos.photograph(canvas, rng, tilt=10.0)


def test_a_slots_marking_confirms_its_tool_or_says_which_tool_lies_there(
    wrench_mat, engineer, storekeeper, desk, client
):
    issue = services.issue_on_mat(
        engineer=engineer, storekeeper=storekeeper, data=mat_photo(wrench_mat, [ETCHED, PLAIN], 1)
    )
    rows = {r["slot"]: r for r in services.slot_rows(issue.mat_reading)}
    assert (rows["1"]["state"], rows["1"]["marking"], rows["1"]["marking_check"]) == (
        "present",
        "AT-288293-5",
        "confirmed",
    )
    assert rows["2"]["state"] == "present" and rows["2"]["marking_check"] in (None, "not_read")
    assert issue.tools.count() == 2

    # Back with the two wrenches in each other's slots: they look alike, the marking tells.
    tool_return = services.return_on_mat(
        engineer=engineer, desk_user=desk, data=mat_photo(wrench_mat, [PLAIN, ETCHED], 2)
    )

    rows = {r["slot"]: r for r in services.slot_rows(tool_return.mat_reading)}
    assert (rows["2"]["state"], rows["2"]["seen_tool"], rows["2"]["marking_check"]) == (
        "wrong",
        "AT-288293-5",
        "swapped",
    )
    assert rows["1"]["state"] == "wrong"  # its own tool was read in slot 2
    etched = tool_return.tools.get(issued_tool__tool_instance__inventory_number="AT-288293-5")
    assert etched.decision == ReturnedTool.Decision.ACCEPTED
    assert etched.marking_check == "confirmed"
    assert ToolInstance.objects.get(inventory_number="AT-288293-5").status == "in_crib"
    plain = tool_return.tools.get(issued_tool__tool_instance__inventory_number="WR-0002")
    assert plain.decision == ReturnedTool.Decision.RECOUNT_REQUIRED
    assert plain.reason == "another tool lies in its slot (2) on the kit mat"
    [extra] = tool_return.tools.filter(decision="extra")
    assert extra.reason.startswith("lies in slot 1 of the kit mat, where AT-288293-5 belongs")

    client.force_login(desk)
    page = client.get(tool_return.mat_reading.get_absolute_url()).content.decode()
    assert 'AT-288293-5 <span class="tag marking-swapped">another tool\'s marking' in page
