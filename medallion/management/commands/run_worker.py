import asyncio
import signal

from django.core.management.base import BaseCommand, CommandParser

from medallion import worker
from medallion.warehouse import close_warehouse


class Command(BaseCommand):
    help = "Process the file queue and run scheduled tasks (loops; --once processes everything due, then exits)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true")

    def handle(self, *args: object, once: bool, **options: object) -> None:
        try:
            if once:
                passes = asyncio.run(worker.run_until_idle())
                self.stdout.write(f"Worker finished after {passes} busy pass(es).")
            else:
                asyncio.run(self._loop())
        finally:
            close_warehouse()

    async def _loop(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await worker.run_forever(stop)
