from django.apps import AppConfig


class GoldConfig(AppConfig):
    name = "gold"
    verbose_name = "Gold analytics"

    def ready(self) -> None:
        from bronze import cleanup as bronze_cleanup
        from medallion.task_registry import register_task
        from tpa import services as tpa_services

        from . import refresh

        tpa_services.purge_in_transaction.connect(refresh.purge_tpa)
        tpa_services.purge_after_commit.connect(refresh.forget_purged_tpa)
        for table in (*refresh.DERIVED_TABLES, "QUALITY_CHECK_RESULTS", "BUSINESS_METRIC_VALUES", "REFRESH_RUNS"):
            bronze_cleanup.derived_tables.connect(f"GOLD.{table}")
        register_task(
            "GOLD_REFRESH_TASK",
            layer="GOLD",
            run=refresh.scheduled_refresh,
            description="Incremental Gold refresh of every TPA (months touched by new Silver batches), "
            "followed by quality checks and business metrics",
            schedule="USING CRON 0 2 * * * UTC",
        )
        register_task(
            "GOLD_QUALITY_TASK",
            layer="GOLD",
            run=refresh.scheduled_quality,
            description="Run the active Gold quality rules for every TPA",
            predecessors=("GOLD_REFRESH_TASK",),
        )
