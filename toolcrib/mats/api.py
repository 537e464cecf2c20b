"""The mat endpoints of the REST API: issue or return on a mat photo, and what a mat photo
showed, slot by slot. Same roles, errors and idempotency as the rest of /api/."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from toolcrib.api.views import IDEMPOTENCY_KEY, CribAPI, idempotency_key
from toolcrib.crib.models import Engineer, Return
from toolcrib.mats import services
from toolcrib.mats.models import MatReading
from toolcrib.mats.services import reading_json


class SlotOutcomeSerializer(serializers.Serializer):
    template = serializers.CharField()
    version = serializers.IntegerField()
    slot = serializers.CharField()
    expected_type = serializers.CharField()
    expected_tool = serializers.CharField(allow_null=True, help_text="null: any tool of the type")
    state = serializers.ChoiceField(["present", "empty", "wrong"])
    seen_tool = serializers.CharField(allow_null=True)
    seen_type = serializers.CharField(allow_null=True, help_text="the model's type, when sure")
    presence = serializers.FloatField(help_text="fraction of the slot covered, 0-1")
    match_percent = serializers.FloatField(allow_null=True)
    marking = serializers.CharField(
        allow_null=True, help_text="the number or code read off the tool in the slot"
    )
    marking_check = serializers.ChoiceField(
        ["confirmed", "swapped", "unknown_number", "not_read"],
        allow_null=True,
        help_text="what the marking says of the slot's tool: confirmed in place, another "
        "tool (seen_tool names it), a number of no crib tool; null: nothing read",
    )


class MatReadingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    template = serializers.CharField()
    version = serializers.IntegerField()
    issue = serializers.IntegerField(allow_null=True)
    tool_return = serializers.IntegerField(allow_null=True, source="return")
    markers_seen = serializers.IntegerField()
    foreign = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField()),
        help_text="boxes [x0, y0, x1, y1] in mm of objects lying outside every slot",
    )
    slots = SlotOutcomeSerializer(many=True)


class MatReadingView(CribAPI, APIView):
    queryset = MatReading.objects.all()  # view permission: crib's, as for issues and returns
    required = ["crib.view_issue", "crib.view_return"]

    def get_permissions(self):
        return []

    def check_permissions(self, request):
        if not request.user or not request.user.is_authenticated:
            self.permission_denied(request)
        if not request.user.has_perms(self.required):
            self.permission_denied(request, message="You may not read issues and returns.")

    @extend_schema(responses=MatReadingSerializer)
    def get(self, request, pk):
        reading = get_object_or_404(MatReading.objects.select_related("template"), pk=pk)
        return Response(reading_json(reading))


class OnMatRequestSerializer(serializers.Serializer):
    engineer = serializers.PrimaryKeyRelatedField(queryset=Engineer.objects.all())
    photo = serializers.FileField(help_text="A photo of the whole mat, its corners in the frame.")
    ends = serializers.ChoiceField(
        Return.Ends.choices,
        default=Return.Ends.NOTHING,
        help_text="returns only: what the return ends (nothing, shift, job); at the end of the "
        "shift or the job the engineer's tools not on the mat go to a recount",
    )


class OnMatView(CribAPI, APIView):
    parser_classes = [MultiPartParser, FormParser]
    purpose = "issue"

    def check_permissions(self, request):
        if not request.user or not request.user.is_authenticated:
            self.permission_denied(request)
        perm = "crib.issue_tools" if self.purpose == "issue" else "crib.return_tools"
        if not request.user.has_perm(perm):
            self.permission_denied(request, message=f"Your role may not {self.purpose} tools.")

    @extend_schema(
        request={"multipart/form-data": OnMatRequestSerializer},
        responses={201: MatReadingSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request):
        asked = OnMatRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        engineer = asked.validated_data["engineer"]
        data = asked.validated_data["photo"].read()
        key = idempotency_key(request)
        done = services.on_mat(
            self.purpose,
            engineer=engineer,
            user=request.user,
            data=data,
            idempotency_key=key,
            ends=asked.validated_data["ends"],
        )
        return Response(reading_json(done.mat_reading), status=status.HTTP_201_CREATED)


class MatIssueView(OnMatView):
    purpose = "issue"


class MatReturnView(OnMatView):
    purpose = "return"
