import asyncio

from django.core.management.base import BaseCommand

from medallion.warehouse import close_warehouse, warehouse
from medallion.warehouse.migrate import migrate


class Command(BaseCommand):
    help = "Apply the versioned warehouse DDL (idempotent; records what it applied in OPS.SCHEMA_VERSION)."

    def handle(self, *args: object, **options: object) -> None:
        async def run() -> int:
            return len(await migrate(warehouse(), report=self.stdout.write))

        try:
            applied = asyncio.run(run())
        finally:
            close_warehouse()
        self.stdout.write(self.style.SUCCESS(f"Warehouse up to date ({applied} migration(s) applied)."))
