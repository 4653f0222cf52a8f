"""The only door to the warehouse. Services call `warehouse()` and await its methods."""

import threading
from pathlib import Path

from django.conf import settings

from . import identifiers
from .backends.base import DOCUMENT_FORMATS, Backend, BackendInfo, DelimitedSource, DocumentSource, StageFile
from .core import Transaction, Warehouse
from .errors import (
    QueryError,
    WarehouseBusy,
    WarehouseConflict,
    WarehouseError,
    WarehouseTimeout,
    WarehouseUnavailable,
)

__all__ = [
    "DOCUMENT_FORMATS",
    "BackendInfo",
    "DelimitedSource",
    "DocumentSource",
    "QueryError",
    "StageFile",
    "Transaction",
    "Warehouse",
    "WarehouseBusy",
    "WarehouseConflict",
    "WarehouseError",
    "WarehouseTimeout",
    "WarehouseUnavailable",
    "close_warehouse",
    "identifiers",
    "warehouse",
]

_lock = threading.Lock()
_instance: Warehouse | None = None


def build_backend(url: str) -> Backend:
    if url.startswith("duckdb://"):
        from .backends.embedded import EmbeddedBackend

        path = Path(url.removeprefix("duckdb://").removeprefix("/"))
        if url.startswith("duckdb:////"):
            path = Path("/") / path
        elif not path.is_absolute():
            path = settings.BASE_DIR / path
        return EmbeddedBackend(
            path, settings.WAREHOUSE_DATABASE, settings.WAREHOUSE_STAGE_DIR, settings.WAREHOUSE_INJECT_LATENCY_MS
        )
    if url.startswith("snowflake://"):
        from .backends.snowflake import SnowflakeBackend, connect_options_from_url

        options = connect_options_from_url(url, statement_timeout=settings.WAREHOUSE_STATEMENT_TIMEOUT)
        return SnowflakeBackend(options, settings.WAREHOUSE_DATABASE)
    raise ValueError("WAREHOUSE_URL must start with duckdb:// or snowflake://")


def warehouse() -> Warehouse:
    global _instance
    with _lock:
        if _instance is None:
            _instance = Warehouse(
                build_backend(settings.WAREHOUSE_URL),
                pool_size=settings.WAREHOUSE_POOL_SIZE,
                acquire_timeout=settings.WAREHOUSE_ACQUIRE_TIMEOUT,
                statement_timeout=settings.WAREHOUSE_STATEMENT_TIMEOUT,
                max_connection_age=settings.WAREHOUSE_CONNECTION_MAX_AGE,
            )
        return _instance


def close_warehouse() -> None:
    global _instance
    with _lock:
        if _instance is not None:
            _instance.close()
            _instance = None
