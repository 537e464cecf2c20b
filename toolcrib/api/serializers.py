"""What the API reads and writes. Model serializers for records; plain ones for the requests
that services carry out (issue, return, recount, enrolment, recognition)."""

import math
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.authtoken.models import Token

from inference import turned
from toolcrib.crib import calibration, loans, reports, roles, services
from toolcrib.crib.models import (
    MARKING_CHECKS,
    AuditEvent,
    CribSettings,
    Engineer,
    Enrolment,
    ForeignToolReport,
    Issue,
    IssuedTool,
    MarkingSource,
    Photo,
    Return,
    ReturnedTool,
    Sighting,
    ToolInstance,
    ToolType,
)
from toolcrib.lib import json_limits


def username(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="username", read_only=True, **kwargs)


def read_upload(upload: UploadedFile) -> bytes:
    # One byte past the limit is enough for store_photo to refuse a huge upload without reading it all.
    return upload.read(settings.TOOLCRIB_MAX_UPLOAD_MB * 1024 * 1024 + 1)


def store_upload(upload: UploadedFile, user: User | AnonymousUser) -> Photo:
    return services.store_photo(read_upload(upload), name=upload.name or "photo.jpg", user=user)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "number"},
        "minItems": 4,
        "maxItems": 5,
        "description": "[x0, y0, x1, y1] in whole pixels, or [x0, y0, x1, y1, angle]: turned "
        "clockwise by angle degrees (to 0.1) about its centre",
    }
)
class BoxField(serializers.ListField):
    """A tool's box in a photo: [x0, y0, x1, y1] in pixels of the photo after EXIF orientation,
    or [x0, y0, x1, y1, angle]: that rectangle turned clockwise by angle degrees about its
    centre (inference/turned.py)."""

    child = serializers.IntegerField(min_value=-(2**31), max_value=2**31 - 1)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_length=4, max_length=5, **kwargs)

    def to_internal_value(self, data: Any) -> list:
        # A multipart form sends a box as one JSON text field, box=[x0,y0,x1,y1].
        if isinstance(data, list) and len(data) == 1 and isinstance(data[0], str):
            data = data[0]
        if isinstance(data, str):
            try:
                data = json_limits.loads(data, what="The box")
            except json_limits.JSONRefused as e:
                raise serializers.ValidationError(str(e)) from None
        if isinstance(data, list) and len(data) == 5:
            angle = serializers.FloatField(min_value=-360, max_value=360)
            try:
                turn = angle.run_validation(data[4])
                if not math.isfinite(turn):
                    raise serializers.ValidationError("The turn must be a finite number.")
            except serializers.ValidationError as e:
                raise serializers.ValidationError(
                    "A box's fifth number is its turn in degrees, from -360 to 360."
                ) from e
            return [*super().to_internal_value(data[:4]), turned.normal_angle(turn)]
        return super().to_internal_value(data)

    def to_representation(self, data: Any) -> list:
        return list(turned.plain(data))


@extend_schema_field({"type": "string", "format": "uri", "nullable": True, "readOnly": True})
class CropURLField(serializers.Field):
    """Absolute URL of the JPEG of a crop; null when the tool was not photographed."""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        kwargs.setdefault("source", "*")  # the crop itself, or the record that holds it
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, crop: Sighting) -> str | None:
        if crop.photo_id is None:
            return None
        return self.context["request"].build_absolute_uri(
            reverse("crop", args=[self.kind, crop.pk])
        )


# --- records the admin keeps ---------------------------------------------------------------


class ToolTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ToolType
        fields = ["id", "name", "slug", "model_class_index", "description", "loan_hours"]
        extra_kwargs = {"loan_hours": {"min_value": 1, "max_value": loans.MAX_HOURS}}


class EngineerBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Engineer
        fields = ["id", "badge_number", "name"]


class HolderSerializer(serializers.ModelSerializer):
    """Who holds a tool now, since which issue, until when."""

    engineer = EngineerBriefSerializer(source="issue.engineer")
    issued_at = serializers.DateTimeField(source="issue.created_at")
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = IssuedTool
        fields = ["engineer", "issue", "issued_at", "due_back", "overdue"]


class ToolInstanceSerializer(serializers.ModelSerializer):
    holder = serializers.SerializerMethodField()

    class Meta:
        model = ToolInstance
        fields = [
            "id",
            "inventory_number",
            "tool_type",
            "status",
            "calibration_due",
            "notes",
            "site",
            "crib",
            "cabinet",
            "drawer",
            "bin",
            "created_at",
            "holder",
        ]

    @extend_schema_field(HolderSerializer(allow_null=True))
    def get_holder(self, tool: ToolInstance) -> dict[str, Any] | None:
        # The list prefetches the open issued record as `open_issued`; a single record asks.
        holder = (
            next(iter(tool.open_issued), None)
            if hasattr(tool, "open_issued")
            else tool.open_issued_tool()
        )
        return HolderSerializer(holder).data if holder else None

    def validate_status(self, value: str) -> str:
        # Said by field here; checked again, on the locked row, when saved (services.save_tool).
        current = self.instance.status if self.instance else ToolInstance.Status.IN_CRIB
        try:
            services.check_status_change(self.instance or "a new tool", current, value)
        except services.CribError as e:
            raise serializers.ValidationError(str(e)) from None
        return value

    def create(self, data: dict[str, Any]) -> ToolInstance:
        return services.save_tool(ToolInstance(**data), user=self.context["request"].user)

    def update(self, tool: ToolInstance, data: dict[str, Any]) -> ToolInstance:
        for name, value in data.items():
            setattr(tool, name, value)
        return services.save_tool(tool, user=self.context["request"].user, fields=list(data))


class EngineerSerializer(serializers.ModelSerializer):
    held_tools = serializers.SerializerMethodField(
        help_text="Inventory numbers of the tools they hold now."
    )

    class Meta:
        model = Engineer
        fields = ["id", "badge_number", "name", "active", "held_tools"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_held_tools(self, engineer: Engineer) -> list[str]:
        # The list annotates `held_numbers` in its one query; a single record asks.
        if not hasattr(engineer, "held_numbers"):
            return sorted(
                engineer.held_tools().values_list("tool_instance__inventory_number", flat=True)
            )
        return sorted(n for n in engineer.held_numbers or [] if n)


# --- photos and enrolments -------------------------------------------------------------------


class PhotoSerializer(serializers.ModelSerializer):
    image = serializers.FileField(help_text="A JPEG, PNG or WEBP photo (multipart upload).")
    uploaded_by = username(allow_null=True)

    class Meta:
        model = Photo
        fields = ["id", "image", "width", "height", "sha256", "uploaded_by", "created_at"]

    def create(self, data: dict[str, Any]) -> Photo:
        return store_upload(data["image"], self.context["request"].user)


class PhotoOrImageSerializer(serializers.Serializer):
    """A request about a photo names a stored one (`photo`) or uploads a new one (`image`)."""

    photo = serializers.PrimaryKeyRelatedField(
        queryset=Photo.objects.all(),
        required=False,
        help_text="A stored photo; or send `image` instead.",
    )
    image = serializers.FileField(
        write_only=True, required=False, help_text="A new photo (multipart)."
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("photo" in data) == ("image" in data):
            raise serializers.ValidationError(
                "Send either `photo` (a stored photo's id) or `image` (a new photo)."
            )
        return data

    def photo_or_upload(self) -> Photo:
        return self.validated_data.get("photo") or store_upload(
            self.validated_data["image"], self.context["request"].user
        )


# What the reader says of a marking (inference/markings.py, Marking.status); named in the
# schema as MarkingStatusEnum (settings.SPECTACULAR_SETTINGS), apart from a tool's status.
MARKING_STATUSES = ["read", "unsure", "partial", "too_small", "not_found", "failed"]


class MarkingSerializer(serializers.Serializer):
    """What was read off the tool itself (docs/markings.md)."""

    text = serializers.CharField(
        allow_null=True, help_text="The number or code read; null when none was."
    )
    source = serializers.ChoiceField(  # type: ignore[assignment]  # a field named like Field.source
        choices=MarkingSource.choices, allow_null=True
    )
    confidence = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(choices=MARKING_STATUSES, allow_null=True)
    message = serializers.CharField(allow_null=True)
    char_height = serializers.FloatField(
        allow_null=True, help_text="Estimated character height of the text seen, px."
    )
    box = serializers.ListField(
        child=serializers.IntegerField(), allow_null=True, help_text="Where, in the photo."
    )


class RecognisedMarkingSerializer(MarkingSerializer):
    """What was read off the tool in one box at upload, and what it says about the crib."""

    check = serializers.ChoiceField(
        choices=["confirmed", "partial", "unknown_number", "not_read", "reading"],
        help_text="confirmed: the marking names a tool of the crib (`tool_instance`); "
        "unknown_number: a well-formed number or code no tool has; partial: only part of a "
        "number was read (never shown as a number); not_read: nothing usable; reading: not "
        "read yet (POST /api/recognition/markings/ reads it, or ask with `markings: wait`).",
    )
    tool_instance = serializers.IntegerField(
        allow_null=True, help_text="The tool instance the marking names, when confirmed."
    )
    inventory_number = serializers.CharField(allow_null=True)


def marking_field() -> MarkingSerializer:
    return MarkingSerializer(source="marking_summary", read_only=True, allow_null=True)


class EnrolmentSerializer(PhotoOrImageSerializer, serializers.ModelSerializer):
    box = BoxField()
    enrolled_by = username(allow_null=True)
    crop_url = CropURLField("enrolment")
    marking = marking_field()

    class Meta:
        model = Enrolment
        fields = [
            "id",
            "tool_instance",
            "photo",
            "image",
            "box",
            "model_sha256",
            "enrolled_by",
            "created_at",
            "crop_url",
            "marking",
        ]
        read_only_fields = ["model_sha256", "created_at"]

    def create(self, data: dict[str, Any]) -> Enrolment:
        return services.enrol(
            data["tool_instance"],
            self.photo_or_upload(),
            data["box"],
            user=self.context["request"].user,
        )


class RecognitionRequestSerializer(PhotoOrImageSerializer):
    boxes = serializers.ListField(
        child=BoxField(),
        required=False,
        max_length=100,
        help_text="Boxes drawn by the user; without them the tools' boxes are proposed from the photo.",
    )
    find_engineer = serializers.BooleanField(
        default=False,
        help_text="Also say whose tools these are (the return desk); `engineer` in the answer.",
    )
    in_crib_only = serializers.BooleanField(
        default=True, help_text="Suggest only tool instances now in the crib."
    )
    engineer = serializers.PrimaryKeyRelatedField(
        queryset=Engineer.objects.all(),
        required=False,
        help_text="At return: whose tools these are. How many they hold is how many tools the "
        "photo may hold, at most (a return may bring some, and a tool may be missing): no box "
        "says it holds more tools than that. Nothing is cut harder for it.",
    )
    expected_tools = serializers.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        help_text="How many tools the photo holds, when the desk knows (the issue and return "
        "pages' Number of tools; a kit's size): merged tools are cut until there are that many, "
        "and no more boxes are proposed than hold that many (the most confident). "
        "Wins over `engineer` when both are given.",
    )
    markings = serializers.ChoiceField(
        choices=["later", "wait"],
        default="later",
        help_text="later: answer without waiting for the markings (OCR, seconds a box): boxes "
        "not read before say `check: reading`; POST /api/recognition/markings/ reads them. "
        "wait: read every box's marking before answering.",
    )

    def expected(self) -> int | None:
        """How many tools the photo should hold, when that is known."""
        data = self.validated_data
        return data.get("expected_tools")

    def at_most(self) -> int | None:
        """How many tools the photo may hold (the engineer's at a normal return)."""
        data = self.validated_data
        if "expected_tools" in data or not data.get("engineer"):
            return None
        return data["engineer"].held_tools().count() or None


class MarkingsRequestSerializer(serializers.Serializer):
    photo = serializers.PrimaryKeyRelatedField(queryset=Photo.objects.all())
    boxes = serializers.ListField(
        child=BoxField(),
        min_length=1,
        max_length=100,
        help_text="The boxes whose markings to read (as /api/recognition/ answered or drawn).",
    )


class BoxMarkingSerializer(serializers.Serializer):
    box = BoxField()
    marking = RecognisedMarkingSerializer()


class MarkingsSerializer(serializers.Serializer):
    photo = serializers.IntegerField()
    markings = BoxMarkingSerializer(many=True, help_text="One per box asked, in order.")


class RecognitionStatusSerializer(serializers.Serializer):
    available = serializers.BooleanField()
    message = serializers.CharField()
    model_sha256 = serializers.CharField(source="sha256", allow_null=True)


class TypeCandidateSerializer(serializers.Serializer):
    tool_type = serializers.IntegerField(source="tool_type_id")
    name = serializers.CharField()
    probability = serializers.FloatField()


class InstanceCandidateSerializer(serializers.Serializer):
    tool_instance = serializers.IntegerField(source="tool_instance_id")
    inventory_number = serializers.CharField()
    match_percent = serializers.FloatField()


class SuggestionSerializer(serializers.Serializer):
    box = BoxField()
    confidence = serializers.FloatField()
    types = TypeCandidateSerializer(
        many=True, help_text="Top 3 tool types; empty when recognition is off."
    )
    instances = InstanceCandidateSerializer(
        many=True, help_text="Nearest enrolled tool instances, best first."
    )
    tools_inside = serializers.IntegerField(
        source="tools",
        help_text="How many tools the box likely holds: above 1 where tools overlap and the "
        "proposer found no cut between them.",
    )
    maybe_several = serializers.BooleanField(
        help_text="One tool likely, but the box is large enough to hold two: check it."
    )
    cut_from_pile = serializers.BooleanField(
        help_text="Cut out of tools that overlap to reach expected_tools: where one tool ends "
        "is a guess, so check the box."
    )
    notice = serializers.CharField(
        help_text='What the desk should do about the box, e.g. "3 tools overlap here: spread '
        'them apart or draw the boxes", "This box may hold 2 tools: check it, ..." '
        '(maybe_several) or "Cut apart from tools that overlap: check this box" '
        "(cut_from_pile); empty for a box holding one tool."
    )
    marking = RecognisedMarkingSerializer(
        source="marking_answer",
        allow_null=True,
        help_text="What was read off the tool (read once at upload and kept: the issue or "
        "return that uses this box does not read it again); null when not read.",
    )


class RecognitionSerializer(serializers.Serializer):
    photo = serializers.IntegerField()
    recognition = RecognitionStatusSerializer()
    tools = SuggestionSerializer(many=True)
    engineer = EngineerBriefSerializer(
        allow_null=True,
        required=False,
        help_text="With `find_engineer`: the engineer whose tools these are; null when unsure.",
    )


# --- issue and return ------------------------------------------------------------------------


PENDING_HELP = (
    "True while the marking of this line's box is still with the marking reader (not read "
    "yet); `marking` is filled in when it is."
)


class IssuedToolSerializer(serializers.ModelSerializer):
    inventory_number = serializers.CharField(
        source="tool_instance.inventory_number", read_only=True
    )
    box = BoxField(allow_null=True)
    crop_url = CropURLField("issued")
    marking = marking_field()

    class Meta:
        model = IssuedTool
        fields = [
            "id",
            "tool_instance",
            "inventory_number",
            "photo",
            "box",
            "due_back",
            "closed_at",
            "crop_url",
            "marking",
            "marking_pending",
        ]
        extra_kwargs = {"marking_pending": {"help_text": PENDING_HELP}}


class IssueSerializer(serializers.ModelSerializer):
    storekeeper = username()
    tools = IssuedToolSerializer(many=True)

    class Meta:
        model = Issue
        fields = ["id", "engineer", "storekeeper", "created_at", "tools"]


class ToolLineSerializer(serializers.Serializer):
    tool_instance = serializers.PrimaryKeyRelatedField(queryset=ToolInstance.objects.all())
    photo = serializers.PrimaryKeyRelatedField(
        queryset=Photo.objects.all(), required=False, allow_null=True
    )
    box = BoxField(required=False, allow_null=True, help_text="Required with `photo`.")
    scanned = serializers.BooleanField(
        default=False,
        help_text="Its label was scanned at the desk (a line without `photo`): the scan is "
        "recorded as the line's marking, source `scanned`.",
    )
    typed = serializers.BooleanField(
        default=False,
        help_text="Picked by hand (typed or chosen), not by its marking or a scan: recorded "
        "with marking source `typed`. A line with neither `photo` nor `scanned` is typed.",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if (data.get("photo") is None) != (data.get("box") is None):
            raise serializers.ValidationError("A photographed tool needs both `photo` and `box`.")
        if data["scanned"] and data.get("photo") is not None:
            raise serializers.ValidationError(
                "A scanned line has no photo: send `scanned` without `photo` and `box`."
            )
        if data["scanned"] and data["typed"]:
            raise serializers.ValidationError("A line is either `scanned` or `typed`, not both.")
        return data


class IssueRequestSerializer(serializers.Serializer):
    engineer = serializers.PrimaryKeyRelatedField(queryset=Engineer.objects.all())
    # ListSerializer takes max_length; the stubs do not know it.
    tools = ToolLineSerializer(many=True, allow_empty=False, max_length=200)  # type: ignore[call-arg]
    due_back = serializers.DateTimeField(
        required=False, help_text="Default: now + each tool type's loan period, or the crib's."
    )

    def validate_due_back(self, value: datetime) -> datetime:
        if value <= timezone.now():
            raise serializers.ValidationError("The tools cannot be due back in the past.")
        return value


class ReturnedToolSerializer(serializers.ModelSerializer):
    tool_instance = serializers.IntegerField(
        source="issued_tool.tool_instance_id", read_only=True, allow_null=True
    )
    inventory_number = serializers.CharField(
        source="issued_tool.tool_instance.inventory_number", read_only=True, allow_null=True
    )
    box = BoxField(allow_null=True)
    decided_by = username(allow_null=True)
    crop_url = CropURLField("returned")
    marking = marking_field()

    class Meta:
        model = ReturnedTool
        fields = [
            "id",
            "tool_return",
            "issued_tool",
            "tool_instance",
            "inventory_number",
            "photo",
            "box",
            "match_percent",
            "probability",
            "next_best_percent",
            "decision",
            "verdict_reason",
            "decided_by",
            "decided_at",
            "reason",
            "identified_as",
            "crop_url",
            "marking",
            "marking_check",
            "close_up",
            "marking_pending",
        ]
        extra_kwargs = {
            "close_up": {
                "read_only": True,
                "help_text": "The close-up photo whose marking read decided the line.",
            },
            "marking_pending": {
                "help_text": PENDING_HELP + " At return the line was decided on the rest (the "
                "visual match, scans); when the marking is read it decides: the line may become "
                "accepted (verified by marking) or go to a recount. Ask for the line again."
            },
            "match_percent": {"help_text": "Raw similarity, (cosine + 1) / 2 x 100, for audit."},
            "probability": {"help_text": "Calibrated probability (%) that it is the tool issued."},
            "next_best_percent": {
                "help_text": "Raw match % of the crop with the best other tool the engineer held."
            },
            "verdict_reason": {"help_text": "Why the verdict at return, in words."},
            "reason": {"help_text": "The verdict's reason, or the desk's words once it decided."},
        }


class StillOutToolSerializer(serializers.ModelSerializer):
    """A tool the engineer held that was not in a normal return's photo: still out with them."""

    inventory_number = serializers.CharField(source="tool_instance.inventory_number")

    class Meta:
        model = IssuedTool
        fields = ["id", "tool_instance", "inventory_number", "issue", "due_back"]


class ReturnSerializer(serializers.ModelSerializer):
    desk_user = username()
    tools = ReturnedToolSerializer(
        many=True, help_text="One line per tool: held, photographed, or both."
    )
    still_out_tools = StillOutToolSerializer(
        many=True,
        help_text="Tools held but not in the photos of a normal return: they stay out with the "
        "engineer (no recount). Empty when the return ends the shift or the job.",
    )

    class Meta:
        model = Return
        fields = [
            "id",
            "engineer",
            "desk_user",
            "created_at",
            "threshold",
            "accepted_risk",
            "accept_level",
            "calibration",
            "ends",
            "still_out_tools",
            "tools",
        ]


class CropSerializer(serializers.Serializer):
    photo = serializers.PrimaryKeyRelatedField(queryset=Photo.objects.all())
    box = BoxField()


class ReturnRequestSerializer(serializers.Serializer):
    engineer = serializers.PrimaryKeyRelatedField(queryset=Engineer.objects.all())
    crops = CropSerializer(  # type: ignore[call-arg]  # max_length, as above
        many=True,
        max_length=200,
        help_text="The tools in the return photos; empty = none photographed.",
    )
    ends = serializers.ChoiceField(
        choices=Return.Ends.choices,
        default=Return.Ends.NOTHING,
        help_text="What the return ends. `nothing` (the default, a normal return): tools the "
        "engineer holds that are not in the photos stay out with them (listed in "
        "`still_out_tools`). `shift` or `job`: those tools go to a recount.",
    )
    scanned_numbers = serializers.ListField(
        child=serializers.CharField(max_length=64),
        default=list,
        max_length=200,
        help_text="Inventory numbers whose labels the desk scanned: each must be a tool the "
        "engineer has to return, and is verified by that scan (marking source `scanned`).",
    )


class CloseUpSerializer(serializers.Serializer):
    image = serializers.FileField(
        help_text="A close-up of the tool's number or label (JPEG, PNG or WEBP, multipart)."
    )


class RecountSerializer(serializers.Serializer):
    found = serializers.BooleanField(
        help_text="true: the tool is here (back in the crib); false: it is missing (lost)."
    )
    reason = serializers.CharField(max_length=2000, help_text="Why: what the recount found.")


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text="The desk's words, optional."
    )


class IdentifySerializer(NoteSerializer):
    number = serializers.CharField(
        max_length=64, help_text="The crib tool's inventory number (e.g. AT-288293-6)."
    )


class CloseReportSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text="What was done with the foreign tool.")


class ForeignToolReportSerializer(serializers.ModelSerializer):
    reported_by = username()
    closed_by = username(allow_null=True)
    tool_return = serializers.IntegerField(source="line.tool_return_id", read_only=True)
    engineer = EngineerBriefSerializer(source="line.tool_return.engineer", read_only=True)
    crop_url = CropURLField("returned", source="line")

    class Meta:
        model = ForeignToolReport
        fields = [
            "id",
            "line",
            "tool_return",
            "engineer",
            "reported_by",
            "reported_at",
            "note",
            "crop_url",
            "closed_by",
            "closed_at",
            "closing_note",
        ]


class ConfirmSerializer(serializers.Serializer):
    lines = serializers.PrimaryKeyRelatedField(
        queryset=ReturnedTool.objects.all(),
        many=True,
        allow_empty=False,
        help_text="Return lines waiting for a confirmation by eye: confirmed together, or none.",
    )


# --- settings, dashboard, history, reports, audit, tokens ------------------------------------


class CribSettingsSerializer(serializers.ModelSerializer):
    accepted_risk = serializers.FloatField(
        min_value=0,
        max_value=1000,
        required=False,
        help_text="False accepts per 1,000 returned tools the crib accepts without a look.",
    )
    recount_threshold = serializers.FloatField(
        min_value=0,
        max_value=100,
        required=False,
        help_text="For experts: raw match % below which nothing is accepted without a look.",
    )
    marking_patterns = serializers.CharField(
        required=False,
        max_length=5000,
        help_text="The crib's inventory-number patterns, one regular expression per line; text "
        "read off a tool counts as a number only when it fits one.",
    )
    marking_min_partial = serializers.IntegerField(
        min_value=services.MIN_PARTIAL_RANGE[0],
        max_value=services.MIN_PARTIAL_RANGE[1],
        required=False,
        help_text="Characters a partly read number needs before it may confirm the issued tool.",
    )
    accept_level = serializers.SerializerMethodField(
        help_text="Calibrated % from which a tool is accepted at this risk (null: none is)."
    )
    calibration = serializers.SerializerMethodField(help_text="Which calibration is in use.")
    loan_hours = serializers.SerializerMethodField(
        help_text="Hours after issue at which a tool is due back (a type may have its own)."
    )
    loan_source = serializers.SerializerMethodField(
        help_text="Where the loan period comes from: the settings page or TOOLCRIB_LOAN_HOURS."
    )

    class Meta:
        model = CribSettings
        fields = [
            "accepted_risk",
            "recount_threshold",
            "marking_patterns",
            "marking_min_partial",
            "loan_hours",
            "loan_source",
            "accept_level",
            "calibration",
        ]

    def get_loan_hours(self, obj: CribSettings) -> int:
        return loans.crib_period(obj).hours

    def get_loan_source(self, obj: CribSettings) -> str:
        return loans.crib_period(obj).source

    def validate_marking_patterns(self, value: str) -> str:
        try:
            return services.clean_marking_patterns(value)
        except services.CribError as e:
            raise serializers.ValidationError(str(e)) from None

    def get_accept_level(self, obj: CribSettings) -> float | None:
        level = calibration.in_use().level(obj.accepted_risk)
        return None if level is None else round(level * 100, 2)

    def get_calibration(self, obj: CribSettings) -> str:
        return calibration.in_use().description


class FiguresSerializer(serializers.Serializer):
    tools_out = serializers.IntegerField()
    overdue = serializers.IntegerField()
    flagged = serializers.IntegerField(
        help_text="Return lines waiting for the desk: a look, a recount, or an extra tool's action."
    )
    foreign_reports = serializers.IntegerField(help_text="Foreign tool reports QA has not closed.")
    lost = serializers.IntegerField()
    issues_today = serializers.IntegerField()
    returns_today = serializers.IntegerField()
    tools_issued_today = serializers.IntegerField()
    tools_in_crib = serializers.IntegerField()


class ToolOutSerializer(serializers.ModelSerializer):
    inventory_number = serializers.CharField(source="tool_instance.inventory_number")
    tool_type = serializers.CharField(source="tool_instance.tool_type.name")
    engineer = EngineerBriefSerializer(source="issue.engineer")
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = IssuedTool
        fields = [
            "id",
            "tool_instance",
            "inventory_number",
            "tool_type",
            "engineer",
            "issue",
            "due_back",
            "overdue",
        ]


class FlaggedLineSerializer(ReturnedToolSerializer):
    engineer = EngineerBriefSerializer(source="tool_return.engineer")

    class Meta(ReturnedToolSerializer.Meta):
        fields = ReturnedToolSerializer.Meta.fields + ["engineer"]


class LostToolSerializer(serializers.ModelSerializer):
    tool_type = serializers.CharField(source="tool_type.name")

    class Meta:
        model = ToolInstance
        fields = ["id", "inventory_number", "tool_type"]


class DashboardSerializer(serializers.Serializer):
    figures = FiguresSerializer()
    tools_out = ToolOutSerializer(many=True)
    flagged = FlaggedLineSerializer(many=True)
    foreign_reports = ForeignToolReportSerializer(many=True)
    lost = LostToolSerializer(many=True)


class HistoryEntrySerializer(serializers.Serializer):
    when = serializers.DateTimeField()
    what = serializers.CharField()
    who = serializers.CharField()
    engineer = serializers.CharField(allow_null=True)
    issue_id = serializers.IntegerField(allow_null=True)
    return_id = serializers.IntegerField(allow_null=True)
    match_percent = serializers.FloatField(allow_null=True)
    detail = serializers.CharField(allow_blank=True)


class AuditEventSerializer(serializers.ModelSerializer):
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
        ]


class TokenSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True)
    )
    user_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Token
        fields = ["user_id", "user", "created"]

    def validate_user(self, user: User) -> User:
        # A token acts with all its user's rights: no one mints one above what they may hand out.
        if why := roles.refusal(user, self.context["request"].user):
            raise serializers.ValidationError(why)
        if Token.objects.filter(user=user).exists():
            raise serializers.ValidationError(f"{user} already has a token: revoke it first.")
        return user


class NewTokenSerializer(TokenSerializer):
    class Meta(TokenSerializer.Meta):
        fields = TokenSerializer.Meta.fields + ["key"]
        read_only_fields = ["key"]


# --- the JSON reports (reports.py builds them; these describe the format for the schema) -----


class ReportEngineerSerializer(serializers.Serializer):
    badge_number = serializers.CharField()
    name = serializers.CharField()


class ReportSerializer(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=[reports.FORMAT], help_text="Changes when a field's meaning does."
    )
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    engineer = ReportEngineerSerializer()


class IssueReportToolSerializer(serializers.Serializer):
    inventory_number = serializers.CharField()
    tool_type = serializers.CharField()
    box = BoxField(allow_null=True)
    crop_url = serializers.URLField(allow_null=True)
    due_back = serializers.DateTimeField()
    returned_or_closed_at = serializers.DateTimeField(allow_null=True)
    model_sha256 = serializers.CharField(
        allow_null=True, help_text="The model that computed the tool's feature."
    )
    marking = MarkingSerializer(allow_null=True, help_text="New in toolcrib.report/2.")


class IssueReportSerializer(ReportSerializer):
    kind = serializers.ChoiceField(choices=["issue"])
    storekeeper = serializers.CharField(allow_null=True)
    tools = IssueReportToolSerializer(many=True)


class ReturnReportToolSerializer(serializers.Serializer):
    inventory_number = serializers.CharField(
        allow_null=True, help_text="null for a tool not issued to this engineer."
    )
    tool_type = serializers.CharField(allow_null=True)
    issue_id = serializers.IntegerField(allow_null=True)
    box = BoxField(allow_null=True)
    crop_url = serializers.URLField(allow_null=True)
    issue_crop_url = serializers.URLField(allow_null=True)
    match_percent = serializers.FloatField(allow_null=True)
    passed = serializers.BooleanField(
        help_text="match_percent is at or above the raw floor (threshold_percent)."
    )
    probability = serializers.FloatField(
        allow_null=True, help_text="Calibrated probability (%) that it is the tool issued."
    )
    next_best_percent = serializers.FloatField(
        allow_null=True, help_text="Raw match % with the best other tool the engineer held."
    )
    decision = serializers.ChoiceField(choices=ReturnedTool.Decision.choices)
    why = serializers.CharField(help_text="The verdict's reason at return, in words.")
    decided_by = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    model_sha256 = serializers.CharField(allow_null=True)
    marking = MarkingSerializer(allow_null=True, help_text="New in toolcrib.report/2.")
    marking_check = serializers.ChoiceField(
        choices=MARKING_CHECKS, allow_null=True, help_text="New in toolcrib.report/2."
    )
    identified_as = serializers.CharField(
        allow_null=True,
        help_text="New in /3: the crib tool an extra line was identified as (decision identified).",
    )
    close_up_photo_id = serializers.IntegerField(
        allow_null=True, help_text="New in /3: the close-up whose marking read decided the line."
    )


class StillOutSerializer(serializers.Serializer):
    inventory_number = serializers.CharField()
    tool_type = serializers.CharField()
    issue_id = serializers.IntegerField()
    due_back = serializers.DateTimeField()


class ReturnReportSerializer(ReportSerializer):
    kind = serializers.ChoiceField(choices=["return"])
    desk_user = serializers.CharField(allow_null=True)
    threshold_percent = serializers.FloatField()
    accepted_risk = serializers.FloatField(allow_null=True)
    accept_level_percent = serializers.FloatField(allow_null=True)
    calibration = serializers.CharField()
    ends = serializers.ChoiceField(
        choices=Return.Ends.choices,
        help_text="New in /3: what the return ends (nothing: a normal return; shift; job).",
    )
    still_out = StillOutSerializer(
        many=True,
        help_text="New in /3: held tools this return did not cover; they stay with the engineer.",
    )
    tools = ReturnReportToolSerializer(many=True)
