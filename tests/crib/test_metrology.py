"""Calibration records (metrology): the due date follows the newest record and blocks issue."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError

from toolcrib.crib import metrology, services
from toolcrib.crib.metrology import Calibrated
from toolcrib.crib.models import AuditEvent, CalibrationRecord, ToolInstance

pytestmark = pytest.mark.django_db
TODAY = date.today()
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def stored_files():
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_a_new_calibration_lets_an_overdue_tool_be_issued_again(
    tool_factory, crib_admin, storekeeper, engineer
):
    tool = tool_factory("AT-1", calibration_due=TODAY - timedelta(days=1))
    line = [services.ToolLine(tool)]
    with pytest.raises(services.ToolUnavailable, match="past its calibration date"):
        services.issue_tools(engineer=engineer, storekeeper=storekeeper, lines=line)

    record = metrology.record_calibration(
        tool,
        Calibrated(TODAY, TODAY + timedelta(days=365), " C-2026-114 ", "Metrology lab A"),
        certificate=SimpleUploadedFile("scan.pdf", PDF),
        user=crib_admin,
    )

    tool.refresh_from_db()
    assert tool.calibration_due == TODAY + timedelta(days=365)
    assert record.certificate_number == "C-2026-114"
    assert record.certificate.read() == PDF
    change = AuditEvent.objects.get(object_type="toolinstance", action="changed")
    assert change.actor == crib_admin
    assert change.after == {
        "calibration_due": str(TODAY + timedelta(days=365)),
        "reason": "calibration record C-2026-114",
    }
    assert AuditEvent.objects.filter(object_type="calibrationrecord", action="created").exists()
    services.issue_tools(engineer=engineer, storekeeper=storekeeper, lines=line)


def test_an_older_record_entered_late_leaves_the_due_date_of_the_newest(tool_factory, crib_admin):
    tool = tool_factory("AT-1")
    new = Calibrated(TODAY - timedelta(days=10), TODAY + timedelta(days=355), "C-2", "Lab")
    old = Calibrated(TODAY - timedelta(days=400), TODAY - timedelta(days=35), "C-1", "Lab")
    metrology.record_calibration(tool, new, user=crib_admin)
    metrology.record_calibration(tool, old, user=crib_admin)

    tool.refresh_from_db()
    assert tool.calibration_due == new.due_date
    assert [r.certificate_number for r in tool.calibration_records.all()] == ["C-2", "C-1"]


@pytest.mark.parametrize(
    ("seen", "upload", "message"),
    [
        (Calibrated(TODAY, TODAY, "C-1", "Lab"), None, "must come after the calibration date"),
        (
            Calibrated(TODAY + timedelta(days=1), TODAY + timedelta(days=9), "C-1", "Lab"),
            None,
            "in the future",
        ),
        (Calibrated(TODAY, TODAY + timedelta(days=9), "  ", "Lab"), None, "certificate number"),
        (Calibrated(TODAY, TODAY + timedelta(days=9), "C-1", ""), None, "who calibrated it"),
        (
            Calibrated(TODAY, TODAY + timedelta(days=9), "C-1", "Lab"),
            SimpleUploadedFile("cert.pdf", b"just some text, named .pdf"),
            "must be a PDF, JPEG or PNG",
        ),
    ],
)
def test_bad_input_records_nothing_and_leaves_no_file(
    tool_factory, crib_admin, seen, upload, message
):
    tool = tool_factory("AT-1", calibration_due=TODAY + timedelta(days=3))
    with pytest.raises(services.CribError, match=message):
        metrology.record_calibration(tool, seen, certificate=upload, user=crib_admin)
    tool.refresh_from_db()
    assert tool.calibration_due == TODAY + timedelta(days=3)
    assert not CalibrationRecord.objects.exists()
    assert stored_files() == []


def test_a_database_failure_after_the_file_is_stored_deletes_it(
    tool_factory, crib_admin, monkeypatch
):
    tool = tool_factory("AT-1")

    def fail(*args, **kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr(CalibrationRecord, "save", fail)  # the file is written by then
    with pytest.raises(DatabaseError):
        metrology.record_calibration(
            tool,
            Calibrated(TODAY, TODAY + timedelta(days=9), "C-1", "Lab"),
            certificate=SimpleUploadedFile("scan.pdf", PDF),
            user=crib_admin,
        )
    assert stored_files() == []


def test_the_due_list_has_overdue_and_soon_due_tools_but_not_retired_or_lost_ones(tool_factory):
    tool_factory("LATE", calibration_due=TODAY - timedelta(days=2))
    tool_factory("TODAY", calibration_due=TODAY)
    tool_factory("IN-30", calibration_due=TODAY + timedelta(days=30))
    tool_factory("IN-31", calibration_due=TODAY + timedelta(days=31))
    tool_factory("NEVER")
    tool_factory(
        "OLD", calibration_due=TODAY - timedelta(days=90), status=ToolInstance.Status.RETIRED
    )
    tool_factory("GONE", calibration_due=TODAY - timedelta(days=9), status=ToolInstance.Status.LOST)

    def numbers(days):
        return [t.inventory_number for t in metrology.due_within(days, TODAY)]

    assert numbers(30) == ["LATE", "TODAY", "IN-30"]
    assert numbers(0) == ["LATE", "TODAY"]
    assert [t.calibration_overdue(TODAY) for t in metrology.due_within(0, TODAY)] == [True, False]
