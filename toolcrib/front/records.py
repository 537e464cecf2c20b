"""Past issues and returns, and the audit trail for QA: lists with filters, one page each."""

from datetime import datetime, time

from django import forms
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import render
from django.utils import timezone

from toolcrib.crib import sites
from toolcrib.crib.models import (
    AuditEvent,
    Issue,
    IssuedTool,
    Return,
    ReturnedTool,
    still_out,
)
from toolcrib.front import access

PAGE = 50


class Filters(forms.Form):
    """What every list filters on; each page adds its own `outcome` choices."""

    engineer = forms.CharField(required=False, label="Engineer")
    tool = forms.CharField(required=False, label="Tool")
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    outcome = forms.ChoiceField(required=False, label="Outcome")

    def __init__(self, data, outcomes):
        super().__init__(data, label_suffix="")
        self.fields["outcome"].choices = [("", "Any outcome"), *outcomes]
        self.fields["engineer"].widget.attrs["placeholder"] = "Badge or name"
        self.fields["tool"].widget.attrs["placeholder"] = "Inventory number"

    def narrow(self, records, *, engineer, tool):
        """Records matching the filters: `engineer` and `tool` name the lookups to use."""
        if not self.is_valid():
            return records.none()
        data = self.cleaned_data
        if data["engineer"]:
            text = data["engineer"]
            records = records.filter(
                Q(**{f"{engineer}__badge_number__iexact": text})
                | Q(**{f"{engineer}__name__icontains": text})
            )
        if data["tool"]:
            records = records.filter(**{f"{tool}__inventory_number__icontains": data["tool"]})
        return in_dates(records, data).distinct()


def in_dates(records, data):
    """From the start of `since` to the end of `until` (days in the crib's time zone)."""
    zone = timezone.get_current_timezone()
    if data["since"]:
        records = records.filter(created_at__gte=datetime.combine(data["since"], time.min, zone))
    if data["until"]:
        records = records.filter(created_at__lte=datetime.combine(data["until"], time.max, zone))
    return records


def _page(request, records):
    page = Paginator(records, PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


ISSUE_OUTCOMES = [
    ("out", "Some tools still out"),
    ("back", "All back in the crib"),
    ("lost", "A tool lost"),
]


def _count(relation: str, where: Q) -> Count:
    return Count(relation, filter=where or None, distinct=True)


@access.needs(access.VIEW)
def issues(request):
    filters = Filters(request.GET, ISSUE_OUTCOMES)
    found = filters.narrow(
        sites.visible(Issue.objects.all(), request.user),
        engineer="engineer",
        tool="tools__tool_instance",
    )
    outcome = filters.is_valid() and filters.cleaned_data["outcome"]
    if outcome == "out":
        found = found.filter(still_out("tools__"))
    elif outcome == "back":
        found = found.exclude(still_out("tools__")).exclude(
            tools__returned__decision=ReturnedTool.Decision.MISSING
        )
    elif outcome == "lost":
        found = found.filter(tools__returned__decision=ReturnedTool.Decision.MISSING)
    # Counted over all of an issue's tools the user sees, not only those the filters matched.
    seen = sites.seen_through("tools", IssuedTool, request.user)
    found = (
        Issue.objects.filter(pk__in=found.values("pk"))
        .select_related("engineer", "storekeeper")
        .annotate(
            tool_count=_count("tools", seen),
            out_count=_count("tools", seen & still_out("tools__")),
            lost_count=_count(
                "tools", seen & Q(tools__returned__decision=ReturnedTool.Decision.MISSING)
            ),
        )
        .order_by("-created_at", "-id")
    )
    page, query = _page(request, found)
    return render(request, "front/issues.html", {"filters": filters, "page": page, "query": query})


@access.needs(access.VIEW)
def returns(request):
    filters = Filters(request.GET, ReturnedTool.Decision.choices)
    found = filters.narrow(
        sites.visible(Return.objects.all(), request.user),
        engineer="engineer",
        tool="tools__issued_tool__tool_instance",
    )
    if filters.is_valid() and filters.cleaned_data["outcome"]:
        found = found.filter(tools__decision=filters.cleaned_data["outcome"])
    seen = sites.seen_through("tools", ReturnedTool, request.user)
    counts = {
        f"{d}_count": _count("tools", seen & Q(tools__decision=d))
        for d in ReturnedTool.Decision.values
    }
    found = (
        Return.objects.filter(pk__in=found.values("pk"))
        .select_related("engineer", "desk_user")
        .annotate(
            **counts,
            still_out_count=_count(
                "still_out_tools", sites.seen_through("still_out_tools", IssuedTool, request.user)
            ),
        )
        .order_by("-created_at", "-id")
    )
    page, query = _page(request, found)
    return render(request, "front/returns.html", {"filters": filters, "page": page, "query": query})


class AuditFilters(forms.Form):
    action = forms.ChoiceField(required=False, label="Action")
    object_type = forms.ChoiceField(required=False, label="Record")
    actor = forms.CharField(required=False, label="Who")
    since = Filters.base_fields["since"]
    until = Filters.base_fields["until"]

    def __init__(self, data, user):
        super().__init__(data, label_suffix="")
        events = sites.visible(AuditEvent.objects.order_by(), user)
        for name, label in (("action", "Any action"), ("object_type", "Any record")):
            values = events.values_list(name, flat=True).distinct().order_by(name)
            self.fields[name].choices = [("", label), *((v, v) for v in values)]


@access.needs("crib.view_auditevent")
def audit(request):
    filters = AuditFilters(request.GET, request.user)
    events = sites.visible(AuditEvent.objects.all(), request.user)
    if not filters.is_valid():
        events = events.none()
    else:
        data = filters.cleaned_data
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["object_type"]:
            events = events.filter(object_type=data["object_type"])
        if data["actor"]:
            events = events.filter(actor_name__icontains=data["actor"])
        events = in_dates(events, data)
    page, query = _page(request, events)
    return render(request, "front/audit.html", {"filters": filters, "page": page, "query": query})


def with_holders(tools):
    """Tool instances with `open_issued`: who holds each now (the tools list's column)."""
    return tools.prefetch_related(
        Prefetch(
            "issued",
            IssuedTool.objects.open().select_related("issue__engineer"),
            to_attr="open_issued",
        )
    )


def held_by(text: str) -> Q:
    """Tool instances held now by an engineer with this badge or name (the tools search)."""
    holding = IssuedTool.objects.open().filter(
        Q(issue__engineer__badge_number__iexact=text) | Q(issue__engineer__name__icontains=text)
    )
    return Q(pk__in=holding.values("tool_instance"))
