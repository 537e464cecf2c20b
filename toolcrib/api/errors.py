"""One error format for the whole API: {"detail": "...", "errors": {"field": ["..."]}}.

The crib's own refusals (CribError) are 400, a tool someone else holds (ToolUnavailable) is
409; Django's ValidationError, ProtectedError, IntegrityError and DataError never become a 500.
"""

from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from toolcrib.api.parsers import PayloadTooLarge
from toolcrib.crib.services import CribError, ToolUnavailable


class ErrorSerializer(serializers.Serializer):
    """Every error response has this body."""

    detail = serializers.CharField(help_text="What went wrong, fit to show the user.")
    errors = serializers.DictField(  # type: ignore[assignment]  # a body field, not .errors
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='Per-field messages, e.g. {"tools[0].box": ["..."]}; only for invalid input.',
    )


def handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ToolUnavailable):
        exc = Conflict(str(exc))
    elif isinstance(exc, CribError):
        exc = BadRequest(str(exc))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, ProtectedError):
        used_by = ", ".join(sorted({str(o) for o in list(exc.protected_objects)[:3]}))
        exc = Conflict(f"This record is still used ({used_by}) and cannot be deleted.")
    elif isinstance(exc, IntegrityError):
        exc = Conflict(
            "This change conflicts with records already in the crib; nothing was changed."
        )
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge("The form fields of this request are too large.")
    elif isinstance(exc, TooManyFieldsSent):
        exc = BadRequest("This request has too many fields.")
    elif isinstance(exc, DataError):
        exc = BadRequest("A value is out of the range the crib can store; nothing was changed.")

    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": _first_message(exc.detail), "errors": flatten(exc.detail)}
    return response


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as flat paths: {"tools": [{"box": [...]}]} -> {"tools[0].box": [...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            # A list's errors come keyed by position: {"tools": {1: {...}}}.
            path = (
                f"{prefix}[{key}]"
                if isinstance(key, int)
                else f"{prefix}.{key}"
                if prefix
                else str(key)
            )
            out.update(flatten(value, path))
    elif isinstance(detail, list) and any(isinstance(v, (dict, list)) for v in detail):
        for i, value in enumerate(detail):
            out.update(flatten(value, f"{prefix}[{i}]"))
    elif isinstance(detail, list):
        if detail:
            out[prefix or "non_field_errors"] = [str(v) for v in detail]
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _first_message(detail: Any) -> str:
    errors = flatten(detail)
    if len(errors) == 1:
        [(field, messages)] = errors.items()
        return messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}"
    return "Invalid input: see errors for each field."


# Django's own error answers, for what never reaches an API view (an unknown /api/ address, a
# request Django refuses before any view, an unexpected error): JSON under /api/, pages elsewhere.


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _json(message: str, status_code: int) -> HttpResponse:
    return JsonResponse({"detail": message}, status=status_code)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return _json("The request could not be read.", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return _json("You do not have permission to perform this action.", 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return _json("Not found.", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return _json("The server failed on this request.", 500)
    return defaults.server_error(request)
