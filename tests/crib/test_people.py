"""Who may change whom: an admin's own rights are the ceiling of what they grant."""

import pytest
from django.contrib.auth.models import Permission, User

from toolcrib.crib import people
from toolcrib.crib.errors import CribError
from toolcrib.crib.models import AuditEvent, IssuedTool


def _unchanged(user):
    fresh = User.objects.get(pk=user.pk)
    return fresh.is_active and fresh.check_password("crib-pass-123")


def test_a_staff_admin_may_not_change_a_superuser(crib_admin, make_user):
    boss = make_user("root", is_superuser=True, is_staff=True)
    for change in (
        lambda: people.set_role(boss, "QA", by=crib_admin),
        lambda: people.set_active(boss, False, by=crib_admin),
        lambda: people.reset_password(boss, by=crib_admin),
    ):
        with pytest.raises(CribError, match="only a superuser may change them"):
            change()
    assert _unchanged(boss) and not boss.groups.exists()
    assert not AuditEvent.objects.filter(actor=crib_admin).exists()
    # A superuser may.
    people.set_active(boss, False, by=make_user("root2", is_superuser=True))
    assert not User.objects.get(pk=boss.pk).is_active


def test_no_one_grants_the_admin_role_without_its_rights(make_user):
    # Someone allowed to manage users, but without the admin role's crib rights.
    clerk = make_user("clerk", "QA")
    clerk.user_permissions.add(Permission.objects.get(codename="change_user"))
    with pytest.raises(CribError, match="cannot grant the admin role"):
        people.create_user("eve", "admin", by=clerk)
    assert not User.objects.filter(username="eve").exists()
    # The desk roles are theirs to hand out.
    user, password = people.create_user("sam", "storekeeper", by=clerk)
    assert people.role_of(user) == "storekeeper" and user.check_password(password)


def test_a_non_staff_admin_may_not_change_staff(crib_admin, make_user):
    plain = make_user("ada", "admin")
    with pytest.raises(CribError, match="only staff may change them"):
        people.set_role(crib_admin, "QA", by=plain)
    assert people.role_of(crib_admin) == "admin"


def test_an_admin_cannot_lock_themselves_out(crib_admin):
    with pytest.raises(CribError, match="cannot deactivate yourself"):
        people.set_active(crib_admin, False, by=crib_admin)
    with pytest.raises(CribError, match="cannot take the admin role from yourself"):
        people.set_role(crib_admin, "QA", by=crib_admin)
    assert _unchanged(crib_admin) and people.role_of(crib_admin) == "admin"


def test_bad_usernames_and_passwords_change_nothing(crib_admin, storekeeper):
    with pytest.raises(CribError, match="already exists"):
        people.create_user(storekeeper.username, "QA", by=crib_admin)
    with pytest.raises(CribError, match="too short"):
        people.create_user("newbie", "QA", by=crib_admin, password="abc")
    with pytest.raises(CribError, match="too short"):
        people.reset_password(storekeeper, by=crib_admin, password="abc")
    assert not User.objects.filter(username="newbie").exists()
    assert _unchanged(storekeeper) and people.role_of(storekeeper) == "storekeeper"
    assert not AuditEvent.objects.filter(actor=crib_admin).exists()


def test_an_engineer_who_holds_tools_is_not_deactivated(engineer, tool_factory, storekeeper):
    from toolcrib.crib import services
    from toolcrib.crib.services import ToolLine

    tool = tool_factory("AT-1")
    services.issue_tools(engineer=engineer, storekeeper=storekeeper, lines=[ToolLine(tool)])
    assert IssuedTool.objects.open().count() == 1
    with pytest.raises(CribError, match="still holds 1 tool"):
        people.set_engineer_active(engineer, False)
    engineer.refresh_from_db()
    assert engineer.active
