"""/healthz: is this server usable? For a load balancer or a monitoring check; no sign-in.

200 when the database, the photo storage and the model all work, else 503; the JSON says which
part fails and why. Each check does a real round trip (a query on the crib's tables, a file
written, read back and deleted), so a server whose disk is full or whose database is away
answers 503 however healthy its process looks.
"""

import uuid

from django.core.files.base import ContentFile
from django.db import DatabaseError
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from inference import runtime
from toolcrib.crib.models import CribSettings, Photo


def database() -> tuple[bool, str]:
    try:
        CribSettings.objects.exists()  # the crib's own table: a database without it is no use
    except DatabaseError as e:
        return False, f"The database is not usable: {str(e).strip() or type(e).__name__}"
    return True, "The database answers."


def storage() -> tuple[bool, str]:
    store = Photo._meta.get_field("image").storage
    probe = b"toolcrib health check"
    try:
        name = store.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(probe))
        try:
            with store.open(name, "rb") as f:
                back = f.read()
        finally:
            store.delete(name)
    except Exception as e:  # any storage backend's failure: disk full, permissions, S3 away
        return False, f"The photo storage is not usable: {e}"
    if back != probe:
        return False, "The photo storage gave back something else than was written."
    return True, "Photos can be stored and read."


def model() -> tuple[bool, str]:
    status = runtime.model_status()
    return status.available, status.message


CHECKS = {"database": database, "storage": storage, "model": model}


@never_cache
@require_safe
def healthz(request):
    parts = {}
    for name, check in CHECKS.items():
        ok, message = check()
        parts[name] = {"ok": ok, "message": message}
    healthy = all(part["ok"] for part in parts.values())
    return JsonResponse({"ok": healthy, **parts}, status=200 if healthy else 503)
