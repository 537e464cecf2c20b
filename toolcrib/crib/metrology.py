"""Tool calibration (metrology): a calibration record per lab visit, with its certificate.

Not the match calibration (calibration.py). The rule that a tool past its due date is not
issued lives on the tool (`ToolInstance.calibration_overdue`); here the due date is kept in step
with the newest record, and the list of what falls due is made.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from toolcrib.crib import audit, sites
from toolcrib.crib.errors import CribError
from toolcrib.crib.models import CalibrationRecord, ToolInstance

# What a certificate may be, by its first bytes (never by the name the browser sends).
CERTIFICATE_KINDS = {b"%PDF-": "pdf", b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


@dataclass
class Calibrated:
    """What the lab's certificate says."""

    calibrated_on: date
    due_date: date
    certificate_number: str
    calibrated_by: str


def _check(seen: Calibrated, today: date) -> None:
    if not seen.certificate_number.strip():
        raise CribError("Give the certificate number; nothing was recorded.")
    if not seen.calibrated_by.strip():
        raise CribError("Say who calibrated it (the lab or person); nothing was recorded.")
    if seen.calibrated_on > today:
        raise CribError(
            f"The calibration date {seen.calibrated_on} is in the future; nothing was recorded."
        )
    if seen.due_date <= seen.calibrated_on:
        raise CribError(
            f"The due date {seen.due_date} must come after the calibration date "
            f"{seen.calibrated_on}; nothing was recorded."
        )


def certificate_kind(head: bytes) -> str:
    for magic, ext in CERTIFICATE_KINDS.items():
        if head.startswith(magic):
            return ext
    raise CribError("The certificate must be a PDF, JPEG or PNG file; nothing was recorded.")


def _check_file(upload: UploadedFile) -> str:
    limit = settings.TOOLCRIB_MAX_UPLOAD_MB
    if upload.size is not None and upload.size > limit * 1024 * 1024:
        raise CribError(f"The certificate is larger than {limit} MB; nothing was recorded.")
    upload.seek(0)
    kind = certificate_kind(upload.read(8))
    upload.seek(0)
    return kind


def record_calibration(
    tool: ToolInstance,
    seen: Calibrated,
    *,
    user: User,
    certificate: UploadedFile | None = None,
) -> CalibrationRecord:
    """Keep a calibration record (and its certificate file); the tool's due date follows the
    newest record. All or nothing: a refusal leaves no row and no file."""
    sites.check_reaches(user, [tool], "recorded")
    seen.certificate_number = seen.certificate_number.strip()
    seen.calibrated_by = seen.calibrated_by.strip()
    _check(seen, timezone.localdate())
    kind = _check_file(certificate) if certificate is not None else None
    record = CalibrationRecord(
        tool_instance=tool,
        calibrated_on=seen.calibrated_on,
        due_date=seen.due_date,
        certificate_number=seen.certificate_number,
        calibrated_by=seen.calibrated_by,
        recorded_by=user,
    )
    try:
        with audit.acting_as(user), transaction.atomic():
            locked = ToolInstance.objects.select_for_update().get(pk=tool.pk)
            if certificate is not None:
                name = f"{locked.pk}-{seen.calibrated_on:%Y%m%d}.{kind}"
                record.certificate.save(name, certificate, save=False)
            record.save()
            newest = locked.calibration_records.first()
            if newest is not None and locked.calibration_due != newest.due_date:
                locked.calibration_due = newest.due_date
                locked.audit_reason = f"calibration record {newest.certificate_number}"
                locked.save(update_fields=["calibration_due"])
                locked.audit_reason = ""
    except BaseException:
        if record.certificate.name:
            record.certificate.storage.delete(record.certificate.name)
        raise
    return record


def due_within(days: int, today: date | None = None, user=None) -> QuerySet[ToolInstance]:
    """Tools (not retired or lost) whose calibration falls due within `days` days, overdue
    ones first: the Calibration due page and the notices (toolcrib/notify) alike; of `user`'s
    site if they are limited to one."""
    today = today or timezone.localdate()
    return (
        sites.visible(ToolInstance.objects.all(), user)
        .calibration_due_by(today + timedelta(days=days))
        .exclude(status__in=[ToolInstance.Status.RETIRED, ToolInstance.Status.LOST])
        .select_related("tool_type")
        .order_by("calibration_due", "inventory_number")
    )
