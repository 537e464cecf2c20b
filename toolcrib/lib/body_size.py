"""Requests larger than the crib accepts are refused from their Content-Length, before any of the
body is parsed or stored: memory stays flat whatever size is announced.

A photo upload (multipart) may be TOOLCRIB_MAX_UPLOAD_MB plus room for its form fields; any other
body (JSON, forms) DATA_UPLOAD_MAX_MEMORY_SIZE (TOOLCRIB_MAX_JSON_KB). Django's WSGI request never
reads past Content-Length, so a body cannot be longer than it announced.
"""

from django.conf import settings
from django.http import JsonResponse

CHUNK = 64 * 1024


def limit_for(request) -> tuple[int, str]:
    if request.content_type == "multipart/form-data":
        fields = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return (
            settings.TOOLCRIB_MAX_UPLOAD_MB * 1024 * 1024 + fields,
            f"The upload is larger than {settings.TOOLCRIB_MAX_UPLOAD_MB} MB.",
        )
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return size, f"The request is larger than {size // 1024} KB."


class BodySizeLimit:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body then
        limit, message = limit_for(request)
        if length <= limit:
            return self.get_response(request)
        _discard_body(request)
        # The API answers {"detail"}; the desk's photo script reads {"error"}.
        key = "detail" if request.path_info.startswith("/api/") else "error"
        response = JsonResponse({key: message}, status=413)
        response["Connection"] = "close"
        return response


def _discard_body(request):
    """Read what the client sends and drop it, a chunk at a time: a client gets the 413 instead
    of a reset connection, and the development server's own drain would read it in one piece."""
    while request.read(CHUNK):
        pass
