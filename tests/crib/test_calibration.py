"""The crib calibrates the match on its own enrolment photos and refits when they change."""

import pytest
from django.urls import reverse

from tests.conftest import need_model, need_shared_photos
from toolcrib.crib import calibration, services
from toolcrib.crib.models import CalibrationFit, Enrolment

pytestmark = [pytest.mark.django_db, pytest.mark.model, pytest.mark.photos]

# Four tools, each photographed on three backgrounds at another angle: different photos.
TOOLS = [
    ("SCR-0001", 0, "1_screw_flat"),
    ("PH-0002", 1, "2_screw_plus"),
    ("AT-288293-6", 4, "5_safety_pliers"),
    ("OEW-0034", 9, "10_open_end_wrench_3_4"),
]
BACKGROUNDS = ["black", "rust", "wood"]


def enrol_all(tool_factory, crib_admin, backgrounds=BACKGROUNDS):
    from tests.kit_photos import single_photo

    need_model(), need_shared_photos()
    for number, index, label in TOOLS:
        tool = tool_factory(number, index)
        for turns, background in enumerate(backgrounds):
            data, box = single_photo(f"{label}__{background}", turns)
            services.enrol(tool, services.store_photo(data), box, user=crib_admin)


def test_it_falls_back_to_the_built_in_calibration_and_says_why(
    tool_factory, crib_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enrol_all(tool_factory, crib_admin, backgrounds=["black"])

    in_use = calibration.in_use()
    assert not in_use.own and in_use.calibration.source.startswith("fitted on the shared photos")
    assert "The crib's 4 enrolment photos of 4 tools give 0 genuine pairs" in in_use.description


def test_it_fits_on_the_crib_s_photos_and_refits_when_they_change(
    tool_factory, crib_admin, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enrol_all(tool_factory, crib_admin)

    in_use = calibration.in_use()
    assert in_use.own and not in_use.stale
    assert in_use.fit.enrolments == 12 and in_use.fit.tools == 4 and in_use.fit.genuine >= 20
    client.force_login(crib_admin)
    page = client.get(reverse("crib-settings")).content.decode()
    assert "Calibration in use: the crib&#x27;s own: fitted" in page
    assert "on 12 enrolment photos of 4 tools" in page

    fits = CalibrationFit.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        Enrolment.objects.first().delete()  # whichever door removes it
    assert CalibrationFit.objects.count() == fits + 1
    assert calibration.in_use().fit.enrolments == 11


def test_it_says_when_enrolments_changed_since_the_fit(tool_factory, crib_admin):
    enrol_all(tool_factory, crib_admin)  # no commit: no refit ran
    calibration.refit()
    assert not calibration.in_use().stale

    Enrolment.objects.first().delete()

    assert calibration.in_use().stale
    assert "refit pending" in calibration.in_use().description


def test_the_calibrate_command_says_what_the_risk_costs(tool_factory, crib_admin):
    import io

    from django.core.management import call_command

    enrol_all(tool_factory, crib_admin)
    out = io.StringIO()

    call_command("calibrate", stdout=out)

    text = out.getvalue()
    assert "12 enrolment photos of 4 tools" in text
    assert "calibration in use: the crib's own: fitted" in text
    # 4 tools cannot show 20 false accepts per 1,000 at 95 % confidence: it says so.
    assert "accepted risk 20 per 1,000: " in text
