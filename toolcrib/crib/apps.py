from django.apps import AppConfig


class CribConfig(AppConfig):
    name = "toolcrib.crib"
    label = "crib"
    verbose_name = "Tool crib"

    def ready(self):
        from django.db.models.signals import post_migrate

        from toolcrib.crib import audit

        audit.connect_signals()
        connect_refit()
        post_migrate.connect(after_migrate, sender=self)


def after_migrate(**kwargs):
    """After every migrate (and every flush between tests): the roles and the model types exist."""
    from toolcrib.crib import roles, tool_types

    roles.sync_groups()
    tool_types.ensure_model_types()


def connect_refit():
    """Whichever door changes an enrolment (page, API, admin), the calibration is refitted."""
    from django.db.models.signals import post_delete, post_save

    from toolcrib.crib.models import Enrolment

    def changed(sender, raw=False, **kwargs):
        if not raw:
            from toolcrib.crib.calibration import refit_after_commit

            refit_after_commit()

    post_save.connect(changed, sender=Enrolment, dispatch_uid="refit-on-enrolment", weak=False)
    post_delete.connect(changed, sender=Enrolment, dispatch_uid="refit-on-unenrolment", weak=False)
