"""The busy lists cost the same number of queries for one tool out as for many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from toolcrib.crib import services
from toolcrib.crib.services import ToolLine


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["home", "engineer", "tools", "engineers", "issue"])
def test_it_does_not_query_per_row(client, qa, storekeeper, engineer, tool_factory, page):
    client.force_login(qa)

    def url():
        issue = engineer.issues.first()  # the newest: one tool, then five
        args = {"engineer": [engineer.pk], "issue": [issue.pk] if issue else None}.get(page)
        return reverse(page, args=args)

    services.issue_tools(
        engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(tool_factory("AT-0"))]
    )
    one = queries(client, url())
    services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[ToolLine(tool_factory(f"AT-{n}")) for n in range(1, 6)],
    )
    assert queries(client, url()) == one
