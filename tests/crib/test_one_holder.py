"""One holder per tool at a time: two storekeepers issuing the same tool at the same moment."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from toolcrib.crib import services
from toolcrib.crib.models import Engineer, Issue, IssuedTool, ToolInstance


def run_together(*calls):
    """Run each call in its own thread (so on its own database connection), all at once."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as e:
            results[i] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_simultaneous_issues_through(make_user, tool_factory):
    tool = tool_factory("AT-288293-6")
    a = Engineer.objects.create(badge_number="E1", name="Anna")
    b = Engineer.objects.create(badge_number="E2", name="Boris")
    s1, s2 = make_user("s1", "storekeeper"), make_user("s2", "storekeeper")

    results = run_together(
        lambda: services.issue_tools(engineer=a, storekeeper=s1, lines=[services.ToolLine(tool)]),
        lambda: services.issue_tools(engineer=b, storekeeper=s2, lines=[services.ToolLine(tool)]),
    )

    issued = [r for r in results if isinstance(r, Issue)]
    refused = [r for r in results if isinstance(r, services.ToolUnavailable)]
    assert len(issued) == 1 and len(refused) == 1, results
    assert "AT-288293-6 is already issued to" in str(refused[0])
    assert IssuedTool.objects.filter(tool_instance=tool, closed_at__isnull=True).count() == 1
    assert Issue.objects.count() == 1
    tool.refresh_from_db()
    assert tool.status == ToolInstance.Status.ISSUED


@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_second_open_holder_in_the_database_itself(make_user, tool_factory):
    # Two connections that bypass the services (as a script or a bug would) still cannot both hold it.
    tool = tool_factory("screwdriver-1234", class_index=0)
    storekeeper = make_user("s1", "storekeeper")
    engineers = [Engineer.objects.create(badge_number=f"E{i}", name=f"Eng {i}") for i in (1, 2)]
    issues = [Issue.objects.create(engineer=e, storekeeper=storekeeper) for e in engineers]
    hold_first_open = threading.Event()

    def insert(issue, wait):
        with transaction.atomic():
            IssuedTool.objects.create(issue=issue, tool_instance=tool, due_back=timezone.now())
            if wait:
                hold_first_open.set()
                threading.Event().wait(0.5)  # the other insert now waits on the unique index
        return "inserted"

    def second():
        hold_first_open.wait(5)
        return insert(issues[1], wait=False)

    results = run_together(lambda: insert(issues[0], wait=True), second)

    assert results[0] == "inserted"
    assert isinstance(results[1], IntegrityError) and "one_holder_per_tool" in str(results[1])
    assert IssuedTool.objects.filter(tool_instance=tool).count() == 1


@pytest.mark.django_db
def test_it_allows_a_new_holder_once_the_tool_is_back(make_user, tool_factory, engineer):
    tool = tool_factory("AT-1")
    storekeeper = make_user("s1", "storekeeper")
    first = services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(tool)]
    )
    IssuedTool.objects.filter(issue=first).update(closed_at=timezone.now())
    ToolInstance.objects.filter(pk=tool.pk).update(status=ToolInstance.Status.IN_CRIB)

    second = services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[services.ToolLine(tool)]
    )

    assert second.tools.get().tool_instance == tool
