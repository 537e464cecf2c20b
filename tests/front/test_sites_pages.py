"""The pages for a user limited to one site's crib: lists, exports and labels hold only that
site's tools and what concerns them; another site's page is 404 when its address is guessed,
and a form posted to it changes nothing. In a real browser: the admin gives a user a site on
the user's page (audited), and that user's tools list shows only that site's tools."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.api.conftest import crib_state
from toolcrib.crib.models import AuditEvent, ReturnedTool, UserSite

pytestmark = pytest.mark.django_db


@pytest.fixture
def crib(two_site_crib):
    return two_site_crib


def text(response):
    assert response.status_code == 200, response.status_code
    return b"".join(response).decode() if response.streaming else response.content.decode()


def test_a_limited_user_sees_only_their_sites_tools_on_every_list(client, crib):
    client.force_login(crib.rix_qa)
    for path in ["/", "/tools/", "/issues/", "/labels/", "/calibration/?days=9999"]:
        page = text(client.get(path))
        assert "VNO-1" not in page and "VNO-2" not in page, path
    # The trail: no event of VNO's tools (a return an unlimited desk took of both sites' tools
    # is shown whole, with what it says of each).
    assert "RIX-1" in text(client.get("/audit/")) and "VNO-1" not in text(client.get("/audit/"))
    assert "RIX-1" in text(client.get("/tools/")) and "RIX-2" in text(client.get("/"))
    ivan = text(client.get(f"/engineers/{crib.engineer.pk}/"))
    assert "RIX-2" in ivan and "VNO-2" not in ivan
    the_return = text(client.get(f"/returns/{crib.the_return.pk}/"))
    assert "RIX-2" in the_return and "VNO-2" not in the_return
    rows = list(csv.reader(io.StringIO(text(client.get("/exports/tools.csv")).lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == ["RIX-1", "RIX-2"]
    issues = text(client.get("/exports/issues.csv"))
    assert "RIX-2" in issues and "VNO-2" not in issues


def test_a_mixed_site_return_is_counted_by_the_lines_a_user_sees(client, crib, crib_admin):
    # The return sent RIX-2 and VNO-2 to a recount: RIX's QA counts RIX's line only.
    client.force_login(crib.rix_qa)
    assert "1 to recount" in text(client.get("/returns/"))
    assert "2 to recount" not in text(client.get("/returns/"))
    client.force_login(crib_admin)
    assert "2 to recount" in text(client.get("/returns/"))


@pytest.mark.parametrize(
    "path",
    [
        lambda c: f"/tools/{c.v_free.pk}/",
        lambda c: f"/tools/{c.v_free.pk}/edit/",
        lambda c: f"/issues/{c.v_issue.pk}/",
        lambda c: f"/issues/{c.v_issue.pk}/report.json",
        lambda c: f"/crops/issued/{c.v_issue.tools.get().pk}.jpg",
        lambda c: f"/crops/returned/{c.v_line.pk}.jpg",
    ],
)
def test_another_sites_page_is_not_found(client, crib, crib_admin, path):
    UserSite.objects.create(user=crib_admin, site=crib.rix)  # the admin role, limited to RIX
    client.force_login(crib_admin)
    assert client.get(path(crib)).status_code == 404


def test_a_form_posted_to_another_sites_line_changes_nothing(client, crib):
    client.force_login(crib.rix_desk)
    before = crib_state()
    answer = client.post(f"/recounts/{crib.v_line.pk}/", {"found": "no", "reason": "guessed"})
    assert answer.status_code == 404
    answer = client.post(f"/returns/{crib.the_return.pk}/confirm/", {"line": [crib.v_line.pk]})
    assert answer.status_code == 302
    assert crib_state() == before
    assert ReturnedTool.objects.get(pk=crib.v_line.pk).decision == "recount_required"


@pytest.mark.browser
def test_the_admin_limits_a_user_to_a_site_and_they_see_only_its_tools(
    signed_in, live_server, crib, crib_admin, storekeeper
):
    page = signed_in(crib_admin)
    page.goto(live_server.url + "/users/")
    page.click(f"#users >> text={storekeeper.username}")
    assert page.locator("#site").inner_text() == "Works at every site."
    page.select_option("#site-form select[name=site]", label=str(crib.vno))
    page.click("#site-form button[type=submit]")
    page.wait_for_url(f"**/users/{storekeeper.pk}/")
    assert "stella is now limited to VNO Vilnius base." in page.locator(".msg-success").inner_text()
    assert page.locator("#site").inner_text().startswith("Limited to VNO Vilnius base")
    page.goto(live_server.url + "/users/")
    row = page.locator("#users tr", has_text="stella")
    assert row.locator(".site").inner_text() == "VNO"
    event = AuditEvent.objects.get(action="site changed", object_id=str(storekeeper.pk))
    assert (event.actor, event.after) == (crib_admin, {"site": "VNO"})

    page = signed_in(storekeeper)
    page.goto(live_server.url + "/tools/")
    expect(page.locator("header .site-limit")).to_have_text("VNO")
    assert page.locator("header .site-limit").get_attribute("title") == (
        "You see and work on VNO Vilnius base only"
    )
    numbers = page.locator("#tools tbody tr td:first-child").all_inner_texts()
    assert sorted(n.strip() for n in numbers) == ["VNO-1", "VNO-2"]
    answer = page.goto(live_server.url + f"/tools/{crib.r_free.pk}/")
    assert answer.status == 404


def test_the_django_admin_shows_a_limited_staff_user_only_their_site(client, crib, crib_admin):
    UserSite.objects.create(user=crib_admin, site=crib.rix)  # staff, the admin role, at RIX
    client.force_login(crib_admin)
    listed = text(client.get("/admin/crib/toolinstance/"))
    assert "RIX-1" in listed and "VNO-1" not in listed
    issued = text(client.get("/admin/crib/issuedtool/"))
    assert "RIX-2" in issued and "VNO-2" not in issued
    # A guessed address: Django's admin says it does not exist (a redirect, never a 500).
    answer = client.get(f"/admin/crib/toolinstance/{crib.v_free.pk}/change/")
    assert answer.status_code == 302
    assert "doesn’t exist" in text(client.get(answer.url))


def test_an_admin_limited_to_a_site_cannot_change_another_sites_user(
    client, crib, crib_admin, make_user
):
    from toolcrib.crib import people

    vera = make_user("vera", "storekeeper")
    people.set_site(vera, crib.vno, by=crib_admin)
    UserSite.objects.create(user=crib_admin, site=crib.rix)  # staff, the admin role, at RIX
    client.force_login(crib_admin)
    answer = client.post(f"/users/{vera.pk}/role/", {"role": "QA"}, follow=True)
    assert "vera works at VNO; you work at RIX" in text(answer)
    # The Django admin shows them read-only and refuses a posted change.
    page = text(client.get(f"/admin/auth/user/{vera.pk}/change/"))
    assert 'name="_save"' not in page
    form = {"username": "vera2", "is_active": "", "groups": [], "date_joined_0": "2026-01-01"}
    assert client.post(f"/admin/auth/user/{vera.pk}/change/", form).status_code == 403
    vera.refresh_from_db()
    assert (vera.username, vera.is_active, people.role_of(vera)) == ("vera", True, "storekeeper")
    # A user they add in the Django admin works at their site.
    new = {"username": "nina", "password1": "crib-pass-123!x", "password2": "crib-pass-123!x"}
    new["usable_password"] = "true"
    assert client.post("/admin/auth/user/add/", new).status_code == 302
    assert UserSite.objects.get(user__username="nina").site == crib.rix


@pytest.mark.browser
def test_the_users_page_refuses_a_limited_admin_another_sites_user(
    signed_in, live_server, crib, crib_admin, make_user
):
    from toolcrib.crib import people

    vera = make_user("vera", "storekeeper")
    people.set_site(vera, crib.vno, by=crib_admin)
    UserSite.objects.create(user=crib_admin, site=crib.rix)
    page = signed_in(crib_admin)
    page.goto(live_server.url + f"/users/{vera.pk}/")
    page.select_option("#role-form select[name=role]", "QA")
    page.click("#role-form button[type=submit]")
    page.wait_for_url(f"**/users/{vera.pk}/")
    expect(page.locator(".msg-error")).to_contain_text(
        "vera works at VNO; you work at RIX: only an admin of every site may change them"
    )
    expect(page.locator("#role")).to_have_text("storekeeper")
    vera.refresh_from_db()
    assert people.role_of(vera) == "storekeeper"


def test_a_limited_user_guessing_another_sites_photo_address_finds_nothing(
    client, crib, storekeeper, jpeg
):
    from toolcrib.crib import services
    from toolcrib.crib.models import Enrolment

    def photo(width, user=storekeeper):  # uploaded by a storekeeper of every site
        return services.store_photo(jpeg(width, 48), user=user)

    of = {
        name: photo(40 + i) for i, name in enumerate(["r_issue", "v_issue", "r_enrol", "v_enrol"])
    }
    crib.r_issue.photos.add(of["r_issue"])
    crib.v_issue.photos.add(of["v_issue"])
    for name, tool in [("r_enrol", crib.r_free), ("v_enrol", crib.v_free)]:
        enrolment = Enrolment(tool_instance=tool, photo=of[name])
        enrolment.box = (1, 1, 20, 20)
        enrolment.save()
    of["return"] = photo(60)
    crib.the_return.photos.add(of["return"])  # its lines hold both sites' tools
    of["own"] = photo(61, user=crib.rix_store)
    of["colleague"] = photo(62, user=crib.rix_desk)

    def status(user, name):
        client.force_login(user)
        return client.get("/media/" + of[name].image.name).status_code

    rix = {name: status(crib.rix_store, name) for name in of}
    assert rix == {
        "r_issue": 200,
        "v_issue": 404,
        "r_enrol": 200,
        "v_enrol": 404,
        "return": 200,
        "own": 200,
        "colleague": 200,
    }
    assert {status(storekeeper, name) for name in of} == {200}
    # The uploader reads their own upload, wherever it was used.
    crib.v_issue.photos.add(of["own"])
    crib.r_issue.photos.remove(of["r_issue"])
    assert status(crib.rix_store, "own") == 200
    assert status(crib.rix_qa, "r_issue") == 404
