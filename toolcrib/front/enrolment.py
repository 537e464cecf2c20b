"""The admin's pages: tool types, tool instances, engineers, reference photos, the threshold."""

import os

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from toolcrib.crib import services
from toolcrib.crib.models import (
    AuditEvent,
    CribSettings,
    Engineer,
    ToolInstance,
    ToolType,
    still_out,
)
from toolcrib.crib.services import CribError
from toolcrib.front import access
from toolcrib.front.kit_form import KitForm
from toolcrib.front.records import held_by, with_holders


class ToolTypeForm(forms.ModelForm):
    class Meta:
        model = ToolType
        fields = ["name", "description"]
        widgets = {"description": forms.TextInput}

    def save(self, commit=True):
        self.instance.slug = slugify(self.instance.name)
        return super().save(commit)

    def clean_name(self):
        name = self.cleaned_data["name"]
        if ToolType.objects.filter(slug=slugify(name)).exists():
            raise forms.ValidationError(f"A tool type like “{name}” already exists.")
        return name


class ToolInstanceForm(forms.ModelForm):
    class Meta:
        model = ToolInstance
        fields = ["inventory_number", "tool_type", "calibration_due", "notes"]
        widgets = {
            "calibration_due": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.TextInput,
        }


class EngineerForm(forms.ModelForm):
    class Meta:
        model = Engineer
        fields = ["badge_number", "name"]


def _list_with_form(request, form_class, perm, template, context):
    """A list page whose admins may add to it: the form only for them, and only they may post."""
    may_add = request.user.has_perm(perm)
    form = form_class(request.POST or None, label_suffix="") if may_add else None
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied
        if form.is_valid():
            obj = form.save()
            messages.success(request, f"Added {obj}.")
            return redirect(request.path)
    return render(request, template, {**context, "form": form})


@access.needs(access.VIEW)
def tool_types(request):
    types = ToolType.objects.annotate(
        instance_count=Count("instances"),
        in_crib=Count("instances", filter=Q(instances__status=ToolInstance.Status.IN_CRIB)),
    ).order_by("model_class_index", "name")  # a grouped query ignores Meta.ordering
    return _list_with_form(
        request, ToolTypeForm, "crib.add_tooltype", "front/tool_types.html", {"tool_types": types}
    )


@access.needs(access.VIEW)
def tools(request):
    found = (
        ToolInstance.objects.select_related("tool_type")
        .annotate(enrolment_count=Count("enrolments"))
        .order_by("inventory_number")
    )
    found = with_holders(found)
    q, status = request.GET.get("q", "").strip(), request.GET.get("status", "")
    if q:
        # By number, by type, or by who holds it now (badge or name).
        found = found.filter(
            Q(inventory_number__icontains=q) | Q(tool_type__name__icontains=q) | held_by(q)
        )
    if status:
        found = found.filter(status=status)
    return _list_with_form(
        request,
        ToolInstanceForm,
        "crib.add_toolinstance",
        "front/tools.html",
        {
            "tools": found,
            "q": q,
            "status": status,
            "statuses": ToolInstance.Status.choices,
        },
    )


@access.needs(access.VIEW)
def engineers(request):
    people = Engineer.objects.annotate(
        holding=Count("issues__tools", filter=still_out("issues__tools__"))
    ).order_by("name")
    return _list_with_form(
        request, EngineerForm, "crib.add_engineer", "front/engineers.html", {"engineers": people}
    )


class EnrolmentForm(KitForm):
    """A photo and its boxes, with no engineer: an enrolment can simply be done again."""

    engineer = None
    idempotency_key = None


@require_POST
@access.needs(access.ENROL)
def enrol(request, pk):
    """Reference photos of one tool instance: every box on the photo becomes an enrolment."""
    tool = get_object_or_404(ToolInstance, pk=pk)
    form = EnrolmentForm(request.POST)
    if not form.is_valid() or not form.boxed():
        messages.error(request, "Take or upload a reference photo and draw a box around the tool.")
        return redirect(tool)
    try:
        for line in form.boxed():
            services.enrol(tool, form.cleaned_data["photo"], line["box"], user=request.user)
    except CribError as e:
        messages.error(request, str(e))
    else:
        n = len(form.boxed())
        messages.success(request, f"Enrolled {n} reference photo{'s' if n != 1 else ''} of {tool}.")
    return redirect(tool)


class ThresholdForm(forms.Form):
    recount_threshold = forms.FloatField(
        min_value=0, max_value=100, label="Recount threshold (match %)"
    )


@access.needs(access.SETTINGS)
def crib_settings(request):
    current = CribSettings.current()
    form = ThresholdForm(
        request.POST or None,
        label_suffix="",
        initial={"recount_threshold": current.recount_threshold},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_threshold(form.cleaned_data["recount_threshold"], user=request.user)
        except CribError as e:
            form.add_error(None, str(e))
        else:
            messages.success(
                request, f"Recount threshold set to {form.cleaned_data['recount_threshold']:g}%."
            )
            return redirect("crib-settings")
    changes = AuditEvent.objects.filter(object_type="cribsettings").select_related("actor")[:10]
    return render(
        request,
        "front/settings.html",
        {
            "form": form,
            "current": current,
            "changes": changes,
            "default": settings.TOOLCRIB_DEFAULT_THRESHOLD,
            "default_from_env": bool(os.environ.get("TOOLCRIB_THRESHOLD")),
        },
    )
