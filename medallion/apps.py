from django.apps import AppConfig


class MedallionConfig(AppConfig):
    name = "medallion"
    verbose_name = "Medallion"

    def ready(self) -> None:
        from medallion import checks  # noqa: F401  (registers the deploy checks)
        from medallion.tokens import connect_signals

        connect_signals()
