"""A user limited to one site's crib: the rule of what they see (sites.visible) and the
services' refusals of another site's tools; the admin's change of a user's site, audited."""

import pytest

from toolcrib.crib import dashboard, extras, metrology, people, services, sites
from toolcrib.crib.errors import CribError
from toolcrib.crib.models import (
    AuditEvent,
    Issue,
    IssuedTool,
    Return,
    ReturnedTool,
    ToolInstance,
    UserSite,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def crib(two_site_crib):
    return two_site_crib


def numbers(tools):
    return sorted(t.inventory_number for t in tools)


def test_it_shows_a_limited_user_only_their_sites_records(crib, storekeeper):
    user = crib.rix_store
    assert numbers(sites.visible(ToolInstance.objects.all(), user)) == ["RIX-1", "RIX-2"]
    assert list(sites.visible(Issue.objects.all(), user)) == [crib.r_issue]
    assert list(sites.visible(ReturnedTool.objects.all(), user)) == [crib.r_line]
    assert list(sites.visible(Return.objects.all(), user)) == [crib.the_return]
    assert numbers(i.tool_instance for i in sites.visible(crib.engineer.held_tools(), user)) == [
        "RIX-2"
    ]
    seen = {(e.object_type, e.object_repr) for e in sites.visible(AuditEvent.objects.all(), user)}
    assert ("toolinstance", "RIX-1") in seen and ("issue", str(crib.r_issue)) in seen
    assert not [r for t, r in seen if "VNO" in r or r == str(crib.v_issue)]
    # Without a site, and a superuser: everything.
    assert sites.visible(ToolInstance.objects.all(), storekeeper).count() == 4
    boss = type(user).objects.create_superuser("root", password="x-very-long-1")
    UserSite.objects.create(user=boss, site=crib.rix)
    assert sites.visible(ToolInstance.objects.all(), boss).count() == 4


def test_it_counts_the_dashboard_and_the_due_list_of_their_site_only(crib, storekeeper):
    crib.v_free.calibration_due = crib.r_free.calibration_due = "2020-01-01"
    crib.v_free.save()
    crib.r_free.save()
    figures = dashboard.figures(user=crib.rix_qa)
    assert (figures["tools_out"], figures["flagged"]) == (1, 1)
    everyone = dashboard.figures(user=storekeeper)
    assert (everyone["tools_out"], everyone["flagged"]) == (2, 2)
    assert numbers(metrology.due_within(30, user=crib.rix_qa)) == ["RIX-1"]
    assert numbers(metrology.due_within(30)) == ["RIX-1", "VNO-1"]


def test_it_refuses_to_issue_another_sites_tool_and_issues_nothing(crib):
    with pytest.raises(CribError, match="VNO-1 belongs to another site's crib; you work at RIX"):
        services.issue_tools(
            engineer=crib.engineer,
            storekeeper=crib.rix_store,
            lines=[services.ToolLine(crib.r_free), services.ToolLine(crib.v_free)],
        )
    assert Issue.objects.count() == 2
    assert ToolInstance.objects.get(pk=crib.r_free.pk).status == "in_crib"
    services.issue_tools(
        engineer=crib.engineer, storekeeper=crib.rix_store, lines=[services.ToolLine(crib.r_free)]
    )


def test_a_limited_desk_takes_back_only_its_sites_tools(crib, desk, storekeeper):
    for line in (crib.r_line, crib.v_line):
        services.decide_recount(line, user=desk, found=True, reason="on the bench")
    for tool in (crib.r_held, crib.v_held):
        services.issue_tools(
            engineer=crib.engineer, storekeeper=storekeeper, lines=[services.ToolLine(tool)]
        )
    # The end of the shift at the RIX desk: RIX-2 goes to a recount, VNO-2 stays out with them.
    back = services.return_tools(
        engineer=crib.engineer, desk_user=crib.rix_desk, sightings=[], ends="shift"
    )
    assert [line.issued_tool.tool_instance.inventory_number for line in back.tools.all()] == [
        "RIX-2"
    ]
    assert IssuedTool.objects.open().filter(tool_instance=crib.v_held, returned=None).exists()
    with pytest.raises(CribError, match="VNO-2 belongs to another site's crib"):
        services.return_tools(
            engineer=crib.engineer,
            desk_user=crib.rix_desk,
            sightings=[],
            scanned_numbers=["vno-2"],
        )


def test_a_limited_desk_cannot_decide_another_sites_line(crib):
    for act in (
        lambda: services.decide_recount(crib.v_line, user=crib.rix_desk, found=False, reason="x"),
        lambda: services.confirm_by_eye([crib.v_line], user=crib.rix_desk),
    ):
        with pytest.raises(CribError, match="another site's crib"):
            act()
    assert ReturnedTool.objects.get(pk=crib.v_line.pk).decision == "recount_required"


def test_an_extra_line_cannot_be_identified_as_another_sites_tool(crib):
    extra = ReturnedTool.objects.create(
        tool_return=crib.the_return, decision=ReturnedTool.Decision.EXTRA, reason="not issued"
    )
    with pytest.raises(CribError, match="VNO-1 belongs to another site's crib"):
        extras.identify(extra, "VNO-1", user=crib.rix_desk)
    assert ReturnedTool.objects.get(pk=extra.pk).decision == "extra"


def test_the_admin_changes_a_users_site_audited(crib, crib_admin, storekeeper):
    people.set_site(storekeeper, crib.vno, by=crib_admin)
    people.set_site(storekeeper, None, by=crib_admin)
    events = AuditEvent.objects.filter(action="site changed", object_id=str(storekeeper.pk))
    assert [(e.before, e.after, e.actor) for e in events.order_by("id")] == [
        ({"site": None}, {"site": "VNO"}, crib_admin),
        ({"site": "VNO"}, {"site": None}, crib_admin),
    ]
    assert sites.site_of(storekeeper) is None
    # A user limited to a site cannot hand out another one, nor every site.
    with pytest.raises(CribError, match="Only an admin"):
        people.set_site(crib_admin, None, by=crib.rix_store)


def test_an_admin_limited_to_a_site_imports_only_its_tools(crib, crib_admin):
    from toolcrib.transfer import imports

    UserSite.objects.create(user=crib_admin, site=crib.rix)
    sites.forget(crib_admin)  # its site was looked up (None) when it gave the others theirs
    kind = imports.ToolInstances()
    type_name = crib.r_free.tool_type.name

    def row(number, site):
        places = dict.fromkeys(["crib", "cabinet", "drawer", "bin"], "")
        given = {"inventory_number": number, "tool_type": type_name, "site": site}
        return given | {"status": "", "notes": "", "calibration_due": ""} | places

    for site, why in [("VNO", "VNO-9 belongs to another site's crib"), ("", "VNO-9 has no site")]:
        with pytest.raises(CribError, match=why):
            imports.save(kind, [(2, row("VNO-9", site))], user=crib_admin, filename="t.csv")
    assert not ToolInstance.objects.filter(inventory_number="VNO-9").exists()
    assert imports.save(kind, [(2, row("RIX-9", "RIX"))], user=crib_admin, filename="t.csv") == 1


def test_an_admin_limited_to_a_site_changes_only_its_users(
    crib, crib_admin, storekeeper, make_user
):
    from toolcrib.crib import roles

    vera = make_user("vera", "storekeeper")
    people.set_site(vera, crib.vno, by=crib_admin)
    UserSite.objects.create(user=crib_admin, site=crib.rix)
    sites.forget(crib_admin)
    assert roles.refusal(vera, crib_admin) == (
        "vera works at VNO; you work at RIX: only an admin of every site may change them or "
        "make their token."
    )
    assert "stella works at every site; you work at RIX" in roles.refusal(storekeeper, crib_admin)
    assert roles.refusal(crib.rix_store, crib_admin) is None
    for change in [
        lambda: people.set_role(vera, "QA", by=crib_admin),
        lambda: people.set_active(vera, False, by=crib_admin),
        lambda: people.reset_password(vera, by=crib_admin),
        lambda: people.set_site(vera, crib.rix, by=crib_admin),
        lambda: people.set_role(storekeeper, "QA", by=crib_admin),
    ]:
        with pytest.raises(CribError, match="you work at RIX: only an admin of every site"):
            change()
    vera.refresh_from_db()
    assert (people.role_of(vera), vera.is_active, sites.site_of(vera)) == (
        "storekeeper",
        True,
        crib.vno,
    )
    assert people.role_of(storekeeper) == "storekeeper"
    # Their own site's user they do change, but never hand out another site.
    people.set_role(crib.rix_store, "QA", by=crib_admin)
    with pytest.raises(CribError, match="You work at RIX: you may give only that site"):
        people.set_site(crib.rix_store, crib.vno, by=crib_admin)
    # A user they make works at their site, audited; so they may change them afterwards.
    new, _ = people.create_user("nina", "return desk", by=crib_admin)
    assert sites.site_of(new) == crib.rix
    event = AuditEvent.objects.get(action="site changed", object_id=str(new.pk))
    assert (event.actor, event.after) == (crib_admin, {"site": "RIX"})
    assert roles.refusal(new, crib_admin) is None
