import asyncio

from django.core.management.base import BaseCommand, CommandParser

from bronze.demo import DEMO_ROWS, load_demo_data
from medallion.warehouse import close_warehouse


class Command(BaseCommand):
    help = "Create the demo TPAs and queue their sample files (only when the queue has never been used)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=DEMO_ROWS)

    def handle(self, *args: object, rows: int, **options: object) -> None:
        try:
            queued = asyncio.run(load_demo_data(rows))
        finally:
            close_warehouse()
        self.stdout.write(f"Queued {queued} demo file(s).")
