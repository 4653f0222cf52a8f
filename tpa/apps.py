from django.apps import AppConfig


class TpaConfig(AppConfig):
    name = "tpa"
    verbose_name = "TPA registry"

    def ready(self) -> None:
        from medallion.rendering import page_context
        from tpa import views

        page_context.connect(views.tpa_selector)
