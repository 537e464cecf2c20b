"""A close-up of an undecided return line's tool: its marking read decides the line (real OCR on
a crop of the real lockwire pliers' etched AT-288293-6), in the service and on the return page."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from tests.front.conftest import sign_in
from toolcrib.crib import services
from toolcrib.crib.models import AuditEvent, Photo, ReturnedTool, ToolInstance
from toolcrib.crib.services import CribError, ToolLine

# Where the number is etched on the pliers in the shared photo (bench/marking_boxes.csv), with
# a margin: what a phone held over the number sees.
NUMBER = (556, 334, 710, 426)


@pytest.fixture
def close_up(photos_dir):
    def make(name="5_safety_pliers__black.jpg"):
        image = Image.open(Path(photos_dir) / "single" / name).convert("RGB").crop(NUMBER)
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=92)
        return buf.getvalue()

    return make


@pytest.fixture
def waiting_line(storekeeper, desk, engineer, tool_factory):
    """A return line waiting for a recount: `number` issued without a photo, returned without."""

    def make(number):
        tool = ToolInstance.objects.filter(inventory_number=number).first() or tool_factory(number)
        services.issue_tools(engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(tool)])
        tool_return = services.return_tools(engineer=engineer, desk_user=desk, sightings=[])
        line = tool_return.tools.get(issued_tool__tool_instance=tool)
        assert line.decision == ReturnedTool.Decision.RECOUNT_REQUIRED
        return line

    return make


def media_files():
    return sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def test_a_close_up_that_reads_the_issued_number_accepts_the_tool(desk, waiting_line, close_up):
    line = waiting_line("AT-288293-6")
    line, check = services.read_close_up(line, close_up(), user=desk)
    assert line.decision == ReturnedTool.Decision.ACCEPTED
    assert (line.marking_check, line.marking_text, line.marking_source) == (
        "confirmed",
        "AT-288293-6",
        "ocr",
    )
    assert line.reason.startswith("marking confirms it (verified by marking")
    assert line.close_up is not None and line.decided_by == desk
    assert line.issued_tool.tool_instance.status == ToolInstance.Status.IN_CRIB
    event = AuditEvent.objects.get(action="close-up read")
    assert event.after["marking_check"] == "confirmed"


def test_a_close_up_of_another_tools_number_sends_the_line_to_a_recount(
    desk, waiting_line, close_up, tool_factory
):
    tool_factory("AT-288293-6")  # the etched number in the close-up: another tool of the crib
    line = waiting_line("AT-288293-5")
    line, check = services.read_close_up(line, close_up("5_safety_pliers__wood.jpg"), user=desk)
    assert line.decision == ReturnedTool.Decision.RECOUNT_REQUIRED
    assert line.marking_check == "swapped"
    assert "swapped: this is AT-288293-6, issued was AT-288293-5" in line.reason
    assert line.issued_tool.tool_instance.status == ToolInstance.Status.ISSUED


def test_a_close_up_that_reads_nothing_changes_nothing(desk, waiting_line, jpeg):
    line = waiting_line("AT-288293-6")
    photos, files = Photo.objects.count(), media_files()
    with pytest.raises(CribError, match="The close-up of AT-288293-6 decides nothing"):
        services.read_close_up(line, jpeg(400, 300), user=desk)
    with pytest.raises(CribError, match="not an image"):
        services.read_close_up(line, b"not a picture", user=desk)
    line.refresh_from_db()
    assert line.decision == ReturnedTool.Decision.RECOUNT_REQUIRED and line.close_up is None
    assert Photo.objects.count() == photos and media_files() == files
    assert not AuditEvent.objects.filter(action="close-up read").exists()


def test_a_decided_line_takes_no_close_up(desk, waiting_line, close_up):
    line = waiting_line("AT-288293-6")
    services.decide_recount(line, user=desk, found=True, reason="on the shadow board")
    with pytest.raises(CribError, match="already decided"):
        services.read_close_up(line, close_up(), user=desk)


def test_the_desk_takes_a_close_up_and_the_etched_number_accepts_the_tool(
    page, live_server, desk, waiting_line, close_up, tmp_path
):
    line = waiting_line("AT-288293-6")
    picture = tmp_path / "close-up.jpg"
    picture.write_bytes(close_up())
    sign_in(page, live_server, desk)
    page.goto(live_server.url + line.tool_return.get_absolute_url())
    card = page.locator(".return-line", has_text="AT-288293-6")
    assert "a close-up of its number or label decides this line" in card.inner_text()

    # A close-up of nothing: said, and the line waits as before.
    blank = tmp_path / "blank.jpg"
    Image.new("RGB", (400, 300), (200, 200, 190)).save(blank)
    card.locator("input[name=close_up]").set_input_files(str(blank))
    with page.expect_navigation():
        card.locator("text=Read the close-up").click()
    assert "decides nothing" in page.locator(".msg-error").inner_text()
    assert "recount required" in card.inner_text()

    card.locator("input[name=close_up]").set_input_files(str(picture))
    with page.expect_navigation():
        card.locator("text=Read the close-up").click()
    assert "back in the crib" in page.locator(".msg-success").inner_text()
    text = card.inner_text()
    assert "accepted" in text and "Marking read: AT-288293-6" in text
    assert "marking confirms it (verified by marking" in text and "on a close-up" in text
    assert card.locator("a", has_text="Close-up").count() == 1
    assert card.locator("form.close-up").count() == 0
    assert ToolInstance.objects.get(inventory_number="AT-288293-6").status == "in_crib"
