"""The admin's pages: tool types, tool instances, engineers, reference photos, the threshold."""

import os

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from toolcrib.crib import calibration, loans, services
from toolcrib.crib.models import (
    AuditEvent,
    CribSettings,
    Engineer,
    Enrolment,
    Photo,
    Site,
    ToolInstance,
    ToolType,
    still_out,
)
from toolcrib.crib.services import CribError
from toolcrib.crib.sites import site_of, visible
from toolcrib.front import access
from toolcrib.front.kit_form import KitForm
from toolcrib.front.people import EngineerForm
from toolcrib.front.records import held_by, with_holders
from toolcrib.lib.json_limits import JSONFormField


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


# Where a tool lives: the site and its place in that site's crib.
HOME_FIELDS = ["site", "crib", "cabinet", "drawer", "bin"]


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["code", "name"]


class ToolInstanceForm(forms.ModelForm):
    class Meta:
        model = ToolInstance
        fields = ["inventory_number", "tool_type", "calibration_due", "notes", *HOME_FIELDS]
        widgets = {
            "calibration_due": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.TextInput,
        }


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
        request,
        ToolTypeForm,
        "crib.add_tooltype",
        "front/tool_types.html",
        {
            "tool_types": types,
            "crib_loan": loans.crib_period(),
            "may_set_loans": request.user.has_perm(access.EDIT_TOOL_TYPES),
        },
    )


@require_POST
@access.needs(access.EDIT_TOOL_TYPES)
def tool_type_loan(request, pk):
    tool_type = get_object_or_404(ToolType, pk=pk)
    try:
        tool_type = loans.set_type_hours(
            tool_type, request.POST.get("loan_hours"), user=request.user
        )
    except CribError as e:
        messages.error(request, str(e))
    else:
        period = loans.period_for(tool_type)
        messages.success(
            request,
            f"{tool_type.name}: due back {period.hours} hours after issue ({period.source}).",
        )
    return redirect("tool-types")


def _sites_of(user):
    limit = site_of(user)
    return Site.objects.filter(pk=limit.pk) if limit else Site.objects.all()


@access.needs(access.VIEW)
def tools(request):
    found = (
        visible(ToolInstance.objects.all(), request.user)
        .select_related("tool_type", "site")
        .annotate(enrolment_count=Count("enrolments"))
        .order_by("inventory_number")
    )
    found = with_holders(found)
    q, status = request.GET.get("q", "").strip(), request.GET.get("status", "")
    site = request.GET.get("site", "")
    if site.isdigit():
        found = found.filter(site_id=int(site))
    else:
        site = ""
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
            "site": site,
            "sites": _sites_of(request.user),
        },
    )


@access.needs(access.VIEW)
def sites(request):
    found = Site.objects.annotate(tool_count=Count("tools"))
    return _list_with_form(request, SiteForm, "crib.add_site", "front/sites.html", {"sites": found})


@access.needs(access.VIEW)
def engineers(request):
    # What each holds, of the user's site's tools if they are limited to one.
    held = still_out("issues__tools__")
    if limit := site_of(request.user):
        held &= Q(issues__tools__tool_instance__site=limit)
    people = Engineer.objects.annotate(holding=Count("issues__tools", filter=held)).order_by("name")
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
    """A reference photo of one tool instance: the one box the admin chose, never every box
    on the photo (table texture boxed by mistake would become this tool's reference)."""
    tool = get_object_or_404(
        visible(ToolInstance.objects.select_related("tool_type"), request.user), pk=pk
    )
    form = EnrolmentForm(request.POST)
    if not form.is_valid() or not form.boxed():
        messages.error(request, "Take or upload a reference photo and draw a box around the tool.")
        return redirect(tool)
    if len(form.boxed()) > 1:
        messages.error(
            request,
            f"The photo has {len(form.boxed())} boxes: keep only the one around {tool} "
            "(select it, or remove the others); nothing was enrolled.",
        )
        return redirect(tool)
    try:
        [line] = form.boxed()
        enrolment = services.enrol(tool, form.cleaned_data["photo"], line["box"], user=request.user)
    except CribError as e:
        messages.error(request, str(e))
        return redirect(tool)
    messages.success(request, f"Enrolled 1 reference photo of {tool}.")
    if other := services.type_read_otherwise(enrolment):
        messages.warning(
            request,
            f"The model reads this box as {other.name}, not {tool.tool_type.name}: if the box is "
            f"not around {tool}, remove this reference photo below.",
        )
    return redirect(tool)


class ManyPhotosForm(forms.Form):
    """Several reference photos of one tool: [{"photo": id, "box": [x0, y0, x1, y1]}, ...],
    each box shown with its recognised type on the page before saving."""

    items = JSONFormField(required=False, widget=forms.HiddenInput)

    def clean_items(self):
        items = self.cleaned_data["items"]
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(i, dict) and isinstance(i.get("photo"), int) for i in items)
        ):
            raise forms.ValidationError("Choose at least one photo with a box to enrol.")
        photos = Photo.objects.in_bulk([i["photo"] for i in items])
        if len(photos) != len({i["photo"] for i in items}):
            raise forms.ValidationError("One of the photos is no longer stored: add it again.")
        return [(photos[i["photo"]], i.get("box")) for i in items]


@require_POST
@access.needs(access.ENROL)
def enrol_many(request, pk):
    """All the chosen photos, one box each, or none of them."""
    tool = get_object_or_404(
        visible(ToolInstance.objects.select_related("tool_type"), request.user), pk=pk
    )
    form = ManyPhotosForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["items"]) + " Nothing was enrolled.")
        return redirect(tool)
    items = form.cleaned_data["items"]
    try:
        with transaction.atomic():
            done = [services.enrol(tool, photo, box, user=request.user) for photo, box in items]
    except CribError as e:
        messages.error(request, f"{e} Nothing was enrolled.")
        return redirect(tool)
    messages.success(request, f"Enrolled {len(done)} reference photos of {tool}.")
    others = [(n, t) for n, e in enumerate(done, 1) if (t := services.type_read_otherwise(e))]
    if others:
        said = ", ".join(f"photo {n} as {t.name}" for n, t in others)
        messages.warning(
            request,
            f"The model reads {said}, not {tool.tool_type.name}: remove those reference photos "
            "below if their box is not around the tool.",
        )
    return redirect(tool)


@require_POST
@access.needs("crib.delete_enrolment")
def remove_enrolment(request, pk):
    enrolment = get_object_or_404(
        visible(Enrolment.objects.select_related("tool_instance"), request.user), pk=pk
    )
    tool = enrolment.tool_instance
    services.remove_enrolment(enrolment, user=request.user)
    messages.success(request, f"Removed a reference photo of {tool}.")
    return redirect(tool)


class SettingsForm(forms.Form):
    accepted_risk = forms.FloatField(
        min_value=0,
        max_value=1000,
        label="Accepted risk (false accepts per 1,000 returned tools)",
    )
    recount_threshold = forms.FloatField(
        min_value=0, max_value=100, label="For experts: raw match floor (%)"
    )
    loan_hours = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=loans.MAX_HOURS,
        label="Loan period (hours after issue)",
    )
    marking_patterns = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        label="Inventory-number patterns (regular expressions, one per line)",
        error_messages={"required": "Give at least one inventory-number pattern."},
        help_text="Text read off a tool counts as a number only when it fits one of them, "
        "e.g. [A-Z]{2}-\\d{6}-\\d for AT-288293-6.",
    )
    marking_min_partial = forms.IntegerField(
        min_value=services.MIN_PARTIAL_RANGE[0],
        max_value=services.MIN_PARTIAL_RANGE[1],
        label="Shortest partial read that may confirm the issued tool (characters)",
    )

    def clean_marking_patterns(self):
        try:
            return services.clean_marking_patterns(self.cleaned_data["marking_patterns"])
        except CribError as e:
            raise forms.ValidationError(str(e)) from None


# How each setting reads in the list of changes.
SETTING_WORDS = {
    "accepted_risk": ("accepted risk", " per 1,000"),
    "recount_threshold": ("raw match floor", " %"),
    "loan_hours": ("loan", " hours"),
    "marking_patterns": ("number patterns", ""),
    "marking_min_partial": ("shortest partial read", " characters"),
}


def _setting_value(value, unit: str) -> str:
    if value is None:
        return "not set"
    if isinstance(value, str):  # the patterns, one per line
        return " ".join(f"“{line}”" for line in value.splitlines()) or "none"
    return f"{value:g}{unit}"


RISK_STEPS = (1, 2, 5, 10, 20, 50, 100)


def change_text(event) -> str:
    """An audit event of the settings in words: "accepted risk 20 → 10 per 1,000"."""
    after, before = event.after or {}, event.before or {}
    parts = []
    for key, (name, unit) in SETTING_WORDS.items():
        if key not in after:
            continue
        if event.action == "changed":
            parts.append(
                f"{name} {_setting_value(before.get(key), unit)} → "
                f"{_setting_value(after[key], unit)}"
            )
        else:
            parts.append(f"{name} {_setting_value(after[key], unit)}")
    text = ", ".join(parts) or event.action
    return text if event.action == "changed" else f"{event.action}: {text}"


def costs(in_use, current_risk: float) -> list[dict]:
    """What each accepted risk costs on the data the calibration was measured on."""
    rows = []
    for risk in sorted(set(RISK_STEPS) | {current_risk}):
        point = in_use.point(risk)
        rows.append(
            {
                "risk": risk,
                "current": risk == current_risk,
                "level": None if point is None else point.probability * 100,
                "accepted": 0.0 if point is None else point.accepted * 100,
                "clicks": 100.0 if point is None else 100 - point.accepted * 100,
                "measured": None if point is None else point.false_accepts,
                "upper": None if point is None else point.false_accepts_upper,
            }
        )
    return rows


@access.needs(access.SETTINGS)
def crib_settings(request):
    current = CribSettings.current()
    form = SettingsForm(
        request.POST or None,
        label_suffix="",
        initial={
            "accepted_risk": current.accepted_risk,
            "recount_threshold": current.recount_threshold,
            "loan_hours": current.loan_hours,
            "marking_patterns": current.marking_patterns,
            "marking_min_partial": current.marking_min_partial,
        },
    )
    env_period = loans.crib_period(CribSettings(loan_hours=None))
    form.fields[
        "loan_hours"
    ].help_text = f"Empty: {env_period.hours} hours, from {env_period.source}."
    if request.method == "POST" and form.is_valid():
        risk, floor = form.cleaned_data["accepted_risk"], form.cleaned_data["recount_threshold"]
        hours = form.cleaned_data["loan_hours"]
        patterns, partial = (
            form.cleaned_data["marking_patterns"],
            form.cleaned_data["marking_min_partial"],
        )
        try:
            with transaction.atomic():
                if risk != current.accepted_risk:
                    services.set_risk(risk, user=request.user)
                if floor != current.recount_threshold:
                    services.set_threshold(floor, user=request.user)
                if hours != current.loan_hours:
                    loans.set_crib_hours(hours, user=request.user)
                if (patterns, partial) != (current.marking_patterns, current.marking_min_partial):
                    services.set_marking_rules(patterns, partial, user=request.user)
        except CribError as e:
            form.add_error(None, str(e))
        else:
            period = loans.crib_period()
            messages.success(
                request,
                f"Accepted risk {risk:g} per 1,000 returned tools; raw match floor {floor:g}%; "
                f"loan period {period.hours} hours ({period.source}).",
            )
            return redirect("crib-settings")
    in_use = calibration.in_use()
    changes = AuditEvent.objects.filter(object_type="cribsettings").select_related("actor")[:10]
    for change in changes:
        change.text = change_text(change)
    point = in_use.point(current.accepted_risk)
    return render(
        request,
        "front/settings.html",
        {
            "form": form,
            "current": current,
            "changes": changes,
            "in_use": in_use,
            "point": point,
            "costs": costs(in_use, current.accepted_risk),
            "loan": loans.crib_period(current),
            "type_loans": ToolType.objects.exclude(loan_hours=None),
            "default": settings.TOOLCRIB_DEFAULT_THRESHOLD,
            "default_from_env": bool(os.environ.get("TOOLCRIB_THRESHOLD")),
        },
    )
