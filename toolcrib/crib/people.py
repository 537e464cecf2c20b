"""People: the app's users with their role, and the engineers who take tools.

A user's account and role change together, so each change is one service call in one
transaction; the audit trail records them from the model signals (audit.py), with the acting
admin as actor and a password only as "(hidden)". Who may do what (the admin's own rights are the ceiling):
- who may change whom is `roles.refusal` (only a superuser changes a superuser, only staff
  change staff, no one changes a user holding rights they may not hand out);
- the admin role is granted only by someone who holds every right of that role; the desk
  roles (storekeeper, return desk, QA) are the admin's to hand out;
- the app never sets staff or superuser: those stay with `manage.py createsuperuser`.
"""

import secrets

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from toolcrib.crib import audit, roles, sites
from toolcrib.crib.errors import CribError
from toolcrib.crib.models import Engineer, Site, UserSite

MANAGE_USERS = "auth.change_user"


def role_of(user: User) -> str | None:
    names = [g.name for g in user.groups.all() if g.name in roles.ROLE_PERMISSIONS]
    return names[0] if names else None


def _rights(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def _check_may_change(actor: User, target: User | None) -> None:
    if not actor.has_perm(MANAGE_USERS):
        raise CribError("Only an admin may manage users.")
    if target is not None and (why := roles.refusal(target, actor)):
        raise CribError(why)


def _check_may_grant(actor: User, role: str) -> Group:
    if role not in roles.ROLE_PERMISSIONS:
        raise CribError(f"“{role}” is not a role of the crib.")
    group = Group.objects.get(name=role)
    if role == roles.ADMIN and not actor.is_superuser:
        missing = _rights(group) - actor.get_all_permissions()
        if missing:
            raise CribError("You cannot grant the admin role: it has rights you do not have.")
    return group


def _set_role(user: User, group: Group) -> None:
    crib_roles = Group.objects.filter(name__in=roles.ROLE_PERMISSIONS)
    user.groups.remove(*crib_roles)
    user.groups.add(group)


def one_time_password() -> str:
    return secrets.token_urlsafe(9)


def create_user(username: str, role: str, *, by: User, password: str = "") -> tuple[User, str]:
    """A new user with one role. Without a password, a one-time one is made and returned."""
    _check_may_change(by, None)
    group = _check_may_grant(by, role)
    password = password or one_time_password()
    try:
        validate_password(password)
    except ValidationError as e:
        raise CribError(" ".join(e.messages)) from e
    try:
        with transaction.atomic(), audit.acting_as(by):
            user = User.objects.create_user(username, password=password)
            _set_role(user, group)
            give_own_site(user, by=by)
    except IntegrityError as e:  # the unique username, also when two admins race
        raise CribError(f"A user called “{username}” already exists.") from e
    return user, password


def give_own_site(user: User, *, by: User) -> None:
    """A user made by an admin limited to a site works at that site (audited), so that the
    admin may still change them (roles.refusal) and never makes a user of every site."""
    if (site := sites.site_of(by)) is not None:
        UserSite.objects.create(user=user, site=site)
        audit.record(
            "site changed", user, before={"site": None}, after={"site": site.code}, actor=by
        )


def _change(user: User, by: User, change) -> User:
    with transaction.atomic(), audit.acting_as(by):
        user = User.objects.select_for_update().get(pk=user.pk)
        change(user)
    return user


def set_role(user: User, role: str, *, by: User) -> User:
    _check_may_change(by, user)
    group = _check_may_grant(by, role)
    if user == by and role != roles.ADMIN:
        raise CribError("You cannot take the admin role from yourself.")
    return _change(user, by, lambda u: _set_role(u, group))


def set_active(user: User, active: bool, *, by: User) -> User:
    _check_may_change(by, user)
    if user == by and not active:
        raise CribError("You cannot deactivate yourself.")

    def change(u):
        u.is_active = active
        u.save(update_fields=["is_active"])

    return _change(user, by, change)


def reset_password(user: User, *, by: User, password: str = "") -> str:
    """Sets the given password, or a one-time one; returns it (the page shows it once)."""
    _check_may_change(by, user)
    password = password or one_time_password()
    try:
        validate_password(password, user)
    except ValidationError as e:
        raise CribError(" ".join(e.messages)) from e

    def change(u):
        u.set_password(password)
        u.save(update_fields=["password"])

    _change(user, by, change)
    return password


def locked_out(user: User) -> bool:
    """Whether django-axes refuses this user name's log-in now (too many failures, any address)."""
    from axes.models import AccessAttempt
    from django.conf import settings

    return AccessAttempt.objects.filter(
        username=user.get_username(), failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    ).exists()


def unlock(user: User, *, by: User) -> int:
    """Lift a log-in lockout before it cools off, audited (axes' own `axes_reset` command is
    not): the failed attempts of this user name are forgotten. Returns how many were."""
    from axes.utils import reset

    _check_may_change(by, user)
    with transaction.atomic():
        cleared = reset(username=user.get_username())
        audit.record("unlocked", user, actor=by, after={"attempts_cleared": cleared})
    return cleared


def set_engineer_active(engineer: Engineer, active: bool) -> Engineer:
    """Audited by the model signals (audit.py), like every change to an engineer."""
    if not active and engineer.held_tools().exists():
        n = engineer.held_tools().count()
        raise CribError(
            f"{engineer} still holds {n} tool{'s' if n != 1 else ''}: "
            "take them back before deactivating."
        )
    engineer.active = active
    engineer.save(update_fields=["active"])
    return engineer


def set_site(user: User, site: Site | None, *, by: User) -> User:
    """Limit `user` to one site's crib (toolcrib/crib/sites.py), or to none: every site.
    Audited on the user ("site changed", before and after, by the admin)."""
    _check_may_change(by, user)
    if (limit := sites.site_of(by)) is not None and site != limit:
        raise CribError(f"You work at {limit.code}: you may give only that site.")
    sites.forget(user)  # the caller's object asks again next time
    with transaction.atomic(), audit.acting_as(by):
        user = User.objects.select_for_update().get(pk=user.pk)
        before = UserSite.objects.filter(user=user).select_related("site").first()
        old = before.site.code if before else None
        new = site.code if site else None
        if old == new:
            return user
        if site is None:
            UserSite.objects.filter(user=user).delete()
        else:
            UserSite.objects.update_or_create(user=user, defaults={"site": site})
        audit.record("site changed", user, before={"site": old}, after={"site": new})
    return user
