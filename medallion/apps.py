from django.apps import AppConfig


class MedallionConfig(AppConfig):
    name = "medallion"
    verbose_name = "Medallion"

    def ready(self) -> None:
        from medallion.tokens import connect_signals

        connect_signals()
