"""At return the tool's own marking decides before the visual match: the real OCR reads the
lockwire pliers' etched AT-288293-6 in photos composed from ../shared/photos/single.

The submit never reads: a marking not read yet is queued for the marking reader, the line is
decided on the rest and waits (`marking_pending`); `marking_reader.drain()` is the reader's
own loop body (the real OCR, in this process), after which the marking decides the line."""

import pytest

from tests.conftest import need_model, need_shared_photos
from toolcrib.crib import marking_reader, recognition, services
from toolcrib.crib.models import AuditEvent, CribSettings, ReturnedTool, ToolInstance
from toolcrib.crib.services import ToolLine

pytestmark = pytest.mark.django_db
Decision = ReturnedTool.Decision
PLIERS, SCREW = "5_safety_pliers__black", "1_screw_flat__black"


@pytest.fixture
def issue_one(tool_factory, storekeeper, engineer):
    """Issue the tool numbered `number` from a photo of `photo_name` (the pliers by default)."""
    need_model(), need_shared_photos()
    from tests.kit_photos import single_photo

    def issue(number, photo_name=PLIERS, class_index=4):
        tool = tool_factory(number, class_index)
        data, box = single_photo(photo_name)
        photo = services.store_photo(data)
        services.issue_tools(
            engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(tool, photo, box)]
        )
        return tool

    return issue


def give_back(engineer, desk, photo_name=PLIERS, turns=2, *, read_first=False):
    """Return the tool from a photo; `read_first`: its marking read before the submit (the page's
    usual flow: the markings are read while the desk checks the boxes)."""
    from tests.kit_photos import single_photo

    data, box = single_photo(photo_name, turns)
    photo = services.store_photo(data)
    if read_first:
        recognition.recognise_photo(photo, [box], in_crib_only=False)
        marking_reader.drain()
    tool_return = services.return_tools(engineer=engineer, desk_user=desk, sightings=[(photo, box)])
    [line] = tool_return.tools.all()
    return line


def read_late(line):
    """The marking reader catches up; the line as it is then."""
    assert line.marking_pending and line.marking_check == ""
    assert "marking being read" in line.reason
    marking_reader.drain()
    line.refresh_from_db()
    assert not line.marking_pending
    return line


def test_the_issue_keeps_what_was_read_off_the_tool(issue_one):
    tool = issue_one("AT-288293-6")
    issued = tool.issued.get()
    # The submit did not read it: the reader does, and the issued tool keeps it.
    assert issued.marking_pending and issued.marking_text == ""
    assert marking_reader.drain() == 1
    issued.refresh_from_db()
    assert not issued.marking_pending
    assert (issued.marking_text, issued.marking_source, issued.marking_status) == (
        "AT-288293-6",
        "ocr",
        "read",
    )
    # Where the number is, in the photo's pixels: inside the tool's box.
    x0, y0, x1, y1 = issued.marking_box
    assert issued.x0 <= x0 < x1 <= issued.x1 and issued.y0 <= y0 < y1 <= issued.y1


def test_an_identical_tool_swapped_in_goes_to_a_recount(issue_one, tool_factory, engineer, desk):
    # Two lockwire pliers of one make: the engineer took AT-288293-5 and brings back AT-288293-6.
    taken = issue_one("AT-288293-5")
    tool_factory("AT-288293-6", 4)

    line = give_back(engineer, desk, read_first=True)

    # The model cannot tell them apart (the same tool's photo) ...
    assert line.match_percent >= CribSettings.current().recount_threshold
    # ... the marking can, at submit, when it was read before.
    assert not line.marking_pending
    assert line.decision == Decision.RECOUNT_REQUIRED
    assert "swapped: this is AT-288293-6, issued was AT-288293-5" in line.reason
    assert (line.marking_check, line.marking_text) == ("swapped", "AT-288293-6")
    taken.refresh_from_db()
    assert taken.status == ToolInstance.Status.ISSUED


def test_the_issued_number_read_accepts_whatever_the_match(issue_one, engineer, desk, crib_admin):
    issue_one("AT-288293-6")
    services.set_threshold(100, user=crib_admin)  # no visual match reaches 100 %

    line = give_back(engineer, desk, read_first=True)

    assert line.decision == Decision.ACCEPTED
    assert "verified by marking" in line.reason
    assert line.marking_check == "confirmed"
    assert ToolInstance.objects.get(inventory_number="AT-288293-6").status == "in_crib"


def test_a_number_of_no_tool_goes_to_a_recount(issue_one, engineer, desk):
    issue_one("AT-288293-5")

    line = read_late(give_back(engineer, desk))

    assert line.decision == Decision.RECOUNT_REQUIRED
    assert "unknown number AT-288293-6" in line.reason
    assert line.marking_check == "unknown_number"


def test_without_a_marking_the_visual_match_decides(issue_one, engineer, desk):
    issue_one("SCR-0001", SCREW, class_index=0)

    line = give_back(engineer, desk, SCREW, read_first=True)

    # The visual verdict: accepted or one click at the desk, never a recount for the right tool.
    assert line.decision in (Decision.ACCEPTED, Decision.CONFIRM_BY_EYE)
    assert line.marking_check == "not_read"
    assert "marking not read" in line.reason
    assert line.marking_text == ""


def test_a_swap_read_after_the_return_reopens_the_accepted_line_for_a_recount(
    issue_one, tool_factory, engineer, desk
):
    taken = issue_one("AT-288293-5")
    tool_factory("AT-288293-6", 4)

    line = give_back(engineer, desk)

    # Decided on the look alone (the same photo: accepted or one click), the marking pending.
    assert line.decision in (Decision.ACCEPTED, Decision.CONFIRM_BY_EYE)
    line = read_late(line)
    assert line.decision == Decision.RECOUNT_REQUIRED
    assert "swapped: this is AT-288293-6, issued was AT-288293-5" in line.reason
    assert "read after the return" in line.reason
    assert (line.marking_check, line.marking_text) == ("swapped", "AT-288293-6")
    # The engineer holds the issued tool again until the desk counts it.
    taken.refresh_from_db()
    assert taken.status == ToolInstance.Status.ISSUED
    assert line.issued_tool.closed_at is None
    event = AuditEvent.objects.filter(action="marking read").get()
    assert event.after["marking_check"] == "swapped" and event.actor is None
    # The desk sees it where it sees every recount, and decides it as usual.
    services.decide_recount(line, user=desk, found=False, reason="AT-288293-5 not brought back")
    taken.refresh_from_db()
    assert taken.status == ToolInstance.Status.LOST


def test_the_issued_number_read_after_the_return_accepts_a_line_waiting_for_the_desk(
    issue_one, engineer, desk, crib_admin
):
    tool = issue_one("AT-288293-6")
    services.set_threshold(100, user=crib_admin)  # no visual match reaches 100 %

    line = give_back(engineer, desk)

    assert line.decision in ReturnedTool.OPEN_DECISIONS  # the look alone does not accept it
    line = read_late(line)
    assert line.decision == Decision.ACCEPTED
    assert "marking confirms it (verified by marking" in line.reason
    assert line.marking_check == "confirmed"
    tool.refresh_from_db()
    assert tool.status == ToolInstance.Status.IN_CRIB


def test_nothing_read_after_the_return_leaves_the_visual_verdict(issue_one, engineer, desk):
    issue_one("SCR-0001", SCREW, class_index=0)

    line = give_back(engineer, desk, SCREW)
    decided = line.decision

    line = read_late(line)
    assert line.decision == decided
    assert line.marking_check == "not_read"
    assert "marking not read" in line.reason and "marking being read" not in line.reason
