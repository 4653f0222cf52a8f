"""The near-limit baseline: the uncached one-query TPA listing with as little as possible around DuckDB.

Starlette on uvicorn, a bounded executor with one DuckDB cursor per thread, the same injected latency and
the same statement over the same rows as `/api/bench/tpas/async`; no auth, middleware, pool or translation.
`python -m bench.raw_app --port P --pool 16 --latency-ms 100`
"""

import argparse
import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import duckdb
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.queries import SEEDED_TPAS, TPA_QUERY, seeded_tpa

TPAS_PATH = "/tpas"


def database() -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    db.execute("CREATE SCHEMA BRONZE")
    db.execute(
        "CREATE TABLE BRONZE.TPA_MASTER (TPA_CODE VARCHAR PRIMARY KEY, TPA_NAME VARCHAR NOT NULL, "
        "TPA_DESCRIPTION VARCHAR, ACTIVE BOOLEAN NOT NULL, CREATED_TIMESTAMP TIMESTAMP, UPDATED_TIMESTAMP TIMESTAMP)"
    )
    for number in range(SEEDED_TPAS):
        code, name = seeded_tpa(number)
        db.execute("INSERT INTO BRONZE.TPA_MASTER VALUES (?, ?, NULL, TRUE, ?, NULL)", [code, name, datetime.now()])
    return db


def application(pool_size: int, latency_ms: float) -> Starlette:
    db = database()
    executor = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="duckdb")
    cursors = threading.local()

    def list_tpas() -> bytes:
        if not hasattr(cursors, "cursor"):
            cursors.cursor = db.cursor()
        time.sleep(latency_ms / 1000)
        cursor = cursors.cursor.execute(TPA_QUERY)
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        return json.dumps(rows, default=_iso).encode()

    async def tpas(request: Request) -> Response:
        body = await asyncio.get_running_loop().run_in_executor(executor, list_tpas)
        return Response(body, media_type="application/json")

    async def health(request: Request) -> Response:
        return Response(b'{"status": "healthy"}', media_type="application/json")

    return Starlette(routes=[Route(TPAS_PATH, tpas), Route("/api/health", health)])


def _iso(value: Any) -> str:
    return value.isoformat()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.raw_app", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pool", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    options = parser.parse_args()
    app = application(options.pool, options.latency_ms)
    uvicorn.run(app, host="127.0.0.1", port=options.port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
