"""A return submitted before its markings were read (real browser, real OCR): the result page
says which lines wait for their marking, and once the marking reader has read them the line
shows what the marking decided (here an identical pair of pliers swapped in: a recount)."""

import pytest
from playwright.sync_api import expect

from tests.kit_photos import single_photo
from toolcrib.crib import marking_reader, services
from toolcrib.crib.models import ToolInstance
from toolcrib.crib.services import ToolLine

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.photos]
PLIERS = "5_safety_pliers__black"


def test_the_return_page_shows_a_pending_marking_and_then_what_it_decided(
    signed_in, desk, storekeeper, engineer, tool_factory, live_server, reader
):
    reader.stop.set()  # the reader is held back: this return is submitted before it reads
    reader.thread.join(60)
    taken = tool_factory("AT-288293-5", 4)
    tool_factory("AT-288293-6", 4)  # the photo's pliers are etched AT-288293-6
    data, box = single_photo(PLIERS)
    services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[ToolLine(taken, services.store_photo(data), box)],
    )
    data, box = single_photo(PLIERS, 2)
    tool_return = services.return_tools(
        engineer=engineer, desk_user=desk, sightings=[(services.store_photo(data), box)]
    )

    page = signed_in(desk)
    page.goto(live_server.url + tool_return.get_absolute_url())
    expect(page.locator("#marking-pending")).to_contain_text("1 marking still being read")
    line = page.locator(".return-line", has_text="AT-288293-5")
    expect(line.locator(".marking")).to_have_text("Marking being read…")

    assert marking_reader.drain() == 2  # the issue photo's box and the return photo's
    page.reload()
    expect(page.locator("#marking-pending")).to_have_count(0)
    line = page.locator(".return-line[data-waiting=recount]", has_text="AT-288293-5")
    expect(line).to_contain_text("swapped: this is AT-288293-6, issued was AT-288293-5")
    expect(line).to_contain_text("read after the return")
    assert ToolInstance.objects.get(pk=taken.pk).status == ToolInstance.Status.ISSUED
