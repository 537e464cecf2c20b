"""Lists cost a fixed number of queries, however many records they show (pinned here)."""

import pytest

from toolcrib.crib import services

pytestmark = pytest.mark.django_db

# Every request: the token with its user, then the user's and their groups' permissions.
SIGN_IN = 3
# A page: its count, its rows.
PAGE = 2
# Lists a site limits: which site the user is limited to, if any (toolcrib/crib/sites.py).
SITE = 1

LISTS = {
    "/api/tool-types/": 0,
    "/api/tool-instances/": SITE + 1,  # + the open issued records (holders) with their engineers
    "/api/engineers/": SITE,  # held tools are aggregated in the same query
    "/api/photos/": SITE,
    "/api/enrolments/": SITE,
    "/api/issues/": SITE + 1,  # + the issued tools
    "/api/returns/": SITE + 2,  # + the return lines, + the tools still out
    "/api/returned-tools/": SITE,
    "/api/audit-events/": SITE,
    "/api/tokens/": 0,
}


def more_of_everything(crib, tool_factory, storekeeper, desk, make_user, jpeg, round_):
    tools = [tool_factory(f"R{round_}-{i}") for i in range(3)]
    from toolcrib.crib.models import Engineer, Enrolment

    engineer = Engineer.objects.create(badge_number=f"R{round_}", name=f"Engineer {round_}")
    photo = services.store_photo(jpeg(320, 240))
    for tool in tools:
        enrolment = Enrolment(tool_instance=tool, photo=photo)
        enrolment.box = (0, 0, 100, 100)
        enrolment.save()
    services.issue_tools(
        engineer=engineer,
        storekeeper=storekeeper,
        lines=[services.ToolLine(t, photo, (0, 0, 50 + i, 50)) for i, t in enumerate(tools)],
    )
    services.return_tools(engineer=engineer, desk_user=desk, sightings=[], ends="shift")
    from rest_framework.authtoken.models import Token

    Token.objects.create(user=make_user(f"scanner-{round_}"))


@pytest.mark.parametrize("url, extra", LISTS.items(), ids=list(LISTS))
def test_it_lists_in_a_fixed_number_of_queries(
    api,
    crib,
    qa,
    crib_admin,
    tool_factory,
    storekeeper,
    desk,
    make_user,
    jpeg,
    django_assert_num_queries,
    url,
    extra,
):
    client = api(crib_admin if url == "/api/tokens/" else qa)
    for round_ in (1, 2):
        more_of_everything(crib, tool_factory, storekeeper, desk, make_user, jpeg, round_)
        with django_assert_num_queries(SIGN_IN + PAGE + extra):
            response = client.get(url)
        assert response.status_code == 200 and response.json()["count"] > 0
