"""The API for a user limited to one site's crib: lists hold only that site's records, another
site's record is 404 (also when its id is guessed), and writes on another site's tools are
refused with the reason, changing nothing."""

import pytest

from tests.api.conftest import crib_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def crib(two_site_crib):
    return two_site_crib


def listed(client, url, key):
    answer = client.get(url)
    assert answer.status_code == 200, answer.content
    return sorted(str(item[key]) for item in answer.json()["results"])


def test_it_lists_only_the_users_sites_records(api, crib, storekeeper):
    rix = api(crib.rix_qa)
    assert listed(rix, "/api/tool-instances/", "inventory_number") == ["RIX-1", "RIX-2"]
    assert listed(rix, "/api/issues/", "id") == [str(crib.r_issue.pk)]
    assert listed(rix, "/api/returned-tools/", "id") == [str(crib.r_line.pk)]
    audit = rix.get("/api/audit-events/?limit=500").json()["results"]
    assert audit and not [e for e in audit if "VNO" in e["object_repr"]]
    [ivan] = rix.get("/api/engineers/").json()["results"]
    assert ivan["held_tools"] == ["RIX-2"]
    figures = rix.get("/api/dashboard/").json()["figures"]
    assert (figures["tools_out"], figures["flagged"]) == (1, 1)
    # A user without a site sees both.
    everyone = api(storekeeper)
    assert len(listed(everyone, "/api/tool-instances/", "inventory_number")) == 4
    assert everyone.get(f"/api/engineers/{crib.engineer.pk}/").json()["held_tools"] == [
        "RIX-2",
        "VNO-2",
    ]


@pytest.mark.parametrize(
    "url",
    [
        lambda c: f"/api/tool-instances/{c.v_free.pk}/",
        lambda c: f"/api/tool-instances/{c.v_held.pk}/history/",
        lambda c: f"/api/issues/{c.v_issue.pk}/",
        lambda c: f"/api/issues/{c.v_issue.pk}/report/",
        lambda c: f"/api/returned-tools/{c.v_line.pk}/",
    ],
)
def test_another_sites_record_is_not_found(api, crib, url):
    assert api(crib.rix_desk).get(url(crib)).status_code == 404


def test_a_limited_desk_cannot_decide_another_sites_recount(api, crib):
    desk = api(crib.rix_desk)
    before = crib_state()
    answer = desk.post(
        f"/api/returned-tools/{crib.v_line.pk}/recount/",
        {"found": False, "reason": "guessed the id"},
        format="json",
    )
    assert answer.status_code == 404
    answer = desk.post("/api/returned-tools/confirm/", {"lines": [crib.v_line.pk]}, format="json")
    assert answer.status_code in (400, 409), answer.content
    assert crib_state() == before


def test_a_limited_storekeeper_cannot_issue_another_sites_tool(api, crib):
    store = api(crib.rix_store)
    before = crib_state()
    answer = store.post(
        "/api/issues/",
        {"engineer": crib.engineer.pk, "tools": [{"tool_instance": crib.v_free.pk}]},
        format="json",
    )
    assert answer.status_code in (400, 409), answer.content
    assert "VNO-1 belongs to another site's crib; you work at RIX" in str(answer.json())
    assert crib_state() == before
    answer = store.post(
        "/api/issues/",
        {"engineer": crib.engineer.pk, "tools": [{"tool_instance": crib.r_free.pk}]},
        format="json",
    )
    assert answer.status_code == 201


@pytest.mark.model
@pytest.mark.photos
def test_recognition_offers_a_limited_storekeeper_only_its_sites_tools(
    api, crib, storekeeper, tool_factory, crib_admin
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.kit_photos import compose
    from toolcrib.crib import services

    wrench = "10_open_end_wrench_3_4__black"
    for number, site, angle in [("RIX-W", crib.rix, 0), ("VNO-W", crib.vno, 1)]:
        tool = tool_factory(number, 9, site=site)
        data, [box] = compose([(wrench, (100, 100), angle)])
        services.enrol(tool, services.store_photo(data), box, user=crib_admin)
    data, [box] = compose([(wrench, (600, 300), 1)])

    def offered(user):
        answer = api(user).post(
            "/api/recognition/",
            {
                "image": SimpleUploadedFile("kit.jpg", data, "image/jpeg"),
                "boxes": str([round(v) for v in box]),
            },
            format="multipart",
        )
        assert answer.status_code == 200, answer.content
        [tool] = answer.json()["tools"]
        return [i["inventory_number"] for i in tool["instances"]]

    assert set(offered(storekeeper)) >= {"RIX-W", "VNO-W"}  # every site: both
    rix = offered(crib.rix_store)
    assert rix and rix[0] == "RIX-W" and not [n for n in rix if not n.startswith("RIX")]
