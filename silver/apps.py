from django.apps import AppConfig


def register_definitions() -> None:
    """Schemas, physical tables and mappings: TPA-delete purges, busy check and clear-all."""
    from bronze import cleanup as bronze_cleanup
    from silver import tables
    from tpa import services as tpa_services

    tpa_services.purge_in_transaction.connect(tables.purge_tpa_mappings)
    tpa_services.purge_after_commit.connect(tables.drop_tpa_tables)
    tpa_services.busy_checks.connect(tables.tpa_busy)
    bronze_cleanup.clear_all_hooks.connect(tables.drop_all_registered_tables)
    for table in ("QUARANTINE", "DQ_FLAGS", "DATA_QUALITY_METRICS", "TRANSFORM_BATCHES"):
        bronze_cleanup.derived_tables.connect(f"SILVER.{table}")


class SilverConfig(AppConfig):
    name = "silver"

    def ready(self) -> None:
        from silver import transform

        register_definitions()
        transform.register()
