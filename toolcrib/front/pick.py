"""Finding an engineer from what the desk typed, and the tool search behind the instance
pick fields. (From the tools in a photo: toolcrib/crib/holders.py.)"""

from django import forms
from django.db.models import Q
from django.http import JsonResponse

from toolcrib.crib import sites
from toolcrib.crib.models import Engineer, ToolInstance
from toolcrib.front import access


def find_engineer(text: str) -> Engineer | None:
    """'E1001 · Ivan Petrov' (the pick list's form), a badge number, or a full name."""
    text = (text or "").strip()
    if not text:
        return None
    badge = text.split("·")[0].strip()
    found = Engineer.objects.filter(badge_number__iexact=badge).first()
    if found is None:
        by_name = Engineer.objects.filter(name__iexact=text)
        found = by_name.first() if by_name.count() == 1 else None
    return found


def engineer_choice(engineer: Engineer) -> str:
    """How an engineer is written in the pick field: badge first, so typing either finds them.
    (kit-photo.js writes a suggested engineer the same way.)"""
    return f"{engineer.badge_number} · {engineer.name}"


class EngineerField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "list": "engineer-list",
                    "autocomplete": "off",
                    "placeholder": "Badge number or name",
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        engineer = find_engineer(value)
        if engineer is None:
            raise forms.ValidationError(
                f"No engineer with badge or name “{value}”. Pick one from the list."
            )
        return engineer


@access.needs(access.VIEW)
def tool_by_number(request):
    """The one tool with exactly this inventory number (what a scanner typed), with its
    holder; 404 with the reason in words when there is none."""
    number = request.GET.get("number", "").strip()
    tool = (
        sites.visible(ToolInstance.objects.select_related("tool_type"), request.user)
        .filter(inventory_number__iexact=number)
        .first()
        if number
        else None
    )
    if tool is None:
        return JsonResponse(
            {"detail": f"No tool {number[:100]} in the crib's records: nothing changed."},
            status=404,
        )
    held = tool.open_issued_tool()
    return JsonResponse(
        {
            "id": tool.pk,
            "inventory_number": tool.inventory_number,
            "tool_type": tool.tool_type.name,
            "status": tool.get_status_display(),
            "in_crib": tool.status == ToolInstance.Status.IN_CRIB,
            "holder": None
            if held is None
            else {
                "badge_number": held.issue.engineer.badge_number,
                "name": held.issue.engineer.name,
                "choice": engineer_choice(held.issue.engineer),
            },
        }
    )


@access.needs(access.VIEW)
def tool_search(request):
    """Tool instances whose number starts with / contains the query (for the instance pick)."""
    q = request.GET.get("q", "").strip()
    tools = sites.visible(ToolInstance.objects.select_related("tool_type"), request.user)
    if q:
        tools = tools.filter(Q(inventory_number__icontains=q) | Q(tool_type__name__icontains=q))
    if request.GET.get("in_crib"):
        tools = tools.filter(status=ToolInstance.Status.IN_CRIB)
    return JsonResponse(
        {
            "tools": [
                {
                    "id": t.pk,
                    "inventory_number": t.inventory_number,
                    "tool_type": t.tool_type.name,
                    "status": t.get_status_display(),
                }
                for t in tools[:20]
            ]
        }
    )
