from django.apps import AppConfig


class BronzeConfig(AppConfig):
    name = "bronze"

    def ready(self) -> None:
        from bronze import cleanup, layouts, processing
        from medallion import worker
        from medallion.task_registry import register_task
        from tpa import services as tpa_services

        worker.steps.connect(processing.process_next)
        tpa_services.purge_in_transaction.connect(cleanup.purge_tpa_rows)
        tpa_services.purge_in_transaction.connect(layouts.purge_tpa)
        tpa_services.purge_after_commit.connect(cleanup.purge_tpa_files)
        register_task(
            "DISCOVER_FILES_TASK",
            layer="BRONZE",
            run=processing.discover_task,
            description="Queue files placed in stage SRC by other means (for example PUT from SnowSQL).",
            schedule="60 MINUTE",
        )
        register_task(
            "PROCESS_FILES_TASK",
            layer="BRONZE",
            run=processing.process_all_pending,
            description="Load every PENDING file of the queue into BRONZE.RAW_DATA_TABLE.",
            predecessors=("DISCOVER_FILES_TASK",),
        )
