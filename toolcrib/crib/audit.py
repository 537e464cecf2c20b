"""The audit trail: who changed what, when, before -> after.

Changes to the crib's records are logged from model signals, so the admin, the pages and the
API are covered alike; services add one event per transaction (issue, return, recount).
The acting user comes from the request (ActorMiddleware) or from `acting_as()`.
"""

import contextlib
import contextvars

from django.db.models import FileField
from django.db.models.signals import post_delete, post_save, pre_save
from pgvector.django import VectorField

_actor = contextvars.ContextVar("audit_actor", default=None)


@contextlib.contextmanager
def acting_as(user):
    token = _actor.set(user if user is not None and user.is_authenticated else None)
    try:
        yield
    finally:
        _actor.reset(token)


class ActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Token-authenticated API users are known only inside the view: DRF views set it too.
        with acting_as(getattr(request, "user", None)):
            return self.get_response(request)


def snapshot(obj) -> dict:
    data = {}
    for field in obj._meta.concrete_fields:
        value = field.value_from_object(obj)
        if isinstance(field, VectorField):
            value = None if value is None else "<feature>"
        elif isinstance(field, FileField):
            value = value.name if value else None
        data[field.attname] = value
    return data


def record(action: str, obj, *, before=None, after=None, actor=None):
    from toolcrib.crib.models import AuditEvent

    actor = actor if actor is not None else _actor.get()
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor else "",
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
    )


def _changed(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _remember(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._audit_before = None
        return
    old = sender.objects.filter(pk=instance.pk).first()
    instance._audit_before = snapshot(old) if old else None


def _saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    after = snapshot(instance)
    before = getattr(instance, "_audit_before", None)
    if created or before is None:
        record("created", instance, after=after)
        return
    before, after = _changed(before, after)
    if after:
        record("changed", instance, before=before, after=after)


def _deleted(sender, instance, **kwargs):
    record("deleted", instance, before=snapshot(instance))


def connect_signals():
    from toolcrib.crib import models

    for model in (
        models.ToolType,
        models.ToolInstance,
        models.Engineer,
        models.Enrolment,
        models.CribSettings,
    ):
        uid = f"audit-{model._meta.model_name}"
        pre_save.connect(_remember, sender=model, dispatch_uid=uid)
        post_save.connect(_saved, sender=model, dispatch_uid=uid)
        post_delete.connect(_deleted, sender=model, dispatch_uid=uid)
