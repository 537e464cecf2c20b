"""Stored photos under /media/: evidence, served only to those who may read it.

Django serves them (never a public folder, never the web server alone), through the storage the
photo was saved in, so the same check holds for a local folder and an object store.
"""

import mimetypes

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404

from toolcrib.crib.models import Photo
from toolcrib.front import access


@access.accepts_tokens
@login_required
def photo_file(request, path):
    photo = Photo.objects.filter(image=path).first()
    if photo is None:
        raise Http404
    if not photo.readable_by(request.user):
        raise PermissionDenied
    response = FileResponse(
        photo.image.open("rb"), content_type=mimetypes.guess_type(path)[0] or "image/jpeg"
    )
    response["Cache-Control"] = "private, max-age=86400"
    return response
