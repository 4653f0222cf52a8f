from django.apps import AppConfig


class MedallionConfig(AppConfig):
    name = "medallion"
    verbose_name = "Medallion"
