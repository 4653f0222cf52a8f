"""Pytest fixtures: one emulator per test session, and a backend-parametrised warehouse."""

import asyncio
from collections.abc import Iterator

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
