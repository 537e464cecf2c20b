"""The crib's data: tool types and instances, engineers, photos, enrolments, issues, returns,
settings and the audit trail."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from pgvector.django import HnswIndex, VectorField

from inference import turned
from inference.markings import DEFAULT_MIN_PARTIAL, DEFAULT_PATTERNS, compile_patterns

# What a tool's marking said at return (toolcrib/crib/markings.py, Outcome).
MARKING_CHECKS = [
    ("confirmed", "verified by marking"),
    ("swapped", "another tool's marking"),
    ("unknown_number", "unknown number"),
    ("not_read", "marking not read"),
]

FEATURE_DIMENSIONS = 512


class ToolType(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    # Index of this type in the model's class output `p`; empty for types enrolled later,
    # which are recognised from the nearest enrolled features instead.
    model_class_index = models.PositiveSmallIntegerField(null=True, blank=True, unique=True)
    description = models.TextField(blank=True)
    # Hours after issue at which a tool of this type is due back; empty: the crib's loan period.
    loan_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Hours after issue at which this type is due back; empty: the crib's period.",
    )

    class Meta:
        ordering = ["model_class_index", "name"]
        constraints = [
            models.CheckConstraint(
                name="tool_type_loan_hours_positive",
                condition=Q(loan_hours__isnull=True) | Q(loan_hours__gt=0),
            )
        ]

    def __str__(self):
        return self.name


class Site(models.Model):
    """A station of the airline with its own crib (RIX, Riga line maintenance)."""

    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class UserSite(models.Model):
    """The one site a user is limited to: they see and act only on its tools and what concerns
    them (the rule: toolcrib/crib/sites.py). A user without one sees every site."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="crib_site",
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="users")

    def __str__(self):
        return f"{self.user} at {self.site.code}"


class ToolInstanceQuerySet(models.QuerySet):
    def calibration_due_by(self, day):
        """Tools whose calibration falls due on or before `day` (overdue ones too): the list
        of what to send to the lab. Past due means not issued: `ToolInstance.calibration_overdue`."""
        return self.filter(calibration_due__lte=day)


class ToolInstance(models.Model):
    class Status(models.TextChoices):
        IN_CRIB = "in_crib", "in crib"
        ISSUED = "issued", "issued"
        LOST = "lost", "lost"
        BROKEN = "broken", "broken"
        IN_CALIBRATION = "in_calibration", "in calibration"
        RETIRED = "retired", "retired"

    inventory_number = models.CharField(max_length=64, unique=True)
    tool_type = models.ForeignKey(ToolType, on_delete=models.PROTECT, related_name="instances")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_CRIB)
    calibration_due = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Where the tool lives when it is in: the site, and its place in that site's crib.
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="tools"
    )
    crib = models.CharField(max_length=50, blank=True)
    cabinet = models.CharField(max_length=50, blank=True)
    drawer = models.CharField(max_length=50, blank=True)
    bin = models.CharField(max_length=50, blank=True)

    # Why a service changes this tool (not a field): audit.py keeps it beside the change.
    audit_reason = ""

    objects = ToolInstanceQuerySet.as_manager()

    class Meta:
        ordering = ["inventory_number"]

    def __str__(self):
        return self.inventory_number

    def get_absolute_url(self):
        return reverse("tool-instance", args=[self.pk])

    @property
    def home(self) -> str:
        """Its home location in words: "crib A · cabinet 3 · drawer 2 · bin 14"."""
        parts = [
            ("crib", self.crib),
            ("cabinet", self.cabinet),
            ("drawer", self.drawer),
            ("bin", self.bin),
        ]
        return " · ".join(f"{name} {value}" for name, value in parts if value)

    def calibration_overdue(self, today=None):
        """The one rule for a tool's (metrology) calibration: past its due date it is not issued
        (services._check_can_issue); on the due date itself it still is."""
        return self.calibration_due is not None and self.calibration_due < (
            today or timezone.localdate()
        )

    def open_issued_tool(self):
        """The open issued-tool record of whoever holds this tool now, or None."""
        return self.issued.open().select_related("issue__engineer").first()


class CalibrationRecord(models.Model):
    """A tool's calibration at the lab (metrology: is the torque wrench still true?), not the
    match calibration of calibration.py: when, until when, the certificate and who signed it.
    The newest record's due date becomes the tool's `calibration_due` (metrology.py)."""

    tool_instance = models.ForeignKey(
        ToolInstance, on_delete=models.PROTECT, related_name="calibration_records"
    )
    calibrated_on = models.DateField()
    due_date = models.DateField()
    certificate_number = models.CharField(max_length=100)
    calibrated_by = models.CharField(
        max_length=200, help_text="The lab or person who calibrated it."
    )
    # The certificate's scan (PDF, JPEG or PNG), in the same storage as the photos.
    certificate = models.FileField(upload_to="certificates/%Y/%m/", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-calibrated_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="calibration_due_after_calibrated",
                condition=Q(due_date__gt=F("calibrated_on")),
            ),
            models.CheckConstraint(
                name="calibration_certificate_numbered", condition=~Q(certificate_number="")
            ),
        ]

    def __str__(self):
        return f"calibration of {self.tool_instance} on {self.calibrated_on} ({self.certificate_number})"


class Engineer(models.Model):
    """A person who takes tools from the crib; not necessarily a user of the application."""

    badge_number = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    # Who is told when this engineer's tools are overdue (toolcrib/notify).
    supervisor_email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.badge_number})"

    def get_absolute_url(self):
        return reverse("engineer", args=[self.pk])

    def held_tools(self):
        return IssuedTool.objects.open().filter(issue__engineer=self)


class Photo(models.Model):
    """A picture taken at the crib: an enrolment, issue or return photo. Kept so that crops and
    embeddings can be recomputed when the model changes."""

    image = models.ImageField(upload_to="photos/%Y/%m/%d/")
    # Size after EXIF orientation: the frame that boxes are drawn in.
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self):
        return f"photo {self.pk} ({self.width}x{self.height})"

    def readable_by(self, user) -> bool:
        """Every role reads the crib's photos; a user with no role only those they uploaded."""
        return user.has_perm("crib.view_photo") or (
            user.is_authenticated and self.uploaded_by_id == user.pk
        )


class MarkingSource(models.TextChoices):
    OCR = "ocr", "etched or printed text"
    DATAMATRIX = "datamatrix", "DataMatrix"
    QR = "qr", "QR code"
    BARCODE = "barcode", "barcode"
    TYPED = "typed", "typed by hand"
    SCANNED = "scanned", "scanned at the desk"


def box_fields(box) -> dict:
    """A box (inference/turned.py) as the fields of a row that keeps one."""
    x0, y0, x1, y1 = box[:4]
    return {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "angle": turned.angle_of(box)}


class BoxRecognition(models.Model):
    """The model's recognition of one box of a photo (class candidates and feature), kept with
    the photo so that the issue or return that uses the box does not run the model again.

    It is found again only by everything that made it: the photo (whose file never changes),
    the exact box, the model file (sha256) and the rotation mode; any other model or mode
    computes anew (docs/inference.md, "Compute once")."""

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="recognitions")
    # The box (inference/turned.py): a turned box's x0/y0 may lie left of or above the photo.
    x0 = models.IntegerField()
    y0 = models.IntegerField()
    x1 = models.IntegerField()
    y1 = models.IntegerField()
    angle = models.FloatField(default=0.0)
    model_sha256 = models.CharField(max_length=64)
    rotation = models.CharField(max_length=16)
    feature = VectorField(dimensions=FEATURE_DIMENSIONS)
    # [[class index, probability], ...] best first; empty when the model gives no `p`.
    candidates = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["photo", "x0", "y0", "x1", "y1", "angle", "model_sha256", "rotation"],
                name="one_recognition_per_box_and_model",
            ),
            models.CheckConstraint(
                condition=Q(angle__gt=-90, angle__lte=90), name="box_recognition_angle_in_range"
            ),
            # Only a turned box may start left of or above the photo.
            models.CheckConstraint(
                condition=~Q(angle=0) | Q(x0__gte=0, y0__gte=0),
                name="box_recognition_upright_inside",
            ),
        ]

    def __str__(self):
        return f"recognition of {self.box} in photo {self.photo_id}"

    @property
    def box(self):
        return turned.plain((self.x0, self.y0, self.x1, self.y1, self.angle))


class BoxMarking(models.Model):
    """What was read off the tool in one box of a photo (inference Marking as JSON), kept with
    the photo like its BoxRecognition: read once when the boxes are proposed or drawn, reused
    by the issue, return or enrolment that uses the box (no OCR at submit).

    Found again only by the photo, the exact box and the rules it was read under (the crib's
    patterns and partial length, `markings.rules_key`); under other rules it is read anew.

    A row without a `reading` is **pending**: queued by a request, read by the marking reader
    (`manage.py read_markings`, toolcrib/crib/marking_reader.py), never by a web request. A
    failed read (OCR engine missing) is tried again at `retry_at`, at most MAX_ATTEMPTS times;
    then the failure is kept as the reading, so the lines waiting for it are not held forever."""

    MAX_ATTEMPTS = 3

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="markings")
    x0 = models.IntegerField()
    y0 = models.IntegerField()
    x1 = models.IntegerField()
    y1 = models.IntegerField()
    angle = models.FloatField(default=0.0)
    rules = models.CharField(max_length=64)
    reading = models.JSONField(null=True, blank=True)  # None: pending, the reader has it to do
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # failed reads so far
    retry_at = models.DateTimeField(null=True, blank=True)  # a failed read: not before then
    failure = models.CharField(max_length=300, blank=True)  # what the last failed read said

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["photo", "x0", "y0", "x1", "y1", "angle", "rules"],
                name="one_marking_per_box_and_rules",
            ),
            models.CheckConstraint(
                condition=Q(angle__gt=-90, angle__lte=90), name="box_marking_angle_in_range"
            ),
            models.CheckConstraint(
                condition=~Q(angle=0) | Q(x0__gte=0, y0__gte=0), name="box_marking_upright_inside"
            ),
            # Read means read at a time, and nothing left to retry.
            models.CheckConstraint(
                condition=Q(reading__isnull=True, read_at__isnull=True)
                | Q(reading__isnull=False, read_at__isnull=False, retry_at__isnull=True),
                name="box_marking_read_or_pending",
            ),
        ]
        indexes = [
            # The reader's queue: pending rows only, oldest first.
            models.Index(
                fields=["id"], condition=Q(reading__isnull=True), name="box_marking_pending"
            )
        ]

    def __str__(self):
        return f"marking of {self.box} in photo {self.photo_id}"

    @property
    def box(self):
        return turned.plain((self.x0, self.y0, self.x1, self.y1, self.angle))


class Sighting(models.Model):
    """One tool in a photo: its box and the feature the model computed from the crop."""

    photo = models.ForeignKey(
        Photo, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    x0 = models.IntegerField(null=True, blank=True)
    y0 = models.IntegerField(null=True, blank=True)
    x1 = models.IntegerField(null=True, blank=True)
    y1 = models.IntegerField(null=True, blank=True)
    angle = models.FloatField(default=0.0)  # the box's turn (inference/turned.py)
    embedding = VectorField(dimensions=FEATURE_DIMENSIONS, null=True, blank=True)
    # Which model file (sha256) made `embedding`; `manage.py reembed` recomputes the others.
    model_sha256 = models.CharField(max_length=64, blank=True)
    # The tool's own marking (inference/markings.py): the number or code read off the tool,
    # or typed / scanned at the desk; how it was got; and what the reader said.
    marking_text = models.CharField(max_length=200, blank=True)
    marking_source = models.CharField(max_length=12, blank=True, choices=MarkingSource.choices)
    marking_confidence = models.FloatField(null=True, blank=True)
    marking_status = models.CharField(max_length=12, blank=True)
    marking_message = models.CharField(max_length=300, blank=True)
    # Estimated character height (px) of the text seen; where the marking is in the photo.
    marking_char_height = models.FloatField(null=True, blank=True)
    marking_box = models.JSONField(null=True, blank=True)
    # The marking of this box is still with the marking reader (BoxMarking pending): it is
    # kept here, and at return applied to the line, when the reader has read it.
    marking_pending = models.BooleanField(default=False)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                name="%(class)s_box_valid",
                condition=(
                    Q(
                        photo__isnull=True,
                        x0__isnull=True,
                        y0__isnull=True,
                        x1__isnull=True,
                        y1__isnull=True,
                    )
                    | Q(photo__isnull=False, x1__gt=F("x0"), y1__gt=F("y0"))
                ),
            ),
            models.CheckConstraint(
                name="%(class)s_angle_in_range",
                condition=Q(angle__gt=-90, angle__lte=90) & (Q(angle=0) | Q(photo__isnull=False)),
            ),
            # Only a turned box may start left of or above the photo.
            models.CheckConstraint(
                name="%(class)s_upright_box_inside",
                condition=Q(photo__isnull=True) | ~Q(angle=0) | Q(x0__gte=0, y0__gte=0),
            ),
            models.CheckConstraint(
                name="%(class)s_embedding_has_model",
                condition=Q(embedding__isnull=True) | ~Q(model_sha256=""),
            ),
            # Only a box in a photo has a marking to wait for.
            models.CheckConstraint(
                name="%(class)s_pending_marking_has_box",
                condition=Q(marking_pending=False) | Q(photo__isnull=False),
            ),
        ]

    @property
    def box(self):
        if self.photo_id is None:
            return None
        return turned.plain((self.x0, self.y0, self.x1, self.y1, self.angle))

    @box.setter
    def box(self, value):
        self.x0, self.y0, self.x1, self.y1 = value[:4] if value is not None else (None,) * 4
        self.angle = turned.angle_of(value) if value is not None else 0.0

    def keep_marking(self, marking) -> None:
        """Record what was read off this crop (an inference Marking, boxes in the crop's pixels)."""
        if marking is None:
            return
        best = marking.best
        self.marking_status = marking.status
        self.marking_message = marking.message[:300]
        self.marking_char_height = marking.char_height
        if best is not None:
            self.marking_text = best.text[:200]
            self.marking_source = best.source
            self.marking_confidence = round(best.confidence, 3)
            if best.box is not None and self.box is not None:
                x0, y0, _, _ = turned.bounds(self.box)  # markings are read in the bounds
                bx0, by0, bx1, by1 = best.box
                self.marking_box = [x0 + bx0, y0 + by0, x0 + bx1, y0 + by1]

    def marking_summary(self) -> dict | None:
        """The marking as the API, reports and the audit trail give it."""
        if not (self.marking_status or self.marking_text):
            return None
        return {
            "text": self.marking_text or None,
            "source": self.marking_source or None,
            "confidence": self.marking_confidence,
            "status": self.marking_status or None,
            "message": self.marking_message or None,
            "char_height": self.marking_char_height,
            "box": self.marking_box,
        }


class Enrolment(Sighting):
    """A reference photo of a tool instance, used to recognise that very tool."""

    tool_instance = models.ForeignKey(
        ToolInstance, on_delete=models.CASCADE, related_name="enrolments"
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The kit class the model read on this crop, where it was sure (for calibration: does the
    # model read this tool's type right?); empty when unsure or recognition was off.
    read_class = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    class Meta(Sighting.Meta):
        ordering = ["-created_at"]
        indexes = [
            HnswIndex(
                name="enrolment_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            )
        ]

    def __str__(self):
        return f"enrolment {self.pk} of {self.tool_instance}"


class Issue(models.Model):
    """Tools handed to an engineer in one go at the crib desk."""

    engineer = models.ForeignKey(Engineer, on_delete=models.PROTECT, related_name="issues")
    storekeeper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    photos = models.ManyToManyField(Photo, blank=True, related_name="+")
    # A retried request with the same key returns the first issue instead of issuing twice.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("issue_tools", "Can issue tools to engineers")]

    def __str__(self):
        return f"issue {self.pk} to {self.engineer}"

    def get_absolute_url(self):
        return reverse("issue", args=[self.pk])


def still_out(through: str = "") -> Q:
    """Issued tools not yet closed (the one place that says so), reached through `through`
    (e.g. "issues__tools__" from an engineer)."""
    return Q(**{f"{through}closed_at__isnull": True})


class IssuedToolQuerySet(models.QuerySet):
    def open(self):
        """Tools still out: not back in the crib nor declared missing."""
        return self.filter(still_out())


class IssuedTool(Sighting):
    issue = models.ForeignKey(Issue, on_delete=models.PROTECT, related_name="tools")
    tool_instance = models.ForeignKey(ToolInstance, on_delete=models.PROTECT, related_name="issued")
    due_back = models.DateTimeField()
    # Set when the tool is back in the crib or declared missing: the engineer holds it no more.
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = IssuedToolQuerySet.as_manager()

    class Meta(Sighting.Meta):
        ordering = ["issue", "id"]
        constraints = Sighting.Meta.constraints + [
            # One holder per tool at a time: at most one open issued record per tool instance.
            models.UniqueConstraint(
                fields=["tool_instance"],
                condition=still_out(),
                name="one_holder_per_tool",
            )
        ]

    def __str__(self):
        return f"{self.tool_instance} in issue {self.issue_id}"

    @property
    def overdue(self):
        return self.closed_at is None and self.due_back < timezone.now()


class Return(models.Model):
    """Tools brought back by an engineer, checked at the return desk."""

    engineer = models.ForeignKey(Engineer, on_delete=models.PROTECT, related_name="returns")
    desk_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    photos = models.ManyToManyField(Photo, blank=True, related_name="+")
    threshold = models.FloatField(
        help_text="Raw match % floor in force for this return (below it nothing is accepted "
        "without a look)."
    )
    accepted_risk = models.FloatField(
        null=True, blank=True, help_text="False accepts per 1,000 in force for this return."
    )
    # The calibrated % from which a tool was accepted without a look (empty: no level was
    # safe enough, everything plausible went to confirm by eye), and which calibration.
    accept_level = models.FloatField(null=True, blank=True)
    calibration = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Ends(models.TextChoices):
        # What the desk says the return ends: a normal return (the default) covers only the
        # tools in the photo; at the end of the shift or of the job the rest go to a recount.
        NOTHING = "nothing", "nothing: a normal return"
        SHIFT = "shift", "the end of the shift"
        JOB = "job", "the end of the job"

    ends = models.CharField(max_length=8, choices=Ends.choices, default=Ends.NOTHING)
    # Tools the engineer held that were not in this return's photo and stayed out with them
    # (a normal return): recorded so the return result can list them.
    still_out_tools = models.ManyToManyField(IssuedTool, blank=True, related_name="left_out_by")

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("return_tools", "Can take tools back at the return desk"),
            ("decide_recount", "Can decide a manual recount"),
        ]

    def __str__(self):
        return f"return {self.pk} from {self.engineer}"

    def get_absolute_url(self):
        return reverse("return", args=[self.pk])

    def passes(self, match_percent: float | None) -> bool:
        """A match passes at or above the threshold in force for this return."""
        return match_percent is not None and match_percent >= self.threshold


class ReturnedTool(Sighting):
    """One line of a return: a tool in the return photo, a held tool that was not in it, or both."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "accepted"
        CONFIRM_BY_EYE = "confirm_by_eye", "confirm by eye"
        CONFIRMED = "confirmed", "confirmed by eye"
        RECOUNT_REQUIRED = "recount_required", "recount required"
        RECOUNTED_ACCEPTED = "recounted_accepted", "recounted and accepted"
        MISSING = "missing", "missing"
        EXTRA = "extra", "not issued to this engineer"
        # What the desk made of an extra line (toolcrib/crib/extras.py):
        NOT_A_TOOL = "not_a_tool", "not a tool"
        IDENTIFIED = "identified", "identified as a crib tool"
        FOREIGN = "foreign", "foreign tool: reported to QA"

    # Lines the desk still owes a decision: one click (confirm by eye) or a recount.
    OPEN_DECISIONS = (Decision.CONFIRM_BY_EYE, Decision.RECOUNT_REQUIRED)

    tool_return = models.ForeignKey(Return, on_delete=models.PROTECT, related_name="tools")
    # Empty for a tool in the photo that this engineer does not hold.
    issued_tool = models.OneToOneField(
        IssuedTool, null=True, blank=True, on_delete=models.PROTECT, related_name="returned"
    )
    match_percent = models.FloatField(null=True, blank=True, help_text="Raw similarity, %.")
    # Calibrated probability that it is the tool issued, 0..100 (inference/calibration.py).
    probability = models.FloatField(null=True, blank=True)
    # Raw match % of the best *other* tool the engineer held, for the margin.
    next_best_percent = models.FloatField(null=True, blank=True)
    # The verdict's reason in words, as decided at return ("same type, 93 % likely ...");
    # `reason` below is replaced by the desk's own words when it decides.
    verdict_reason = models.TextField(blank=True)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    # What the marking said about this line (toolcrib/crib/markings.py), empty before markings.
    marking_check = models.CharField(max_length=20, blank=True, choices=MARKING_CHECKS)
    # A close-up of the tool's marking, taken at the desk when the return photo did not settle
    # the line; its read decided the line and it is kept as evidence (services.read_close_up).
    close_up = models.ForeignKey(
        Photo, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The crib tool an extra line turned out to be ("this is AT-…"), decision `identified`.
    identified_as = models.ForeignKey(
        ToolInstance, null=True, blank=True, on_delete=models.PROTECT, related_name="identified_in"
    )

    class Meta(Sighting.Meta):
        ordering = ["tool_return", "id"]
        constraints = Sighting.Meta.constraints + [
            # An identified line names its tool; no other line names one.
            models.CheckConstraint(
                condition=Q(decision="identified", identified_as__isnull=False)
                | (~Q(decision="identified") & Q(identified_as__isnull=True)),
                name="identified_names_the_tool",
            ),
            models.CheckConstraint(
                condition=~Q(decision__in=["not_a_tool", "identified", "foreign"])
                | Q(issued_tool__isnull=True),
                name="extra_actions_only_on_extra_lines",
            ),
            # While the marking is with the reader it has said nothing about the line yet.
            models.CheckConstraint(
                condition=Q(marking_pending=False) | Q(marking_check=""),
                name="pending_marking_checks_nothing_yet",
            ),
        ]

    def __str__(self):
        return f"{self.issued_tool or 'extra tool'}: {self.get_decision_display()}"

    @property
    def passed(self) -> bool:
        return self.tool_return.passes(self.match_percent)


class CribSettings(models.Model):
    """Settings the admin changes at run time (one row)."""

    recount_threshold = models.FloatField(
        help_text="Match % at or above which a returned tool is accepted without a recount."
    )
    # Empty: TOOLCRIB_LOAN_HOURS decides (toolcrib/crib/loans.py says which one is in force).
    loan_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Hours after issue at which a tool is due back; empty: TOOLCRIB_LOAN_HOURS.",
    )
    accepted_risk = models.FloatField(
        default=20.0,
        help_text="False accepts per 1,000 returned tools that the crib accepts, at most.",
    )
    marking_patterns = models.TextField(
        default="\n".join(DEFAULT_PATTERNS),
        help_text="The crib's inventory-number patterns (regular expressions), one per line. "
        "Text read off a tool counts as a number only when it fits one of them.",
    )
    marking_min_partial = models.PositiveSmallIntegerField(
        default=DEFAULT_MIN_PARTIAL,
        help_text="Characters a partly read number needs before it may confirm the issued tool.",
    )

    class Meta:
        verbose_name_plural = "crib settings"
        constraints = [
            models.CheckConstraint(
                name="threshold_is_percent",
                condition=Q(recount_threshold__gte=0, recount_threshold__lte=100),
            ),
            models.CheckConstraint(
                name="risk_is_per_thousand",
                condition=Q(accepted_risk__gte=0, accepted_risk__lte=1000),
            ),
            models.CheckConstraint(
                name="crib_loan_hours_positive",
                condition=Q(loan_hours__isnull=True) | Q(loan_hours__gt=0),
            ),
        ]

    def __str__(self):
        return "crib settings"

    @classmethod
    def current(cls):
        obj, _ = cls.objects.get_or_create(
            pk=1,
            defaults={
                "recount_threshold": settings.TOOLCRIB_DEFAULT_THRESHOLD,
                "accepted_risk": settings.TOOLCRIB_ACCEPTED_RISK,
            },
        )
        return obj

    def marking_rules(self):
        """The compiled number patterns and the partial-read length, for inference/markings.py."""
        return compile_patterns(self.marking_patterns), self.marking_min_partial


class CalibrationFit(models.Model):
    """The match calibration fitted on the crib's enrolment photos (toolcrib/crib/calibration.py),
    kept per fit so the settings page can say what is in use and since when."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    model_sha256 = models.CharField(max_length=64)
    enrolments = models.PositiveIntegerField()
    tools = models.PositiveIntegerField()
    genuine = models.PositiveIntegerField()
    impostors = models.PositiveIntegerField()
    # inference.calibration.Calibration.to_dict(), or empty when the data was too thin to fit
    parameters = models.JSONField(null=True, blank=True)
    points = models.JSONField(default=list)  # operating points: what each level costs
    # What the fit saw: enrolment count and newest id; a change means it is out of date.
    fingerprint = models.CharField(max_length=100)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"calibration fit {self.pk} ({self.enrolments} enrolments)"


class AuditEvent(models.Model):
    """Append-only: a database trigger refuses UPDATE and DELETE on this table."""

    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=50)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name or 'system'} {self.action} {self.object_repr}"


class ForeignToolReportQuerySet(models.QuerySet):
    def open(self):
        """Reports still on QA's list."""
        return self.filter(closed_at=None)


class ForeignToolReport(models.Model):
    """A tool at the return desk that is not the crib's: reported to QA, on QA's list until
    QA closes it (with what was done)."""

    line = models.OneToOneField(
        ReturnedTool, on_delete=models.PROTECT, related_name="foreign_report"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(default=timezone.now, editable=False)
    note = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(blank=True)

    objects = ForeignToolReportQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at"]
        permissions = [("close_foreigntoolreport", "Can close a foreign tool report (QA)")]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, closed_by__isnull=True)
                | (Q(closed_at__isnull=False, closed_by__isnull=False) & ~Q(closing_note="")),
                name="closed_report_says_who_and_what",
            )
        ]

    def __str__(self):
        return f"foreign tool report {self.pk} (return {self.line.tool_return_id})"

    @property
    def open(self) -> bool:
        return self.closed_at is None
