"""Stored photos under /media/: evidence, served only to those who may read it.

Django serves them (never a public folder, never the web server alone), through the storage the
photo was saved in, so the same check holds for a local folder and an object store. A user
limited to a site reads only the photos of its records (sites.reaches_photo): another site's
is 404.
"""

import mimetypes

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404

from toolcrib.crib import sites
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
    if not sites.reaches_photo(request.user, photo):
        raise Http404  # another site's photo is not found, as its records are not
    response = FileResponse(
        photo.image.open("rb"), content_type=mimetypes.guess_type(path)[0] or "image/jpeg"
    )
    response["Cache-Control"] = "private, max-age=86400"
    return response
