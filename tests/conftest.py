import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.snowflake_emulator.fixtures import (  # noqa: F401
    embedded_statement_log,
    snowflake_emulator,
    snowflake_warehouse,
    warehouse_backend,
)

_data_dir = Path(os.environ["DATA_DIR"])


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _require_service(name: str, port: int) -> None:
    if _reachable("127.0.0.1", port):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is required in CI but is not reachable on 127.0.0.1:{port}")
    pytest.skip(f"{name} is not running on 127.0.0.1:{port}")


@pytest.fixture
def require_redis() -> None:
    _require_service("Redis", 6379)


@pytest.fixture
def require_postgres() -> None:
    _require_service("PostgreSQL", 5432)


@pytest.fixture
def postgres_url(require_postgres: None) -> Iterator[str]:
    """A database of its own on the local PostgreSQL, dropped afterwards: runs never see each other's migrations."""
    import psycopg

    name = f"medallion_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _data_dir


@pytest.fixture(scope="session")
def migrated_warehouse(django_db_setup: None, django_db_blocker: object) -> Iterator[None]:
    from medallion.warehouse import close_warehouse, warehouse
    from medallion.warehouse.migrate import migrate

    asyncio.run(migrate(warehouse()))
    close_warehouse()
    yield
    close_warehouse()


@pytest.fixture(autouse=True)
def _warehouse_unless_pure(request: pytest.FixtureRequest) -> None:
    """Tests marked `pure` (no database, no warehouse) run without the session's migrations: `make test-fast`."""
    if request.node.get_closest_marker("pure") is None:
        request.getfixturevalue("migrated_warehouse")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def unique_code() -> str:
    return f"T{uuid.uuid4().hex[:10].upper()}"


async def _user(username: str, role: str | None) -> object:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = await get_user_model().objects.acreate(username=username)
    if role is not None:
        group, _ = await Group.objects.aget_or_create(name=role)
        await user.groups.aadd(group)
    return user


async def _client_for(role: str | None) -> object:
    from django.test import AsyncClient

    client = AsyncClient()
    user = await _user(f"{role or 'norole'}-{uuid.uuid4().hex[:6]}", role)
    await client.aforce_login(user)
    client.user = user
    return client


@pytest.fixture
async def viewer_client(transactional_db: None) -> AsyncIterator[object]:
    yield await _client_for("viewer")


@pytest.fixture
async def operator_client(transactional_db: None) -> AsyncIterator[object]:
    yield await _client_for("operator")


@pytest.fixture
async def admin_client(transactional_db: None) -> AsyncIterator[object]:
    yield await _client_for("admin")


@pytest.fixture
async def anonymous_client(transactional_db: None) -> object:
    from django.test import AsyncClient

    return AsyncClient()


@pytest.fixture
async def tpa(admin_client: object, unique_code: str) -> str:
    from tpa.services import create_tpa

    return await create_tpa(unique_code, f"Test TPA {unique_code}", "created by a test")
