"""Pytest fixtures: one emulator per test session, and a backend-parametrised warehouse."""

import asyncio
import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import Emulator


@pytest.fixture(scope="session")
def snowflake_emulator() -> Iterator[Emulator]:
    emulator = Emulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def snowflake_warehouse(snowflake_emulator: Emulator, settings: object) -> Iterator[Emulator]:
    """The app's `warehouse()` is the Snowflake backend, through the real connector, on the emulator."""
    from medallion.warehouse import close_warehouse, warehouse
    from medallion.warehouse.migrate import migrate

    close_warehouse()
    settings.WAREHOUSE_URL = snowflake_emulator.url()
    if not snowflake_emulator.migrated:
        asyncio.run(migrate(warehouse()))
        close_warehouse()
        snowflake_emulator.migrated = True
    yield snowflake_emulator
    close_warehouse()


@pytest.fixture(params=["embedded", "snowflake"])
def warehouse_backend(request: pytest.FixtureRequest) -> str:
    if request.param == "snowflake":
        request.getfixturevalue("snowflake_warehouse")
    return request.param


@pytest.fixture(scope="session", autouse=True)
def embedded_statement_log() -> Iterator[None]:
    """With STATEMENT_LOG_DIR set, the statements the embedded backend runs go to its `embedded.jsonl`."""
    kept = os.environ.get("STATEMENT_LOG_DIR")
    if not kept:
        yield
        return
    from medallion.warehouse.backends.embedded import EmbeddedBackend

    log, lock = Path(kept) / "embedded.jsonl", threading.Lock()
    originals = {name: getattr(EmbeddedBackend, name) for name in ("execute", "execute_many", "stream")}

    def recording(original: Callable[..., Any]) -> Callable[..., Any]:
        def run(self: EmbeddedBackend, raw: Any, sql: str, *args: Any) -> Any:
            with lock, log.open("a") as out:
                out.write(json.dumps({"sql": sql}) + "\n")
            return original(self, raw, sql, *args)

        return run

    for name, original in originals.items():
        setattr(EmbeddedBackend, name, recording(original))
    yield
    for name, original in originals.items():
        setattr(EmbeddedBackend, name, original)
