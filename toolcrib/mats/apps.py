from django.apps import AppConfig


class MatsConfig(AppConfig):
    name = "toolcrib.mats"
    label = "mats"
    verbose_name = "Kit mats"
