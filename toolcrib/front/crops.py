"""Crops: the tool's part of a stored photo, as a JPEG, for the pages and the reports.

(The box editor stores and recognises photos through the REST API: /api/photos/,
/api/recognition/.)
"""

import io

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from PIL import Image, ImageOps

from inference import preprocess, turned
from toolcrib.crib import sites
from toolcrib.crib.models import Enrolment, IssuedTool, ReturnedTool
from toolcrib.front import access

CROP_MODELS = {"enrolment": Enrolment, "issued": IssuedTool, "returned": ReturnedTool}


@access.accepts_tokens
@access.needs(access.VIEW)
def crop(request, kind, pk):
    """The tool's part of a stored photo, as a JPEG (for side-by-side checks and reports)."""
    model = CROP_MODELS.get(kind)
    if model is None or not request.user.has_perm(f"crib.view_{model._meta.model_name}"):
        raise Http404
    item = get_object_or_404(
        sites.visible(model.objects.select_related("photo"), request.user), pk=pk
    )
    if item.photo is None:
        raise Http404
    with item.photo.image.open("rb") as f:
        image = ImageOps.exif_transpose(Image.open(f)).convert("RGB")
        # A turned box is shown turned level: as the model saw it, and like with like.
        photo = preprocess.DecodedPhoto(image=image, size=image.size, scale=1)
        image = photo.level(item.box) if turned.angle_of(item.box) else image.crop(item.box)
    image.thumbnail((480, 480))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=88)
    response = HttpResponse(buf.getvalue(), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response
