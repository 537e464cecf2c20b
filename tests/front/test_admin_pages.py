"""The admin's pages: new tool types and tools, and the recount threshold with its audit trail."""

from django.urls import reverse

from toolcrib.crib.models import AuditEvent, CribSettings, ToolType


def test_it_sets_the_threshold_and_shows_who_changed_it(client, crib_admin, settings):
    client.force_login(crib_admin)
    page = client.get(reverse("crib-settings")).content.decode()
    assert f"The default is {settings.TOOLCRIB_DEFAULT_THRESHOLD:g}%" in page

    response = client.post(reverse("crib-settings"), {"recount_threshold": "85.5"}, follow=True)

    assert "Recount threshold set to 85.5%." in response.content.decode()
    assert CribSettings.current().recount_threshold == 85.5
    change = AuditEvent.objects.filter(object_type="cribsettings", action="changed").get()
    assert change.actor == crib_admin and change.after == {"recount_threshold": 85.5}
    assert f"threshold {settings.TOOLCRIB_DEFAULT_THRESHOLD}% → 85.5%" in response.content.decode()


def test_it_refuses_a_threshold_that_is_no_percentage(client, crib_admin):
    client.force_login(crib_admin)
    before = CribSettings.current().recount_threshold
    response = client.post(reverse("crib-settings"), {"recount_threshold": "140"})
    assert "Ensure this value is less than or equal to 100." in response.content.decode()
    assert CribSettings.current().recount_threshold == before


def test_it_adds_a_new_tool_type_at_any_time(client, crib_admin):
    client.force_login(crib_admin)
    client.post(reverse("tool-types"), {"name": "Torque wrench 20-100 Nm", "description": ""})
    new = ToolType.objects.get(name="Torque wrench 20-100 Nm")
    assert new.slug == "torque-wrench-20-100-nm" and new.model_class_index is None

    response = client.post(reverse("tool-types"), {"name": "torque wrench 20-100 nm"})
    assert "already exists" in response.content.decode()
    assert ToolType.objects.filter(model_class_index=None).count() == 1
