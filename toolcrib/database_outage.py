"""503 "database restarting" instead of a 500 while the database is away.

`serve` restarts a dead embedded PostgreSQL; an external one (DATABASE_URL) comes back when
its operator brings it back. Meanwhile every request that needs the database fails with
OperationalError or InterfaceError, in a view or in a middleware (the session, the user).
Django turns those into 500 pages; this middleware, first in the chain, answers 503 with a
Retry-After instead, JSON for the API and HTML for the pages. Nothing else is caught.
"""

import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

MESSAGE = "The database is restarting. Try again in a few seconds; nothing you sent was saved."
RETRY_AFTER_SECONDS = 5
_FLAG = "_toolcrib_database_away"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Toolcrib: database restarting</title>
<meta http-equiv="refresh" content="{seconds}"></head>
<body><h1>Database restarting</h1><p>{message}</p></body></html>
"""


def is_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def outage_response(request) -> HttpResponse:
    if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": MESSAGE}, status=503)
    else:
        response = HttpResponse(
            PAGE.format(seconds=RETRY_AFTER_SECONDS, message=MESSAGE), status=503
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _mark_request(sender, request=None, **kwargs):
    # Sent by Django's handler while the exception is being handled, in any layer.
    if request is not None and is_outage(sys.exc_info()[1]):
        setattr(request, _FLAG, True)


got_request_exception.connect(_mark_request, dispatch_uid="toolcrib.database_outage")


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, _FLAG, False) and response.status_code == 500:
            return outage_response(request)
        return response

    def process_exception(self, request, exception):
        if is_outage(exception):
            return outage_response(request)
        return None
