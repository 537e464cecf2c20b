"""QA finds past issues and returns by engineer, tool, date and outcome, reads the audit trail
in the browser, and finds tools by who holds them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from toolcrib.crib import services
from toolcrib.crib.models import Engineer, ReturnedTool
from toolcrib.crib.services import ToolLine


@pytest.fixture
def records(engineer, tool_factory, storekeeper, desk):
    olga = Engineer.objects.create(badge_number="E2002", name="Olga Smirnova")
    pliers, wrench, spanner = (
        tool_factory("AT-1001"),
        tool_factory("AT-1002"),
        tool_factory("AT-2001"),
    )
    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(pliers), ToolLine(wrench)]
    )
    services.issue_tools(engineer=olga, storekeeper=storekeeper, lines=[ToolLine(spanner)])
    tool_return = services.return_tools(engineer=engineer, desk_user=desk, sightings=[])
    lost = tool_return.tools.get(issued_tool__tool_instance=pliers)
    services.decide_recount(lost, user=desk, found=False, reason="not in the kit")
    found = tool_return.tools.get(issued_tool__tool_instance=wrench)
    services.decide_recount(found, user=desk, found=True, reason="on the shadow board")
    return olga


def rows(page, table):
    return page.locator(f"#{table} tbody tr").all_inner_texts()


def test_it_lists_past_issues_and_returns_with_filters(signed_in, qa, records, live_server):
    page = signed_in(qa)
    page.click("nav >> text=History")
    assert len(rows(page, "issues")) == 2

    page.fill("#filters input[name=engineer]", "Olga")
    page.click("#filters >> text=Filter")
    [only] = rows(page, "issues")
    assert "Olga Smirnova" in only and "1 out" in only

    page.fill("#filters input[name=engineer]", "")
    page.fill("#filters input[name=tool]", "AT-1002")
    page.click("#filters >> text=Filter")
    [only] = rows(page, "issues")
    assert "Ivan Petrov" in only and "1 lost" in only

    page.fill("#filters input[name=tool]", "")
    page.select_option("#filters select[name=outcome]", label="A tool lost")
    page.click("#filters >> text=Filter")
    assert len(rows(page, "issues")) == 1 and "Ivan Petrov" in rows(page, "issues")[0]

    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    page.goto(live_server.url + f"/issues/?until={yesterday}")
    assert rows(page, "issues") == ["No issues match."]

    page.click(".tabs >> text=Returns")
    page.select_option("#filters select[name=outcome]", ReturnedTool.Decision.MISSING)
    page.click("#filters >> text=Filter")
    [only] = rows(page, "returns")
    assert "1 missing" in only and "1 recounted" in only
    page.select_option("#filters select[name=outcome]", ReturnedTool.Decision.EXTRA)
    page.click("#filters >> text=Filter")
    assert rows(page, "returns") == ["No returns match."]


def test_qa_reads_the_audit_trail_in_the_browser(signed_in, qa, records):
    page = signed_in(qa)
    page.click("nav >> text=History")
    page.click(".tabs >> text=Audit trail")
    everything = len(rows(page, "audit"))
    page.select_option("#filters select[name=action]", "recount")
    page.click("#filters >> text=Filter")
    recounts = rows(page, "audit")
    assert len(recounts) == 2 < everything
    assert any("not in the kit" in row and "rita" in row for row in recounts)


def test_it_finds_tools_by_who_holds_them(signed_in, qa, records):
    page = signed_in(qa)
    page.click("nav >> text=Tools")
    page.fill("input[name=q]", "Olga")
    page.click("text=Find")
    [only] = rows(page, "tools")
    assert "AT-2001" in only and "Olga Smirnova (E2002)" in only
    page.fill("input[name=q]", "E2002")
    page.click("text=Find")
    assert len(rows(page, "tools")) == 1
