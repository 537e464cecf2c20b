"""The crib's roles as Django groups. Kept in step with the code after every migrate."""

from django.contrib.auth.models import Group, Permission

STOREKEEPER = "storekeeper"
RETURN_DESK = "return desk"
ADMIN = "admin"
QA = "QA"

_VIEW_ALL = "view_*"

# Permission codenames of app `crib` per role; QA reads everything and changes nothing.
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
        "add_engineer",
        "change_engineer",
        "delete_engineer",
        "add_enrolment",
        "change_enrolment",
        "delete_enrolment",
        "add_photo",
        "change_cribsettings",
    ],
    QA: [_VIEW_ALL],
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
