from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "toolcrib.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self):
        from toolcrib.notify import notices

        notices.connect_signals()
