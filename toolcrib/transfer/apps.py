from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "toolcrib.transfer"
    label = "transfer"
    verbose_name = "Imports and exports"
