from django.apps import AppConfig


class TpaConfig(AppConfig):
    name = "tpa"
    verbose_name = "TPA registry"
