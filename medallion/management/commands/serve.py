import asyncio
import gc

import uvicorn
from django.core.management.base import BaseCommand, CommandParser

from medallion import worker
from medallion.asgi import application
from medallion.events import flush_all
from medallion.warehouse import close_warehouse, warehouse
from medallion.warehouse.migrate import migrate


class Command(BaseCommand):
    help = "Run the web server and the worker in one process (required on the embedded warehouse)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true")

    def handle(self, *args: object, host: str, port: int, no_worker: bool, **options: object) -> None:
        try:
            asyncio.run(self._serve(host, port, not no_worker))
        finally:
            close_warehouse()

    async def _serve(self, host: str, port: int, with_worker: bool) -> None:
        await migrate(warehouse(), report=self.stdout.write)
        # Everything loaded so far lives as long as the process: full collections need not walk it again.
        gc.collect()
        gc.freeze()
        config = uvicorn.Config(
            application,
            host=host,
            port=port,
            lifespan="off",
            log_level="warning",
            timeout_keep_alive=30,
        )
        server = uvicorn.Server(config)
        stop = asyncio.Event()
        self.stdout.write(self.style.SUCCESS(f"Medallion is running at http://{host}:{port}/"))
        tasks = [asyncio.create_task(server.serve())]
        if with_worker:
            tasks.append(asyncio.create_task(worker.run_forever(stop)))
        await tasks[0]
        stop.set()
        await asyncio.gather(*tasks[1:], return_exceptions=True)
        await flush_all()
