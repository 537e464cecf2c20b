"""Filters for the lists, as query parameters (?status=issued&tool_type=3)."""

from datetime import UTC
from typing import Any

import django_filters as filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from toolcrib.crib.models import (
    AuditEvent,
    Engineer,
    ForeignToolReport,
    Issue,
    Return,
    ReturnedTool,
    ToolInstance,
)


class UTCDateTimeField(IsoDateTimeField):
    # PostgreSQL refuses offsets beyond ±16 h that ISO 8601 allows: send it UTC.
    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        try:
            return value and value.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError("This moment is out of range.") from None


class Moment(filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class ToolInstanceFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=ToolInstance.Status.choices)
    number = filters.CharFilter(
        field_name="inventory_number", lookup_expr="icontains", label="Inventory number contains"
    )

    class Meta:
        model = ToolInstance
        fields = ["status", "tool_type", "number"]


class EngineerFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Engineer
        fields = ["badge_number", "name", "active"]


class ByTime(filters.FilterSet):
    """Records made since (inclusive) or until (exclusive) a moment."""

    since = Moment(field_name="created_at", lookup_expr="gte")
    until = Moment(field_name="created_at", lookup_expr="lt")


class IssueFilter(ByTime):
    class Meta:
        model = Issue
        fields = ["engineer"]


class ReturnFilter(ByTime):
    class Meta:
        model = Return
        fields = ["engineer"]


class ReturnedToolFilter(filters.FilterSet):
    engineer = filters.NumberFilter(field_name="tool_return__engineer")
    decision = filters.MultipleChoiceFilter(choices=ReturnedTool.Decision.choices)

    class Meta:
        model = ReturnedTool
        fields = ["decision", "engineer", "tool_return"]


class ForeignToolReportFilter(filters.FilterSet):
    open = filters.BooleanFilter(field_name="closed_at", lookup_expr="isnull", label="Not closed")

    class Meta:
        model = ForeignToolReport
        fields = ["open"]


class AuditEventFilter(ByTime):
    class Meta:
        model = AuditEvent
        fields = ["action", "object_type", "object_id", "actor_name"]
