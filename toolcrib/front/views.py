from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render

from toolcrib.crib.models import ToolInstance, ToolType


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
