"""Django admin works for every model of the crib, and keeps the audit trail read-only."""

import pytest
from django.contrib import admin
from django.urls import reverse

from toolcrib.crib.models import AuditEvent

pytestmark = pytest.mark.django_db
CRIB_MODELS = [m for m in admin.site._registry if m._meta.app_label == "crib"]


def test_it_registers_every_crib_model():
    from django.apps import apps

    assert set(CRIB_MODELS) == set(apps.get_app_config("crib").get_models())


@pytest.mark.parametrize("model", CRIB_MODELS, ids=lambda m: m._meta.model_name)
def test_it_lists_each_model(admin_client, model, tool_factory, engineer):
    tool_factory("AT-1")
    response = admin_client.get(reverse(f"admin:crib_{model._meta.model_name}_changelist"))
    assert response.status_code == 200


def test_it_offers_no_way_to_edit_an_audit_event(admin_client, tool_factory):
    tool = tool_factory("AT-1")
    event = AuditEvent.objects.get(object_type="toolinstance", object_id=str(tool.pk))
    response = admin_client.post(
        reverse("admin:crib_auditevent_change", args=[event.pk]), {"action": "forged"}
    )
    assert response.status_code == 403
    assert admin_client.get(reverse("admin:crib_auditevent_add")).status_code == 403
    event.refresh_from_db()
    assert event.action == "created"
