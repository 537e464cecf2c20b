"""The crib's roles as Django groups. Kept in step with the code after every migrate."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from toolcrib.crib import sites

STOREKEEPER = "storekeeper"
RETURN_DESK = "return desk"
ADMIN = "admin"
QA = "QA"

_VIEW_ALL = "view_*"

# Permission codenames of app `crib` per role; QA reads everything and closes foreign tool
# reports (toolcrib/crib/extras.py).
ROLE_PERMISSIONS = {
    STOREKEEPER: [_VIEW_ALL, "issue_tools"],
    RETURN_DESK: [_VIEW_ALL, "return_tools", "decide_recount"],
    ADMIN: [
        _VIEW_ALL,
        "add_tooltype",
        "change_tooltype",
        "delete_tooltype",
        "add_toolinstance",
        "change_toolinstance",
        "delete_toolinstance",
        "add_calibrationrecord",
        "add_site",
        "change_site",
        "add_engineer",
        "change_engineer",
        "delete_engineer",
        "add_enrolment",
        "change_enrolment",
        "delete_enrolment",
        "add_photo",
        "change_cribsettings",
    ],
    QA: [_VIEW_ALL, "close_foreigntoolreport"],
}
# Admins also manage users and their API tokens.
ADMIN_EXTRA = [
    ("auth", "add_user"),
    ("auth", "change_user"),
    ("auth", "view_user"),
    ("auth", "view_group"),
    ("authtoken", "add_token"),
    ("authtoken", "delete_token"),
    ("authtoken", "view_token"),
    ("authtoken", "add_tokenproxy"),
    ("authtoken", "delete_tokenproxy"),
    ("authtoken", "view_tokenproxy"),
    # Notices (toolcrib/notify): which were sent, and which a mail server refused.
    ("notify", "view_notice"),
    # Log-in lockouts (django-axes): seen, and lifted early by deleting the attempt.
    ("axes", "view_accessattempt"),
    ("axes", "delete_accessattempt"),
]


# Who photographs tools at the crib: the two desks, and the admin enrolling tools. The pages
# and the API both ask `takes_photos`.
TAKES_PHOTOS = ("crib.issue_tools", "crib.return_tools", "crib.add_photo")


def takes_photos(user) -> bool:
    return bool(user and user.is_authenticated and any(user.has_perm(p) for p in TAKES_PHOTOS))


def sync_groups():
    crib = Permission.objects.filter(content_type__app_label="crib")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = set(crib.filter(codename__in=[c for c in codenames if c != _VIEW_ALL]))
        if _VIEW_ALL in codenames:
            perms |= set(crib.filter(codename__startswith="view_"))
        if role == ADMIN:
            for app, codename in ADMIN_EXTRA:
                perms |= set(
                    Permission.objects.filter(content_type__app_label=app, codename=codename)
                )
        group.permissions.set(perms)


def permission_ids(user) -> set[int]:
    """Every permission a user holds, directly or through a group, whether active or not."""
    return set(
        Permission.objects.filter(Q(user=user) | Q(group__user=user)).values_list("pk", flat=True)
    )


def grantable_ids(actor) -> set[int]:
    """The rights `actor` may hand out: their own, and for whoever manages users the crib's
    roles too (making storekeepers is the admin role's job)."""
    ids = permission_ids(actor)
    if actor.has_perm("auth.change_user"):
        ids |= set(
            Permission.objects.filter(group__name__in=ROLE_PERMISSIONS).values_list("pk", flat=True)
        )
    return ids


def users_within(actor):
    """The users all of whose rights `actor` may hand out: the only ones `actor` may change or
    make a token for (a token acts with all its user's rights). No one climbs above that, only
    a superuser touches a superuser, and only staff touch staff; an actor limited to a site
    (sites.py) touches only users of that site, never one who works at every site. The one rule
    of who may change whom: the Django admin, the Users page (people.py) and the API's tokens
    all ask here."""
    users = get_user_model().objects.all()
    if actor.is_superuser:
        return users
    if (site := sites.site_of(actor)) is not None:
        users = users.filter(crib_site__site=site)
    if not actor.is_staff:
        users = users.filter(is_staff=False)
    beyond = Permission.objects.exclude(pk__in=grantable_ids(actor))
    return (
        users.filter(is_superuser=False)
        .exclude(user_permissions__in=beyond)
        .exclude(groups__permissions__in=beyond)
    )


def refusal(user, actor) -> str | None:
    """Why `actor` may not change `user` (nor make their token), in words; None when they may."""
    if users_within(actor).filter(pk=user.pk).exists():
        return None
    if user.is_superuser:
        return (
            f"{user.username} is a superuser: only a superuser may change them or make their token."
        )
    if user.is_staff and not actor.is_staff:
        return f"{user.username} is staff: only staff may change them or make their token."
    if (limit := sites.site_of(actor)) is not None and (site := sites.site_of(user)) != limit:
        where = f"works at {site.code}" if site else "works at every site"
        return (
            f"{user.username} {where}; you work at {limit.code}: only an admin of every site "
            "may change them or make their token."
        )
    return f"{user.username} holds rights you may not hand out: only a superuser may change them or make their token."


def outranks(user, actor) -> bool:
    return refusal(user, actor) is not None
