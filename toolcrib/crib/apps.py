from django.apps import AppConfig


class CribConfig(AppConfig):
    name = "toolcrib.crib"
    label = "crib"
    verbose_name = "Tool crib"

    def ready(self):
        from django.db.models.signals import post_migrate

        from toolcrib.crib import audit

        audit.connect_signals()
        post_migrate.connect(after_migrate, sender=self)


def after_migrate(**kwargs):
    """After every migrate (and every flush between tests): the roles and the model types exist."""
    from toolcrib.crib import roles, tool_types

    roles.sync_groups()
    tool_types.ensure_model_types()
