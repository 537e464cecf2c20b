"""Who may open which page. Every view checks here, server-side; the nav only mirrors it."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

# What each part of the crib needs (codenames of app `crib`).
ISSUE = "crib.issue_tools"
RETURN = "crib.return_tools"
RECOUNT = "crib.decide_recount"
CLOSE_FOREIGN = "crib.close_foreigntoolreport"
VIEW = "crib.view_toolinstance"
ENROL = "crib.add_enrolment"
SETTINGS = "crib.change_cribsettings"
USERS = "auth.change_user"
EDIT_ENGINEERS = "crib.change_engineer"
EDIT_TOOLS = "crib.change_toolinstance"
EDIT_TOOL_TYPES = "crib.change_tooltype"
CALIBRATE = "crib.add_calibrationrecord"


def needs(*perms, any_of=False):
    """Signed in (else the login page) and holding the permissions (else 403)."""

    def decorate(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            check = any if any_of else all
            if not check(request.user.has_perm(p) for p in perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(checked)

    return decorate


def accepts_tokens(view):
    """Reports link to crop images; a machine that reads reports with its API token may follow
    those links with the same token (browsers use their session as everywhere else)."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not request.user.is_authenticated and request.headers.get(
            "Authorization", ""
        ).startswith("Token "):
            from rest_framework.authentication import TokenAuthentication
            from rest_framework.exceptions import AuthenticationFailed

            try:
                found = TokenAuthentication().authenticate(request)
            except AuthenticationFailed:
                found = None
            if found:
                request.user = found[0]
        return view(request, *args, **kwargs)

    return checked
