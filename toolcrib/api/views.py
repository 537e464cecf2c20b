"""The API's endpoints: declarative viewsets over the crib's records; the desk's work (issue,
return, recount, enrolment, threshold) goes through `services`, as it does from the pages."""

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, cast

from django.contrib.auth.models import User
from django.contrib.postgres.aggregates import ArrayAgg
from django.db import transaction
from django.db.models import Model, Prefetch, Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import BasePagination, LimitOffsetPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from inference import runtime
from toolcrib.api import errors, filters, serializers
from toolcrib.api.parsers import LimitedJSONParser
from toolcrib.api.permissions import CribPermissions, TakesPhotos
from toolcrib.api.schema import CribSchema
from toolcrib.crib import (
    audit,
    dashboard,
    extras,
    history,
    holders,
    recognition,
    reports,
    services,
    sites,
)
from toolcrib.crib.models import (
    AuditEvent,
    CribSettings,
    Engineer,
    Enrolment,
    ForeignToolReport,
    Issue,
    IssuedTool,
    Photo,
    Return,
    ReturnedTool,
    ToolInstance,
    ToolType,
    still_out,
)


class Pagination(LimitOffsetPagination):
    max_limit = 500


class CribAPI(GenericAPIView):
    # What every endpoint shares: auth, roles, one error format, audited all-or-nothing writes.

    # Token first: an anonymous request gets 401 with `WWW-Authenticate: Token`.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [CribPermissions]
    pagination_class: type[BasePagination] | None = Pagination
    schema = CribSchema()
    metadata_class = None  # OPTIONS answers 405; the schema describes every endpoint

    def get_exception_handler(self) -> Callable[..., Response | None]:
        return errors.handle

    def get_queryset(self) -> QuerySet:
        # A user limited to a site finds only its records, on every endpoint (sites.py).
        return sites.visible(super().get_queryset(), self.request.user)

    @contextlib.contextmanager
    def changing(self) -> Iterator[None]:
        """All or nothing (files of photos stored on the way included), in the audit trail
        under the request's user (ActorMiddleware knows        only session users; token users are known from here on)."""
        with (
            services.photos_kept_only_if_done(),
            audit.acting_as(self.request.user),
            transaction.atomic(),
        ):
            yield

    def perform_create(self, serializer: BaseSerializer) -> None:
        with self.changing():
            serializer.save()

    def perform_update(self, serializer: BaseSerializer) -> None:
        with self.changing():
            serializer.save()

    def perform_destroy(self, instance: Model) -> None:
        with self.changing():
            instance.delete()


JSON_OR_MULTIPART = [LimitedJSONParser, MultiPartParser, FormParser]


class WithHistory(GenericAPIView):
    history_of: Callable[[Any, Any], list]  # each viewset's history function (record, user)

    # `{id}/history/`, for tool instances and engineers; a comment, as a docstring would
    # describe every operation of the viewset.

    @extend_schema(
        responses=serializers.HistoryEntrySerializer(many=True),
        description="Every issue, return line and change, oldest first (not paged).",
    )
    @action(detail=True, pagination_class=None, filterset_class=None)
    def history(self, request: Request, pk: str | None = None) -> Response:
        entries = self.history_of(self.get_object(), request.user)
        return Response(serializers.HistoryEntrySerializer(entries, many=True).data)


class ToolTypeViewSet(CribAPI, viewsets.ModelViewSet):
    queryset = ToolType.objects.all()
    serializer_class = serializers.ToolTypeSerializer
    filterset_fields = ["slug", "model_class_index"]


class ToolInstanceViewSet(CribAPI, WithHistory, viewsets.ModelViewSet):
    queryset = ToolInstance.objects.prefetch_related(
        Prefetch(
            "issued",
            IssuedTool.objects.open().select_related("issue__engineer"),
            to_attr="open_issued",
        )
    )
    serializer_class = serializers.ToolInstanceSerializer
    filterset_class = filters.ToolInstanceFilter
    history_of = staticmethod(history.tool_history)


class EngineerViewSet(CribAPI, WithHistory, viewsets.ModelViewSet):
    queryset = Engineer.objects.annotate(
        held_numbers=ArrayAgg(
            "issues__tools__tool_instance__inventory_number",
            filter=still_out("issues__tools__"),
        )
    )
    serializer_class = serializers.EngineerSerializer
    filterset_class = filters.EngineerFilter
    history_of = staticmethod(history.engineer_history)

    def get_queryset(self) -> QuerySet:
        # What each holds, of the user's site's tools if they are limited to one (sites.py).
        if site := sites.site_of(self.request.user):
            held = still_out("issues__tools__") & Q(issues__tools__tool_instance__site=site)
            return Engineer.objects.annotate(
                held_numbers=ArrayAgg("issues__tools__tool_instance__inventory_number", filter=held)
            )
        return super().get_queryset()


class PhotoViewSet(CribAPI, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Photos are evidence: uploaded, never changed or deleted."""

    queryset = Photo.objects.select_related("uploaded_by").order_by("-created_at", "-id")
    serializer_class = serializers.PhotoSerializer
    permission_classes = [TakesPhotos]
    parser_classes = [MultiPartParser]


class EnrolmentViewSet(
    CribAPI, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Reference photos of tool instances. To move a box, delete the enrolment and enrol again."""

    queryset = Enrolment.objects.select_related("enrolled_by")
    serializer_class = serializers.EnrolmentSerializer
    parser_classes = JSON_OR_MULTIPART
    filterset_fields = ["tool_instance"]


class RecognitionView(CribAPI, GenericAPIView):
    """What tools are in a photo: boxes, likely tool types, nearest enrolled tool instances.

    When the model is unavailable the answer is still 200: `recognition.available` is false,
    its message says why, and `types`/`instances` are empty, so a desk can go on by hand.
    """

    queryset = Photo.objects.none()  # what it reads
    permission_classes = [TakesPhotos]
    serializer_class = serializers.RecognitionRequestSerializer
    parser_classes = JSON_OR_MULTIPART

    @extend_schema(responses=serializers.RecognitionSerializer)
    def post(self, request: Request) -> Response:
        asked = cast(
            serializers.RecognitionRequestSerializer, self.get_serializer(data=request.data)
        )
        asked.is_valid(raise_exception=True)
        with self.changing():  # a new photo is kept only if its boxes fit it
            photo = asked.photo_or_upload()
            boxes = asked.validated_data.get("boxes")
            if boxes is not None:
                boxes = [services.check_box(photo, box) for box in boxes]
        tools = recognition.recognise_photo(
            photo,
            boxes,
            in_crib_only=asked.validated_data["in_crib_only"],
            expected=asked.expected(),
            at_most=asked.at_most(),
            wait=asked.validated_data["markings"] == "wait",
            site=sites.site_of(request.user),
        )
        result = {"photo": photo.pk, "recognition": runtime.model_status(), "tools": tools}
        if asked.validated_data["find_engineer"]:
            result["engineer"] = holders.likely_holder(tools)
        return Response(serializers.RecognitionSerializer(result).data)


class RecognitionMarkingsView(CribAPI, GenericAPIView):
    """What is read off the tool in each box (codes, numbers), for the boxes /api/recognition/
    answered with `check: reading`: readings the marking reader has kept are given, the others
    are `check: reading` still (queued for the reader, which takes seconds a box): ask again.
    The issue or return that uses these boxes reuses the kept readings."""

    queryset = Photo.objects.none()  # what it reads
    permission_classes = [TakesPhotos]
    serializer_class = serializers.MarkingsRequestSerializer

    @extend_schema(responses=serializers.MarkingsSerializer)
    def post(self, request: Request) -> Response:
        asked = self.get_serializer(data=request.data)
        asked.is_valid(raise_exception=True)
        photo = asked.validated_data["photo"]
        boxes = [services.check_box(photo, box) for box in asked.validated_data["boxes"]]
        read = recognition.read_boxes(photo, boxes)
        answer = {
            "photo": photo.pk,
            "markings": [
                {
                    "box": box,
                    "marking": recognition.Suggestion(
                        box, 1.0, marking=m, named=t, reading=m is None
                    ).marking_answer,
                }
                for box, (m, t) in zip(boxes, read)
            ],
        }
        return Response(serializers.MarkingsSerializer(answer).data)


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Any unique string up to 100 characters; a retried request with the same key "
    "answers with the first transaction instead of making a second one.",
)


def signed_in(request: Request) -> User:
    """The request's user; CribPermissions has refused anonymous requests before a view runs."""
    return cast(User, request.user)


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 100:
        raise drf_serializers.ValidationError({"Idempotency-Key": ["At most 100 characters."]})
    return key or None


class TransactionViewSet(CribAPI, viewsets.ReadOnlyModelViewSet):
    """Issues and returns: made at the desk through services, read by all, never changed."""

    # Given by each subclass: what a request holds, the service call, the report.
    request_serializer_class: type[drf_serializers.Serializer]
    make: Callable[..., Issue | Return]
    build_report: Callable[..., dict]

    def create(self, request: Request) -> Response:
        asked = self.request_serializer_class(data=request.data)
        asked.is_valid(raise_exception=True)
        made = self.make(signed_in(request), asked.validated_data, idempotency_key(request))
        return Response(
            self.get_serializer(self.get_queryset().get(pk=made.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @action(detail=True, filterset_class=None)
    def report(self, request: Request, pk: str | None = None) -> Response:
        return Response(self.build_report(self.get_object(), request))


def transaction_schema(
    request: type[BaseSerializer], response: type[BaseSerializer], report: type[BaseSerializer]
) -> Callable[[type], type]:
    return extend_schema_view(
        create=extend_schema(
            request=request, responses={201: response}, parameters=[IDEMPOTENCY_KEY]
        ),
        report=extend_schema(responses=report),
    )


@transaction_schema(
    serializers.IssueRequestSerializer,
    serializers.IssueSerializer,
    serializers.IssueReportSerializer,
)
class IssueViewSet(TransactionViewSet):
    queryset = Issue.objects.select_related("storekeeper").prefetch_related(
        Prefetch("tools", IssuedTool.objects.select_related("tool_instance"))
    )
    serializer_class = serializers.IssueSerializer
    request_serializer_class = serializers.IssueRequestSerializer
    filterset_class = filters.IssueFilter
    write_permissions = {"POST": ["crib.issue_tools"]}
    build_report = staticmethod(reports.issue_report)

    def make(self, user: User, data: dict[str, Any], key: str | None) -> Issue:
        lines = [services.ToolLine(**line) for line in data["tools"]]
        return services.issue_tools(
            engineer=data["engineer"],
            storekeeper=user,
            lines=lines,
            due_back=data.get("due_back"),
            idempotency_key=key,
        )


@transaction_schema(
    serializers.ReturnRequestSerializer,
    serializers.ReturnSerializer,
    serializers.ReturnReportSerializer,
)
class ReturnViewSet(TransactionViewSet):
    queryset = Return.objects.select_related("desk_user").prefetch_related(
        Prefetch(
            "tools", ReturnedTool.objects.select_related("issued_tool__tool_instance", "decided_by")
        ),
        Prefetch("still_out_tools", IssuedTool.objects.select_related("tool_instance")),
    )
    serializer_class = serializers.ReturnSerializer
    request_serializer_class = serializers.ReturnRequestSerializer
    filterset_class = filters.ReturnFilter
    write_permissions = {"POST": ["crib.return_tools"]}
    build_report = staticmethod(reports.return_report)

    def make(self, user: User, data: dict[str, Any], key: str | None) -> Return:
        sightings = [(crop["photo"], crop["box"]) for crop in data["crops"]]
        return services.return_tools(
            engineer=data["engineer"],
            desk_user=user,
            sightings=sightings,
            idempotency_key=key,
            ends=data["ends"],
            scanned_numbers=data["scanned_numbers"],
        )


class ReturnedToolViewSet(CribAPI, viewsets.ReadOnlyModelViewSet):
    """Return lines; `?decision=recount_required` lists the tools waiting for a manual recount."""

    queryset = ReturnedTool.objects.select_related("issued_tool__tool_instance", "decided_by")
    serializer_class = serializers.ReturnedToolSerializer
    filterset_class = filters.ReturnedToolFilter
    write_permissions = {"POST": ["crib.decide_recount"]}

    @extend_schema(
        request=serializers.RecountSerializer, responses=serializers.ReturnedToolSerializer
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def recount(self, request: Request, pk: str | None = None) -> Response:
        line = self.get_object()
        asked = serializers.RecountSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        services.decide_recount(line, user=signed_in(request), **asked.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=line.pk)).data)

    @extend_schema(
        request=serializers.ConfirmSerializer,
        responses=serializers.ReturnedToolSerializer(many=True),
    )
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def confirm(self, request: Request) -> Response:
        """Confirm by eye: the desk saw the issue and return crops and says it is the same
        tool. No reason needed; several lines at once, all or none."""
        asked = serializers.ConfirmSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        lines = services.confirm_by_eye(asked.validated_data["lines"], user=signed_in(request))
        fresh = self.get_queryset().filter(pk__in=[line.pk for line in lines]).order_by("pk")
        return Response(self.get_serializer(fresh, many=True).data)

    @extend_schema(
        request={"multipart/form-data": serializers.CloseUpSerializer},
        responses=serializers.ReturnedToolSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="close-up",
        filterset_class=None,
        parser_classes=[MultiPartParser, FormParser],
    )
    def close_up(self, request: Request, pk: str | None = None) -> Response:
        """A close-up of an undecided line's tool: its marking is read and decides the line
        (the issued tool's number: accepted, back in the crib; another tool's or an unknown
        number: recount) and the close-up is kept on the line (`close_up`). A close-up that
        decides nothing, or is no photo, changes nothing (400)."""
        line = self.get_object()
        asked = serializers.CloseUpSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        data = serializers.read_upload(asked.validated_data["image"])
        services.read_close_up(line, data, user=signed_in(request))
        return Response(self.get_serializer(self.get_queryset().get(pk=line.pk)).data)

    # An extra line's actions (toolcrib/crib/extras.py): each answers the line as it is now.

    def _extra_action(
        self,
        request: Request,
        serializer: type[drf_serializers.Serializer],
        act: Callable[..., Any],
    ) -> Response:
        line = self.get_object()
        asked = serializer(data=request.data)
        asked.is_valid(raise_exception=True)
        act(line, user=signed_in(request), **asked.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=line.pk)).data)

    @extend_schema(request=serializers.NoteSerializer, responses=serializers.ReturnedToolSerializer)
    @action(detail=True, methods=["post"], url_path="not-a-tool", filterset_class=None)
    def not_a_tool(self, request: Request, pk: str | None = None) -> Response:
        """An extra line that is no tool (table texture, a shadow): dismissed, kept as evidence."""
        return self._extra_action(request, serializers.NoteSerializer, extras.not_a_tool)

    @extend_schema(
        request=serializers.IdentifySerializer, responses=serializers.ReturnedToolSerializer
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def identify(self, request: Request, pk: str | None = None) -> Response:
        """An extra line is the crib tool `number`: a lost one's loss is closed; one another
        engineer holds is taken back for them (their waiting recount settled as found)."""
        return self._extra_action(request, serializers.IdentifySerializer, extras.identify)

    @extend_schema(request=serializers.NoteSerializer, responses=serializers.ReturnedToolSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def foreign(self, request: Request, pk: str | None = None) -> Response:
        """An extra line is a tool that is not the crib's: a report to QA (foreign-reports)."""
        return self._extra_action(request, serializers.NoteSerializer, extras.report_foreign)


class ForeignToolReportViewSet(CribAPI, viewsets.ReadOnlyModelViewSet):
    """Foreign tools reported to QA; `?open=true` lists those QA has not closed."""

    queryset = ForeignToolReport.objects.select_related(
        "line__tool_return__engineer", "reported_by", "closed_by"
    )
    serializer_class = serializers.ForeignToolReportSerializer
    filterset_class = filters.ForeignToolReportFilter
    write_permissions = {"POST": ["crib.close_foreigntoolreport"]}

    @extend_schema(
        request=serializers.CloseReportSerializer,
        responses=serializers.ForeignToolReportSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def close(self, request: Request, pk: str | None = None) -> Response:
        """QA closes the report, saying what was done."""
        report = self.get_object()
        asked = serializers.CloseReportSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        extras.close_report(report, user=signed_in(request), **asked.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=report.pk)).data)


class SettingsView(CribAPI, GenericAPIView):
    """The crib's settings; the admin sets the accepted risk (false accepts per 1,000 returned
    tools), for experts the raw match % floor, and the inventory-number patterns with the
    shortest partial read that may confirm a tool."""

    queryset = CribSettings.objects.all()
    serializer_class = serializers.CribSettingsSerializer

    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(CribSettings.current()).data)

    def put(self, request: Request) -> Response:
        asked = self.get_serializer(CribSettings.current(), data=request.data)
        asked.is_valid(raise_exception=True)
        given = asked.validated_data
        if not given:
            raise ValidationError({"accepted_risk": ["Give accepted_risk or recount_threshold."]})
        with transaction.atomic():
            current = CribSettings.current()
            if "accepted_risk" in given:
                current = services.set_risk(given["accepted_risk"], user=signed_in(request))
            if "recount_threshold" in given:
                current = services.set_threshold(
                    given["recount_threshold"], user=signed_in(request)
                )
            if "marking_patterns" in given or "marking_min_partial" in given:
                current = services.set_marking_rules(
                    given.get("marking_patterns", current.marking_patterns),
                    given.get("marking_min_partial", current.marking_min_partial),
                    user=signed_in(request),
                )
        return Response(self.get_serializer(current).data)


class DashboardView(CribAPI, GenericAPIView):
    """What QA and the supervisor see first: figures, tools out, flagged lines, lost tools."""

    queryset = IssuedTool.objects.none()  # reading it needs view_issuedtool, as the page does
    serializer_class = serializers.DashboardSerializer
    pagination_class = None

    def get(self, request: Request) -> Response:
        return Response(
            self.get_serializer(
                {
                    "figures": dashboard.figures(user=request.user),
                    "tools_out": dashboard.tools_out(request.user),
                    "flagged": dashboard.flagged_lines(request.user),
                    "foreign_reports": extras.open_reports(request.user),
                    "lost": dashboard.lost_tools(request.user),
                }
            ).data
        )


class AuditEventViewSet(CribAPI, viewsets.ReadOnlyModelViewSet):
    """The audit trail, read-only: nobody edits or deletes an event (the database refuses too)."""

    queryset = AuditEvent.objects.all()
    serializer_class = serializers.AuditEventSerializer
    filterset_class = filters.AuditEventFilter


class TokenViewSet(
    CribAPI, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """API tokens for machines (camera stations, the maintenance system); admins make and revoke them.

    The key is shown once, in the answer to the POST that makes it.
    """

    queryset = Token.objects.select_related("user").order_by("user__username")
    lookup_field = "user_id"
    lookup_value_regex = r"\d+"

    def get_serializer_class(self) -> type[BaseSerializer]:
        return (
            serializers.NewTokenSerializer
            if self.action == "create"
            else serializers.TokenSerializer
        )

    def perform_create(self, serializer: BaseSerializer) -> None:
        with transaction.atomic():
            token = serializer.save()
            audit.record("token created", token.user, actor=self.request.user)

    def perform_destroy(self, instance: Model) -> None:
        token = cast(Token, instance)
        with transaction.atomic():
            audit.record("token revoked", token.user, actor=self.request.user)
            token.delete()
