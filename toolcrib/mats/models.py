"""Kit mats: templates (one row per version) with their slots, and what was seen on a mat
photo at an issue or a return, slot by slot."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from pgvector.django import VectorField

from inference import mats
from toolcrib.crib.models import (
    FEATURE_DIMENSIONS,
    MARKING_CHECKS,
    Issue,
    Photo,
    Return,
    ToolInstance,
    ToolType,
)


class Installation(models.Model):
    """This Toolcrib's own mark, printed in every mat's code: a mat from another installation
    is refused rather than read against the wrong templates."""

    code = models.CharField(max_length=8, unique=True)

    def __str__(self):
        return f"installation {self.code}"

    @classmethod
    def current(cls) -> str:
        row, _ = cls.objects.get_or_create(pk=1, defaults={"code": secrets.token_hex(3).upper()})
        return row.code


class MatTemplate(models.Model):
    """One version of a kit mat. A new version is a new row; old ones stay readable."""

    class Paper(models.TextChoices):
        A3 = "A3", "A3 (420 x 297 mm)"
        A2 = "A2", "A2 (594 x 420 mm)"

    name = models.CharField(max_length=100)
    version = models.PositiveIntegerField()
    paper = models.CharField(max_length=2, choices=Paper.choices)
    design_photo = models.ForeignKey(
        Photo, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="one_mat_version")]

    def __str__(self):
        return f"{self.name} v{self.version}"

    def get_absolute_url(self):
        return reverse("mat", args=[self.pk])

    @property
    def code(self) -> str:
        return mats.code_text(Installation.current(), self.pk, self.version)

    def latest(self) -> "MatTemplate":
        return MatTemplate.objects.filter(name=self.name).order_by("-version").first()

    @property
    def superseded(self) -> bool:
        return MatTemplate.objects.filter(name=self.name, version__gt=self.version).exists()

    def as_template(self) -> mats.Template:
        """The pure description that inference/mats.py prints and reads."""
        return mats.Template(
            self.name,
            self.version,
            self.paper,
            tuple(s.as_slot() for s in self.slots.select_related("tool_type", "tool_instance")),
            self.code,
        )


class MatSlot(models.Model):
    template = models.ForeignKey(MatTemplate, on_delete=models.CASCADE, related_name="slots")
    label = models.CharField(max_length=20)
    tool_type = models.ForeignKey(ToolType, on_delete=models.PROTECT, related_name="+")
    # A fixed set names the very tool that belongs here; otherwise any tool of the type.
    tool_instance = models.ForeignKey(
        ToolInstance, null=True, blank=True, on_delete=models.PROTECT, related_name="mat_slots"
    )
    outline = models.JSONField(help_text="Corners [[x, y], ...] in mm from the top-left corner.")
    angle = models.FloatField(default=0, help_text="Direction of the tool's long axis, degrees.")
    # The tool as laid in this slot on the design photo, to compare a slot's contents with.
    reference = VectorField(dimensions=FEATURE_DIMENSIONS, null=True, blank=True)
    model_sha256 = models.CharField(max_length=64, blank=True)
    # How the tool filled the slot on the design photo: a tool of another size fills it otherwise.
    design_presence = models.FloatField(null=True, blank=True)
    design_spill = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["template", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "label"], name="one_slot_label_per_mat")
        ]

    def __str__(self):
        return f"slot {self.label} of {self.template}"

    @property
    def design(self) -> tuple[float, float] | None:
        if self.design_presence is None:
            return None
        return (self.design_presence, self.design_spill or 0.0)

    def as_slot(self) -> mats.Slot:
        return mats.Slot(
            self.label,
            self.tool_type.name,
            tuple((float(x), float(y)) for x, y in self.outline),
            self.angle,
            self.tool_instance.inventory_number if self.tool_instance else "",
        )


class MatReading(models.Model):
    """A mat photo taken at an issue or a return, and what was seen on it."""

    template = models.ForeignKey(MatTemplate, on_delete=models.PROTECT, related_name="readings")
    photo = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="+")
    issue = models.OneToOneField(
        Issue, null=True, blank=True, on_delete=models.PROTECT, related_name="mat_reading"
    )
    tool_return = models.OneToOneField(
        Return, null=True, blank=True, on_delete=models.PROTECT, related_name="mat_reading"
    )
    markers_seen = models.PositiveSmallIntegerField()
    foreign = models.JSONField(default=list, help_text="Boxes (mm) of objects outside the slots.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="mat_reading_for_one_thing",
                condition=Q(issue__isnull=True, tool_return__isnull=False)
                | Q(issue__isnull=False, tool_return__isnull=True),
            )
        ]

    def __str__(self):
        return f"mat reading {self.pk} of {self.template}"

    def get_absolute_url(self):
        return reverse("mat-reading", args=[self.pk])


class SlotOutcome(models.Model):
    class State(models.TextChoices):
        PRESENT = "present", "present"
        EMPTY = "empty", "empty"
        WRONG = "wrong", "wrong tool in the slot"

    reading = models.ForeignKey(MatReading, on_delete=models.CASCADE, related_name="slots")
    slot = models.ForeignKey(MatSlot, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices)
    presence = models.FloatField(help_text="Fraction of the slot covered (0-1).")
    seen_type = models.ForeignKey(
        ToolType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    match_percent = models.FloatField(null=True, blank=True)
    # For a wrong tool: the slot whose tool it looks like.
    looks_like = models.ForeignKey(
        MatSlot, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the tool's marking said (toolcrib/crib/markings.py): the number or code read, the
    # check against the slot's tool, and the crib tool it names; empty when nothing was read.
    marking = models.CharField(max_length=64, blank=True)
    marking_check = models.CharField(max_length=20, blank=True, choices=MARKING_CHECKS)
    marking_names = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["reading", "id"]

    def __str__(self):
        return f"{self.slot}: {self.state}"
