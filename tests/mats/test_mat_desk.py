"""Issue and return on a kit mat through the services and pages, on the real database and
model: one photo, no boxes; an empty slot goes straight to a recount; a photo that is not a
readable mat of this crib is refused with what to do, and nothing is recorded."""

import dataclasses

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from toolcrib.crib.models import Issue, IssuedTool, Photo, Return, ReturnedTool, ToolInstance
from toolcrib.mats import services
from toolcrib.mats.models import MatReading, MatTemplate

pytestmark = [pytest.mark.photos, pytest.mark.model]


def test_it_saves_slots_with_references_from_the_design_photo(kit_mat):
    assert kit_mat.version == 1
    slots = list(kit_mat.slots.all())
    assert len(slots) == 11
    assert all(s.reference is not None and s.model_sha256 for s in slots)
    assert kit_mat.code.startswith("TCM1-") and kit_mat.code.endswith(f"-{kit_mat.pk}-1")


def test_it_issues_and_takes_back_a_kit_on_its_mat_sending_the_empty_slot_to_recount(
    kit_mat, engineer, storekeeper, desk
):
    issue = services.issue_on_mat(
        engineer=engineer, storekeeper=storekeeper, data=kit_mat.photo(tilt=25.0)
    )
    assert issue.tools.count() == 11
    assert all(r["state"] == "present" for r in services.slot_rows(issue.mat_reading))

    tool_return = services.return_on_mat(
        engineer=engineer, desk_user=desk, data=kit_mat.photo(missing=[4], tilt=30.0)
    )
    rows = services.slot_rows(tool_return.mat_reading)
    [empty] = [r for r in rows if r["state"] == "empty"]
    assert empty["slot"] == "5" and empty["expected_tool"] == "MAT-05"
    assert empty["seen_tool"] is None and empty["template"] == "Bench kit" and empty["version"] == 1
    line = tool_return.tools.get(issued_tool__tool_instance__inventory_number="MAT-05")
    assert line.decision == ReturnedTool.Decision.RECOUNT_REQUIRED
    assert line.reason == "its slot on the kit mat is empty"
    assert ToolInstance.objects.get(inventory_number="MAT-05").status == "issued"
    present = [r for r in rows if r["state"] == "present"]
    assert len(present) == 10 and all(r["match_percent"] > 70 for r in present)


def test_a_tool_in_another_tools_slot_sends_the_slots_tool_to_recount_and_is_an_extra_line(
    kit_mat, engineer, storekeeper, desk
):
    from toolcrib.crib.models import AuditEvent

    services.issue_on_mat(engineer=engineer, storekeeper=storekeeper, data=kit_mat.photo())
    # The adjustable wrench (slot 5) and the lockwire pliers (slot 7) change places.
    tool_return = services.return_on_mat(
        engineer=engineer, desk_user=desk, data=kit_mat.photo(swap=(4, 6), tilt=15.0)
    )

    rows = {r["slot"]: r for r in services.slot_rows(tool_return.mat_reading)}
    assert rows["5"]["state"] == "wrong" and rows["7"]["state"] == "wrong"
    for slot, number in (("5", "MAT-05"), ("7", "MAT-07")):
        line = tool_return.tools.get(issued_tool__tool_instance__inventory_number=number)
        assert line.decision == ReturnedTool.Decision.RECOUNT_REQUIRED
        assert line.reason == f"another tool lies in its slot ({slot}) on the kit mat"
        assert ToolInstance.objects.get(inventory_number=number).status == "issued"
    extras = {e.reason.split(";")[0] for e in tool_return.tools.filter(decision="extra")}
    assert {
        "lies in slot 5 of the kit mat, where MAT-05 belongs",
        "lies in slot 7 of the kit mat, where MAT-07 belongs",
    } <= extras
    assert all(e.photo_id and e.box for e in tool_return.tools.filter(decision="extra"))
    # One extra line per slot judged wrong; the tools of the slots judged in place are matched,
    # not sent to a recount; none is left still out.
    wrong = {k for k, r in rows.items() if r["state"] == "wrong"}
    assert len(extras) == len(wrong)
    for k in rows:
        number = f"MAT-{int(k):02d}"
        line = tool_return.tools.get(issued_tool__tool_instance__inventory_number=number)
        assert (line.decision == "recount_required") == (k in wrong), (k, line.reason)
    assert not tool_return.still_out_tools.exists()
    event = AuditEvent.objects.filter(action="returned").latest("id")
    assert sum(t["decision"] == "recount_required" for t in event.after["tools"]) == len(wrong)


def _nothing_recorded(before):
    assert (Issue.objects.count(), Return.objects.count(), Photo.objects.count()) == before
    assert MatReading.objects.count() == 0


@pytest.mark.parametrize(
    "case, message",
    [
        ("other installation", "printed by another Toolcrib installation"),
        ("blank mat", "This is a blank mat for designing kit mats"),
        ("superseded", "version 1 of the mat Bench kit; version 2 replaced it"),
        ("no mat", "No mat markers in this photo"),
        ("scaled print", "This mat seems printed at about 9"),
    ],
)
def test_it_refuses_a_photo_that_is_not_a_mat_of_this_crib_and_records_nothing(
    case, message, kit_mat, engineer, storekeeper, photos_dir
):
    from bench import mat_photos

    if case == "other installation":
        other = dataclasses.replace(kit_mat.printed, code=f"TCM1-0THER0-{kit_mat.pk}-1")
        data, _ = mat_photos.return_photo(other, np.random.default_rng(3), empty=0, wrong=False)
    elif case == "blank mat":
        blank = services.blank_template("A2")
        data = mat_photos.photograph(
            mat_photos.lay_tools(blank, [], np.random.default_rng(4)), np.random.default_rng(4),
            tilt=10.0,
        )  # fmt: skip
    elif case == "superseded":
        services.save_template(
            name="Bench kit",
            paper="A2",
            slots=[services.SlotSpec.of(s) for s in kit_mat.slots.all()[:5]],
            user=None,
        )
        data = kit_mat.photo()
    elif case == "scaled print":  # printed "fit to page": every outline 6 % small
        data, _ = mat_photos.return_photo(
            kit_mat.printed, np.random.default_rng(5), empty=0, foreign=False, print_scale=0.94
        )
    else:
        data = (photos_dir / "kit" / "DSCN4950.JPG").read_bytes()
    before = (Issue.objects.count(), Return.objects.count(), Photo.objects.count())
    with pytest.raises(services.CribError, match=message):
        services.issue_on_mat(engineer=engineer, storekeeper=storekeeper, data=data)
    _nothing_recorded(before)


def test_the_return_page_and_the_report_carry_the_slot_by_slot_outcome(
    kit_mat, engineer, storekeeper, desk, client
):
    services.issue_on_mat(engineer=engineer, storekeeper=storekeeper, data=kit_mat.photo())
    client.force_login(desk)
    response = client.post(
        "/mats/return/",
        {
            "engineer": engineer.badge_number,
            "idempotency_key": "mat-return-1",
            "ends": "nothing",
            "photo": SimpleUploadedFile("mat.jpg", kit_mat.photo(missing=[2]), "image/jpeg"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    reading = MatReading.objects.get(tool_return__isnull=False)
    assert response.url == reading.get_absolute_url()
    page = client.get(response.url).content.decode()
    assert "1 empty slot" in page and "straight to a manual recount" in page
    picture = client.get(f"/mats/readings/{reading.pk}/mat.png")
    assert picture["Content-Type"] == "image/png" and picture.content[:4] == b"\x89PNG"
    report = client.get(f"/api/mat-readings/{reading.pk}/").json()
    [empty] = [s for s in report["slots"] if s["state"] == "empty"]
    assert empty["slot"] == "3" and empty["expected_tool"] == "MAT-03"
    assert set(empty) >= {"template", "version", "seen_tool", "presence", "match_percent"}
    assert report["return"] == reading.tool_return_id
    # The return's JSON report carries the same slot-by-slot outcome.
    report = client.get(f"/returns/{reading.tool_return_id}/report.json").json()
    assert report["mat"]["template"] == "Bench kit" and report["mat"]["version"] == 1
    assert [s["state"] for s in report["mat"]["slots"]].count("empty") == 1
    held = IssuedTool.objects.get(tool_instance__inventory_number="MAT-03")
    assert held.returned.decision == ReturnedTool.Decision.RECOUNT_REQUIRED


def test_a_template_gets_a_new_version_and_both_stay_listed(kit_mat, crib_admin, client):
    client.force_login(crib_admin)
    services.save_template(
        name="Bench kit",
        paper="A2",
        slots=[services.SlotSpec.of(s) for s in kit_mat.slots.all()],
        user=crib_admin,
    )
    assert list(MatTemplate.objects.values_list("version", flat=True)) == [2, 1]
    page = client.get("/mats/").content.decode()
    assert page.count("Bench kit") == 2 and "superseded" in page
    pdf = client.get(f"/mats/{kit_mat.pk}/mat.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
