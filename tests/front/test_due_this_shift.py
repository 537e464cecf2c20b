"""The dashboard lists the tools due back before the shift ends and still out."""

from datetime import timedelta

from toolcrib.crib import dashboard, services
from toolcrib.crib.services import ToolLine


def test_it_lists_what_is_due_back_this_shift_and_still_out(
    signed_in, qa, engineer, tool_factory, storekeeper, settings
):
    settings.TOOLCRIB_SHIFT_CHANGES = ["06:00", "14:00", "22:00"]
    end = dashboard.shift_end()
    soon, later, back = tool_factory("AT-1"), tool_factory("AT-2"), tool_factory("AT-3")
    services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[ToolLine(soon), ToolLine(back)],
        due_back=end - timedelta(minutes=30),
    )
    services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[ToolLine(later)],
        due_back=end + timedelta(hours=2),
    )
    # AT-3 came back already (found at a recount); AT-1 waits for its recount: still out.
    tool_return = services.return_tools(engineer=engineer, desk_user=storekeeper, sightings=[])
    services.decide_recount(
        tool_return.tools.get(issued_tool__tool_instance=back),
        user=storekeeper,
        found=True,
        reason="on the shadow board",
    )

    page = signed_in(qa)
    due = page.locator("#due-this-shift-list tbody tr").all_inner_texts()
    assert len(due) == 1 and "AT-1" in due[0] and "Ivan Petrov" in due[0]
    assert f"shift ends {end:%H:%M}" in page.locator("#due-this-shift").inner_text()
