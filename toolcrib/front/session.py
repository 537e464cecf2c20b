"""A session that ended under an open page: the page asks whether it is still signed in (and
for the current CSRF token), and a refused CSRF check gets a page that says what happened."""

from urllib.parse import urlsplit

from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views.decorators.cache import never_cache

# Fields never carried over to a form sent again.
SECRET_FIELDS = {"csrfmiddlewaretoken", "password", "password1", "password2"}


@never_cache
def session_state(request):
    """{signed_in, username, csrf}: open to all, so that a signed-out page can ask."""
    user = request.user
    return JsonResponse(
        {
            "signed_in": user.is_authenticated,
            "username": user.get_username() if user.is_authenticated else None,
            "csrf": get_token(request),
        }
    )


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the form came with a security token that is no longer valid (signed in
    again in another tab, or the page stood open across a log-out). A form sent from this site by
    a signed-in user is offered again with a fresh token; nothing was saved either way."""
    ours = _same_origin(request)
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in SECRET_FIELDS
        for value in values
    ]
    return render(
        request,
        "csrf_failure.html",
        {
            "resend": ours and request.user.is_authenticated and request.method == "POST",
            "fields": fields,
            "lost_files": bool(request.FILES),
            "action": request.path,
        },
        status=403,
    )


def _same_origin(request) -> bool:
    sent_from = request.headers.get("Origin") or request.headers.get("Referer") or ""
    parts = urlsplit(sent_from)
    return parts.netloc == request.get_host() and parts.scheme == request.scheme
