from django.apps import AppConfig


def register_definitions() -> None:
    """Schemas, physical tables and mappings: TPA-delete purges, busy check and clear-all."""
    from bronze import services as bronze_services
    from silver import tables
    from tpa import services as tpa_services

    tpa_services.purge_in_transaction.connect(tables.purge_tpa_mappings)
    tpa_services.purge_after_commit.connect(tables.drop_tpa_tables)
    tpa_services.busy_checks.connect(tables.tpa_busy)
    bronze_services.clear_all_hooks.connect(tables.drop_all_registered_tables)


class SilverConfig(AppConfig):
    name = "silver"

    def ready(self) -> None:
        from silver import transform

        register_definitions()
        transform.register()
