from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from medallion import worker
        from medallion.rendering import page_context
        from medallion.task_registry import register_task
        from ops import alerts, cadence
        from ops.retention import RETENTION_TASK, run_retention
        from ops.scheduler import run_due_tasks
        from tpa import services as tpa_services

        worker.steps.connect(run_due_tasks)
        worker.steps.connect(alerts.run_alerts)
        page_context.connect(cadence.late_tpas)
        tpa_services.purge_in_transaction.connect(cadence.purge_tpa)
        tpa_services.purge_in_transaction.connect(alerts.purge_tpa)
        register_task(
            RETENTION_TASK,
            layer="OPS",
            run=run_retention,
            description="Move processed files older than the retention period to ARCHIVE, delete expired archive "
            "files and prune old log rows.",
            schedule="USING CRON 0 3 * * * UTC",
        )
