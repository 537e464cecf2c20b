"""Designing a kit mat in the browser's form: a photo of the kit on a blank mat proposes one
slot per tool; the admin edits the table and saves a version; a bad slot is refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from toolcrib.crib.models import ToolType
from toolcrib.mats.models import MatTemplate

pytestmark = [pytest.mark.photos, pytest.mark.model]


def _post_rows(rows, **extra):
    data = {"slots-TOTAL_FORMS": len(rows), "slots-INITIAL_FORMS": 0, **extra}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"slots-{i}-{key}"] = "" if value is None else value
    return data


def test_it_proposes_a_slot_per_tool_and_saves_the_edited_version(
    client, crib_admin, mat_layout, design_jpeg
):
    client.force_login(crib_admin)
    response = client.post(
        "/mats/new/",
        {
            "name": "Wheel kit",
            "paper": "A2",
            "action": "propose",
            "design_photo": SimpleUploadedFile("kit.jpg", design_jpeg, "image/jpeg"),
        },
    )
    assert response.status_code == 200
    assert "Slots proposed from the mat&#x27;s markers." in response.content.decode()
    proposed = response.context["slots"].initial
    # Every tool of the kit has a proposed slot centred within 25 mm of where it lies.
    for slot in mat_layout.slots:
        cx, cy = slot.centre
        assert any(abs(p["cx"] - cx) < 25 and abs(p["cy"] - cy) < 25 for p in proposed), slot
    photo = response.context["form"].initial["photo"]

    # The admin keeps three slots, fixes their types, and adds one by hand.
    pliers = ToolType.objects.get(model_class_index=5)
    rows = [dict(p, tool_type=pliers.pk, tool_instance="") for p in proposed[:3]]
    rows.append(
        {"label": "X", "tool_type": pliers.pk, "cx": 300, "cy": 330, "length": 120,
         "width": 40, "angle": 30, "tool_instance": ""}
    )  # fmt: skip
    response = client.post(
        "/mats/new/",
        _post_rows(rows, name="Wheel kit", paper="A2", photo=photo, action="save"),
    )
    assert response.status_code == 302
    template = MatTemplate.objects.get(name="Wheel kit")
    assert response.status_code == 302 and response.url == template.get_absolute_url()
    assert template.version == 1 and template.slots.count() == 4
    added = template.slots.get(label="X")
    assert added.angle == 30 and added.reference is not None

    # A slot outside the sheet is refused with the reason, and nothing is saved.
    rows[3]["cx"] = 580
    response = client.post(
        "/mats/new/",
        _post_rows(rows, name="Wheel kit", paper="A2", photo=photo, action="save"),
    )
    assert "Slot X reaches outside the mat&#x27;s free area" in response.content.decode()
    assert MatTemplate.objects.filter(name="Wheel kit").count() == 1
