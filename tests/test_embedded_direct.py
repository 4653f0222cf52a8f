"""The embedded backend runs cached DuckDB translations straight on DuckDB; the app must not see a difference."""

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from demo.management.commands.seed_demo import seed
from medallion.warehouse import close_warehouse, warehouse
from medallion.warehouse.backends import embedded
from medallion.warehouse.backends.base import Params, Result
from medallion.warehouse.backends.embedded import EmbeddedBackend, EmbeddedConnection
from medallion.warehouse.migrate import migrate

SEED_ROWS = 40
Runner = Callable[[EmbeddedConnection, str, Params], Result]


def _outcome(run: Callable[[], Result]) -> tuple[Any, ...]:
    """What the app sees: columns, rows, the Python type of every value and the row count, or the error kind."""
    try:
        result = run()
    except Exception as error:
        return ("error", type(warehouse().backend.translate_error(error)).__name__)
    return result.columns, result.rows, [[type(v).__name__ for v in row] for row in result.rows], result.rowcount


def _routes(resolver: URLResolver, prefix: str = "") -> Iterator[str]:
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, route)
        elif isinstance(pattern, URLPattern) and "<" not in route and "(" not in route:
            yield "/" + route.lstrip("^").rstrip("$")


@pytest.fixture
async def empty_warehouse(tmp_path: Path, settings: Any) -> AsyncIterator[None]:
    """A warehouse of its own: the demo seed only runs on a warehouse that never queued a file."""
    close_warehouse()
    settings.WAREHOUSE_URL = f"duckdb:///{tmp_path / 'warehouse'}"
    settings.WAREHOUSE_STAGE_DIR = tmp_path / "stages"
    await migrate(warehouse())
    yield
    close_warehouse()


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Params]]:
    statements: list[tuple[str, Params]] = []
    execute, stream = EmbeddedBackend.execute, EmbeddedBackend.stream

    def recording_execute(self: EmbeddedBackend, raw: EmbeddedConnection, sql: str, params: Params) -> Result:
        statements.append((sql, params))
        return execute(self, raw, sql, params)

    def recording_stream(self: EmbeddedBackend, raw: EmbeddedConnection, sql: str, params: Params, size: int) -> Any:
        statements.append((sql, params))
        return stream(self, raw, sql, params, size)

    monkeypatch.setattr(EmbeddedBackend, "execute", recording_execute)
    monkeypatch.setattr(EmbeddedBackend, "stream", recording_stream)
    return statements


@pytest.mark.slow
async def test_app_statements_give_fakesnow_results_when_run_directly(
    admin_client: Any, empty_warehouse: None, recorded: list[tuple[str, Params]]
) -> None:
    await seed(SEED_ROWS, if_empty=False, report=lambda _line: None)
    for path in sorted(set(_routes(get_resolver()))):
        await admin_client.get(path)

    backend = warehouse().backend
    assert isinstance(backend, EmbeddedBackend)
    raw = backend.connect()
    # One DuckDB thread: statements without a full ORDER BY (and ARRAY_AGG) then give the same order each run.
    raw.duck.execute("SET threads = 1")
    compared = {"reads": 0, "dml": 0}
    try:
        for sql, params in _distinct(recorded):
            translation = backend._translation(raw, sql)
            if translation is None:
                continue
            kind = "reads" if translation.dml_columns is None else "dml"
            expected = _rolled_back(raw, backend.fakesnow_execute, sql, params)
            assert _rolled_back(raw, backend.execute, sql, params) == expected, sql
            compared[kind] += 1
    finally:
        raw.duck.execute("RESET threads")
        backend.close(raw)
    assert compared["reads"] >= 40 and compared["dml"] >= 10, compared


def _rolled_back(raw: EmbeddedConnection, run: Runner, sql: str, params: Params) -> tuple[Any, ...]:
    raw.duck.execute("BEGIN TRANSACTION")
    try:
        return _outcome(lambda: run(raw, sql, params))
    finally:
        raw.duck.execute("ROLLBACK")


def _distinct(statements: list[tuple[str, Params]]) -> list[tuple[str, Params]]:
    seen: dict[tuple[str, tuple[Any, ...]], tuple[str, Params]] = {}
    for sql, params in statements:
        seen.setdefault((sql, tuple(map(repr, params or ()))), (sql, params))
    return list(seen.values())


def test_statements_that_need_fakesnow_keep_its_full_path() -> None:
    backend = warehouse().backend
    assert isinstance(backend, EmbeddedBackend)
    raw = backend.connect()
    try:
        create = "CREATE TABLE IF NOT EXISTS OPS.DIRECT_PROBE (ID INTEGER IDENTITY(1, 1), NAME VARCHAR)"
        merge = (
            "MERGE INTO OPS.DIRECT_PROBE t USING (SELECT ? AS NAME) s ON t.NAME = s.NAME "
            "WHEN NOT MATCHED THEN INSERT (NAME) VALUES (s.NAME)"
        )
        for sql in (create, merge, "SELECT * FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))"):
            assert backend._translation(raw, sql) is None, sql
        backend.execute(raw, create, None)
        assert backend.execute(raw, merge, ["a"]).rowcount == 1
        assert backend.execute(raw, "INSERT INTO OPS.DIRECT_PROBE (NAME) VALUES (?)", ["b"]).rowcount == 1
        assert backend._translation(raw, "INSERT INTO OPS.DIRECT_PROBE (NAME) VALUES (?)") is not None
        assert backend.execute_many(raw, "INSERT INTO OPS.DIRECT_PROBE (NAME) VALUES (?)", []) == 0
        assert backend.execute_many(raw, "INSERT INTO OPS.DIRECT_PROBE (NAME) VALUES (?)", [("c",), ("d",)]) == 2
        rows = backend.execute(raw, "SELECT ID, NAME FROM OPS.DIRECT_PROBE ORDER BY ID", None).dicts()
        assert rows == [{"ID": n, "NAME": name} for n, name in enumerate("abcd", start=1)]
    finally:
        backend.execute(raw, "DROP TABLE IF EXISTS OPS.DIRECT_PROBE", None)
        backend.close(raw)
        embedded._translations.clear()
