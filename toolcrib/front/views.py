import io

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from PIL import Image, ImageOps

from toolcrib.crib.models import Enrolment, IssuedTool, ReturnedTool, ToolInstance, ToolType


@login_required
def home(request):
    return render(request, "front/home.html", {"tool_types": _tool_types()})


@login_required
def tool_types(request):
    return render(request, "front/tool_types.html", {"tool_types": _tool_types()})


def _tool_types():
    return ToolType.objects.annotate(
        instance_count=Count("instances"),
        in_crib=Count("instances", filter=Q(instances__status=ToolInstance.Status.IN_CRIB)),
    )


CROP_MODELS = {"enrolment": Enrolment, "issued": IssuedTool, "returned": ReturnedTool}


@login_required
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
