"""Photos taken at the desk: upload (stored, boxes proposed), re-recognise one box, and crops.

The box editor (static/js/kit-photo.js) talks to these as JSON; a refusal is a 400 with a
message fit for the user, and stores nothing.
"""

import io
import json

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST
from PIL import Image, ImageOps

from toolcrib.crib import roles, services
from toolcrib.crib.models import Enrolment, IssuedTool, Photo, ReturnedTool
from toolcrib.crib.services import CribError
from toolcrib.front import access
from toolcrib.front.pick import likely_holder
from toolcrib.front.recognised import recognise


def _in_crib_only(request):
    # An issue proposes tools on the shelf; a return and an enrolment look at every enrolled tool.
    return request.POST.get("purpose") == "issue"


@require_POST
@access.needs(*roles.TAKES_PHOTOS, any_of=True)
def upload(request):
    upload = request.FILES.get("photo")
    if upload is None:
        return _refuse("No photo came with the upload: take it again.")
    try:
        photo = services.store_photo(upload.read(), name=upload.name, user=request.user)
    except CribError as e:
        return _refuse(str(e))
    tools = recognise(photo, None, in_crib_only=_in_crib_only(request))
    return JsonResponse(_with_holder(request, {"photo": photo_json(photo), "tools": tools}, tools))


@require_POST
@access.needs(*roles.TAKES_PHOTOS, any_of=True)
def recognise_box(request, pk):
    photo = get_object_or_404(Photo, pk=pk)
    try:
        box = services.check_box(photo, json.loads(request.POST.get("box", "null")))
    except (CribError, ValueError) as e:
        return _refuse(str(e) if isinstance(e, CribError) else "The box could not be read.")
    [tool] = recognise(photo, [box], in_crib_only=_in_crib_only(request))
    return JsonResponse(_with_holder(request, dict(tool), [tool]))


def _with_holder(request, answer, tools):
    """At the return desk: whose tools these look like, to fill in the engineer."""
    if request.POST.get("purpose") == "return":
        holder = likely_holder(tools)
        answer["engineer"] = holder and engineer_choice(holder)
    return answer


def photo_json(photo):
    return {"id": photo.pk, "url": photo.image.url, "width": photo.width, "height": photo.height}


def engineer_choice(engineer):
    """How an engineer is written in the pick field: badge first, so typing either finds them."""
    return f"{engineer.badge_number} · {engineer.name}"


def _refuse(message):
    return JsonResponse({"error": message}, status=400)


CROP_MODELS = {"enrolment": Enrolment, "issued": IssuedTool, "returned": ReturnedTool}


@access.accepts_tokens
@access.needs(access.VIEW)
def crop(request, kind, pk):
    """The tool's part of a stored photo, as a JPEG (for side-by-side checks and reports)."""
    model = CROP_MODELS.get(kind)
    if model is None or not request.user.has_perm(f"crib.view_{model._meta.model_name}"):
        raise Http404
    item = get_object_or_404(model.objects.select_related("photo"), pk=pk)
    if item.photo is None:
        raise Http404
    with item.photo.image.open("rb") as f:
        image = ImageOps.exif_transpose(Image.open(f))
        image = image.convert("RGB").crop(item.box)
    image.thumbnail((480, 480))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=88)
    response = HttpResponse(buf.getvalue(), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response
