from django.apps import AppConfig


class BronzeConfig(AppConfig):
    name = "bronze"
