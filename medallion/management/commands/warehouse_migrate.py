import asyncio

from django.core.management.base import BaseCommand, CommandParser

from medallion.warehouse import close_warehouse, warehouse
from medallion.warehouse.migrate import migrate, repair


class Command(BaseCommand):
    help = (
        "Apply the versioned warehouse DDL (idempotent; records what it applied in OPS.SCHEMA_VERSION). "
        "With --repair, also recreate missing tables of applied migrations (with their later columns and seed rows)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", dest="recreate_missing")

    def handle(self, *args: object, recreate_missing: bool, **options: object) -> None:
        async def run() -> tuple[int, list[str]]:
            applied = len(await migrate(warehouse(), report=self.stdout.write))
            return applied, await repair(warehouse(), report=self.stdout.write) if recreate_missing else []

        try:
            applied, recreated = asyncio.run(run())
        finally:
            close_warehouse()
        self.stdout.write(self.style.SUCCESS(f"Warehouse up to date ({applied} migration(s) applied)."))
        if recreate_missing:
            self.stdout.write(self.style.SUCCESS(f"{len(recreated)} missing object(s) recreated."))
