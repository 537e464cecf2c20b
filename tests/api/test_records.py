"""The admin keeps tool types, tool instances and engineers over the API; every change is in
the audit trail under the token's user."""

import pytest

from toolcrib.crib.models import AuditEvent, ToolInstance, ToolType

pytestmark = pytest.mark.django_db


def test_it_adds_a_tool_type_and_an_instance_and_audits_both(api, crib_admin):
    client = api(crib_admin)
    tool_type = client.post(
        "/api/tool-types/", {"name": "Torque wrench", "slug": "torque-wrench"}, format="json"
    ).json()
    response = client.post(
        "/api/tool-instances/",
        {
            "inventory_number": "TW-0001",
            "tool_type": tool_type["id"],
            "calibration_due": "2027-01-31",
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json() | {"id": None, "created_at": None} == {
        "id": None,
        "inventory_number": "TW-0001",
        "tool_type": tool_type["id"],
        "status": "in_crib",
        "calibration_due": "2027-01-31",
        "notes": "",
        "site": None,
        "crib": "",
        "cabinet": "",
        "drawer": "",
        "bin": "",
        "created_at": None,
        "holder": None,
    }
    events = AuditEvent.objects.filter(action="created").values_list("object_type", "actor_name")
    assert set(events) >= {("tooltype", "adam"), ("toolinstance", "adam")}


def test_it_audits_a_status_change_before_and_after(api, crib_admin, tool_factory):
    tool = tool_factory("AT-1")
    response = api(crib_admin).patch(
        f"/api/tool-instances/{tool.pk}/", {"status": "in_calibration"}, format="json"
    )

    assert response.status_code == 200 and response.json()["status"] == "in_calibration"
    event = AuditEvent.objects.get(action="changed", object_type="toolinstance")
    assert (event.actor_name, event.before, event.after) == (
        "adam",
        {"status": "in_crib"},
        {"status": "in_calibration"},
    )


def test_it_leaves_issuing_to_the_desk(api, crib_admin, storekeeper, engineer, tool_factory):
    free, held = tool_factory("AT-1"), tool_factory("AT-2")
    api(storekeeper).post(
        "/api/issues/",
        {"engineer": engineer.pk, "tools": [{"tool_instance": held.pk}]},
        format="json",
    )
    client = api(crib_admin)

    for tool, status, message in [
        (free, "issued", "Only an issue at the desk hands AT-1 out (it is in crib)"),
        (held, "in_crib", "AT-2 is issued to Ivan Petrov (E1001): only a return at the desk"),
    ]:
        response = client.patch(
            f"/api/tool-instances/{tool.pk}/", {"status": status}, format="json"
        )
        assert response.status_code == 400
        [said] = response.json()["errors"]["status"]
        assert said.startswith(message) and said.endswith("nothing was changed.")
    assert dict(ToolInstance.objects.values_list("inventory_number", "status")) == {
        "AT-1": "in_crib",
        "AT-2": "issued",
    }


def test_it_refuses_a_duplicate_number_by_field(api, crib_admin, tool_factory):
    tool = tool_factory("AT-1")
    response = api(crib_admin).post(
        "/api/tool-instances/",
        {"inventory_number": "AT-1", "tool_type": tool.tool_type_id},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "inventory_number: tool instance with this inventory number already exists.",
        "errors": {
            "inventory_number": ["tool instance with this inventory number already exists."]
        },
    }


def test_it_keeps_a_tool_type_that_has_tools(api, crib_admin, tool_factory):
    tool = tool_factory("AT-1")
    response = api(crib_admin).delete(f"/api/tool-types/{tool.tool_type_id}/")
    assert response.status_code == 409
    assert response.json() == {"detail": "This record is still used (AT-1) and cannot be deleted."}
    assert ToolType.objects.filter(pk=tool.tool_type_id).exists()
    assert not AuditEvent.objects.filter(action="deleted").exists()


def test_it_finds_tools_by_status_type_and_number(api, qa, tool_factory):
    (
        tool_factory("AT-288293-6", 4),
        tool_factory("AT-100", 4, status="broken"),
        tool_factory("SCR-1", 0),
    )
    client = api(qa)

    def numbers(**query):
        return [
            t["inventory_number"]
            for t in client.get("/api/tool-instances/", query).json()["results"]
        ]

    assert numbers(status="broken") == ["AT-100"]
    assert numbers(tool_type=ToolType.objects.get(model_class_index=4).pk) == [
        "AT-100",
        "AT-288293-6",
    ]
    assert numbers(number="2882") == ["AT-288293-6"]
    assert numbers(status=["in_crib", "broken"], number="AT") == ["AT-100", "AT-288293-6"]
    bad = client.get("/api/tool-instances/", {"status": "mislaid"})
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["status"]


def test_it_pages_long_lists(api, qa, tool_factory):
    for i in range(5):
        tool_factory(f"AT-{i}")
    page = api(qa).get("/api/tool-instances/", {"limit": 2, "offset": 2}).json()
    assert page["count"] == 5 and [t["inventory_number"] for t in page["results"]] == [
        "AT-2",
        "AT-3",
    ]
    assert page["next"].endswith("limit=2&offset=4")


def test_it_shows_what_an_engineer_holds_and_his_history(
    api, storekeeper, qa, engineer, tool_factory
):
    tools = [tool_factory("AT-1"), tool_factory("AT-2")]
    api(storekeeper).post(
        "/api/issues/",
        {"engineer": engineer.pk, "tools": [{"tool_instance": t.pk} for t in tools]},
        format="json",
    )
    client = api(qa)

    assert client.get("/api/engineers/", {"name": "petrov"}).json()["results"][0]["held_tools"] == [
        "AT-1",
        "AT-2",
    ]
    entries = client.get(f"/api/engineers/{engineer.pk}/history/").json()
    assert [(e["what"], e["who"]) for e in entries] == [
        ("issued AT-1", "stella"),
        ("issued AT-2", "stella"),
    ]
    tool_entries = client.get(f"/api/tool-instances/{tools[0].pk}/history/").json()
    assert [e["what"] for e in tool_entries] == ["record created", "issued AT-1", "record changed"]
    assert tool_entries[2]["detail"] == "status: in_crib → issued"
