"""The audit trail: who changed what, when, before -> after.

Changes to the crib's records, to users and to groups are logged from model signals, so the
admin, the pages and the API are covered alike; services add one event per transaction (issue,
return, recount). Whatever else the Django admin changes is logged from its own log entries.
The acting user comes from the request (ActorMiddleware) or from `acting_as()`.
"""

import contextlib
import contextvars

from axes.signals import user_locked_out
from django.db.models import FileField
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
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


# Kept out of the trail: a password hash is a secret; a log-in's time is not a change.
SECRET_FIELDS = {"password"}
IGNORED_FIELDS = {"last_login"}


def snapshot(obj) -> dict:
    data = {}
    for field in obj._meta.concrete_fields:
        if field.attname in IGNORED_FIELDS:
            continue
        value = field.value_from_object(obj)
        if isinstance(field, VectorField):
            value = None if value is None else "<feature>"
        elif isinstance(field, FileField):
            value = value.name if value else None
        data[field.attname] = value
    return data


def record(action: str, obj, *, before=None, after=None, actor=None):
    return write(
        action,
        obj._meta.model_name,
        obj.pk,
        str(obj),
        before=before,
        after=after,
        actor=actor,
    )


def write(action, object_type, object_id, object_repr, *, before=None, after=None, actor=None):
    from toolcrib.crib.models import AuditEvent

    actor = actor if actor is not None else _actor.get()
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=actor.get_username() if actor else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=str(object_repr)[:200],
        before=before,
        after=after,
    )


def created_in_bulk(objs) -> None:
    """One "created" event per record saved by bulk_create (which sends no signals), as _saved
    would have written it: an import of 5,000 rows writes its trail in one statement."""
    from toolcrib.crib.models import AuditEvent

    actor = _actor.get()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor,
            actor_name=actor.get_username() if actor else "",
            action="created",
            object_type=obj._meta.model_name,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            after=_hide(snapshot(obj)),
        )
        for obj in objs
    )


def _changed(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return _hide({k: before.get(k) for k in keys}), _hide({k: after[k] for k in keys})


def _hide(values: dict) -> dict:
    return {k: "(hidden)" if k in SECRET_FIELDS and v else v for k, v in values.items()}


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
        record("created", instance, after=_hide(after))
        return
    before, after = _changed(before, after)
    if after:
        record("changed", instance, before=before, after=after)


def _deleted(sender, instance, **kwargs):
    record("deleted", instance, before=_hide(snapshot(instance)))


def _related_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Groups of a user, permissions of a user or a group: the new list, after each change."""
    if reverse or action not in ("post_add", "post_remove", "post_clear"):
        return
    field = next(f for f in instance._meta.many_to_many if f.remote_field.through is sender).name
    record(
        "changed",
        instance,
        after={field: sorted(str(o) for o in getattr(instance, field).all())},
    )


def _admin_logged(sender, instance, created, **kwargs):
    """What the Django admin changed in records no signal above watches (log-in lockouts, ...)."""
    from rest_framework.authtoken.models import TokenProxy

    model = instance.content_type.model_class() if instance.content_type_id else None
    # Tokens are recorded by their admin: a token's text is its key, kept out of every log.
    if not created or model is None or model in {*_watched(), TokenProxy}:
        return
    write(
        {1: "admin added", 2: "admin changed", 3: "admin deleted"}[instance.action_flag],
        model._meta.model_name,
        instance.object_id,
        instance.object_repr,
        after={"change": instance.get_change_message()},
        actor=instance.user,
    )


def _watched():
    """The records whose every save and delete is recorded from signals."""
    from django.contrib.auth.models import Group, User

    from toolcrib.crib import models

    return {
        models.ToolType,
        models.ToolInstance,
        models.Engineer,
        models.Enrolment,
        models.CribSettings,
        User,
        Group,
    }


def connect_signals():
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.models import Group, User

    for model in _watched():
        uid = f"audit-{model._meta.model_name}"
        pre_save.connect(_remember, sender=model, dispatch_uid=uid)
        post_save.connect(_saved, sender=model, dispatch_uid=uid)
        post_delete.connect(_deleted, sender=model, dispatch_uid=uid)
    for through in (
        User.groups.through,
        User.user_permissions.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(_related_changed, sender=through, dispatch_uid=f"audit-{through}")
    post_save.connect(_admin_logged, sender=LogEntry, dispatch_uid="audit-admin-log")
    user_locked_out.connect(_locked_out, dispatch_uid="audit-locked-out")


def _locked_out(sender, request, username, ip_address, **kwargs):
    """A lockout after too many failed log-ins (django-axes): which user name, from where."""
    from django.contrib.auth.models import User

    user = User.objects.filter(username=username).first() if username else None
    write(
        "locked out",
        "user",
        user.pk if user else "",
        username or "(no user name)",
        after={"username": username, "address": ip_address},
    )
