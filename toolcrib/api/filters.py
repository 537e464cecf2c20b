"""Filters for the lists, as query parameters (?status=issued&tool_type=3)."""

import django_filters as filters

from toolcrib.crib.models import AuditEvent, Engineer, Issue, Return, ReturnedTool, ToolInstance


class ToolInstanceFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=ToolInstance.Status.choices)
    number = filters.CharFilter(field_name="inventory_number", lookup_expr="icontains", label="Inventory number contains")

    class Meta:
        model = ToolInstance
        fields = ["status", "tool_type", "number"]


class EngineerFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Engineer
        fields = ["badge_number", "name", "active"]


class TransactionFilter(filters.FilterSet):
    """Issues and returns: by engineer and by time."""

    since = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")


class IssueFilter(TransactionFilter):
    class Meta:
        model = Issue
        fields = ["engineer"]


class ReturnFilter(TransactionFilter):
    class Meta:
        model = Return
        fields = ["engineer"]


class ReturnedToolFilter(filters.FilterSet):
    engineer = filters.NumberFilter(field_name="tool_return__engineer")
    decision = filters.MultipleChoiceFilter(choices=ReturnedTool.Decision.choices)

    class Meta:
        model = ReturnedTool
        fields = ["decision", "engineer", "tool_return"]


class AuditEventFilter(filters.FilterSet):
    since = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["action", "object_type", "object_id", "actor_name", "since", "until"]
