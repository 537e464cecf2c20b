"""Each role sees only what it may do, and the server refuses the rest whatever the links say."""

import pytest
from django.urls import reverse

ROLES = ["storekeeper", "return desk", "admin", "QA"]
# The nav entries that depend on the role; everyone sees the dashboard, tools and engineers.
OWN_NAV = {
    "storekeeper": {"Issue"},
    "return desk": {"Return"},
    "admin": {"Settings", "Users"},
    "QA": set(),
}


def test_it_shows_each_role_only_its_own_pages(signed_in, make_user):
    for role in ROLES:
        page = signed_in(make_user(role.replace(" ", "-"), role))
        nav = set(page.locator("nav.mainnav a").all_inner_texts())
        assert nav & {"Issue", "Return", "Settings", "Users"} == OWN_NAV[role], role
        assert {"Dashboard", "Tools", "Engineers"} <= nav
        page.click("nav >> text=Tools")
        page.wait_for_url("**/tools/")
        assert (page.locator("#new-tool").count() == 1) == (role == "admin"), role


REFUSED = {
    "storekeeper": [
        ("get", "return-new"),
        ("post", "recount", 1),
        ("get", "crib-settings"),
        ("post", "tools"),
        ("post", "enrol", 1),
    ],
    "return desk": [
        ("get", "issue-new"),
        ("post", "issue-new"),
        ("post", "tool-types"),
        ("get", "crib-settings"),
    ],
    "admin": [("get", "issue-new"), ("get", "return-new"), ("post", "recount", 1)],
    "QA": [
        ("get", "issue-new"),
        ("get", "return-new"),
        ("post", "recount", 1),
        ("post", "engineers"),
        ("post", "crib-settings"),
    ],
}
ALLOWED = {
    "storekeeper": ["issue-new"],
    "return desk": ["return-new"],
    "admin": ["crib-settings", "tools", "users"],
    "QA": ["home", "tools", "engineers", "tool-types"],
}


@pytest.mark.parametrize("role", ROLES)
def test_it_refuses_what_the_role_may_not_do(client, make_user, role):
    client.force_login(make_user("someone", role))
    for method, name, *args in REFUSED[role]:
        response = getattr(client, method)(reverse(name, args=args))
        assert response.status_code == 403, (role, method, name)
    for name in ALLOWED[role]:
        assert client.get(reverse(name)).status_code == 200, (role, name)


def test_it_sends_strangers_to_the_login_page(client, db):
    for name in ["home", "issue-new", "return-new", "tools", "crib-settings"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
