import contextlib
import hashlib
import json
import os
import re
import shutil
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from fakesnow.cursor import FakeSnowflakeCursor
from fakesnow.dialect import parse_one
from sqlglot import exp

from ..errors import QueryError, WarehouseConflict, WarehouseError, WarehouseTimeout, WarehouseUnavailable
from ..identifiers import STAGES
from .base import Backend, BackendInfo, DelimitedSource, DocumentSource, Params, Result, Row, StageFile

warnings.filterwarnings("ignore", message=".*Arrow output.*")
warnings.filterwarnings("ignore", module="fakesnow")

RESULTS_CACHE_LIMIT = 256
# Translating Snowflake SQL is pure Python under the GIL: more translating threads than CPUs only make the
# event loop wait longer for the GIL, so the rest wait here (DuckDB itself runs without the GIL).
TRANSLATING_THREADS_PER_CPU = 2
TRANSLATION_CACHE_LIMIT = 4096
DIRECT_CANDIDATE = re.compile(
    r"^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b(?!.*\b(IDENTIFIER|RESULT_SCAN|LAST_QUERY_ID)\s*\()", re.I | re.S
)
# Markers fakesnow's transforms leave on a statement when executing it needs more than running its DuckDB text.
FAKESNOW_DIRECTIVES = frozenset(
    {
        "create_db_name",
        "create_file_format_name",
        "create_stage_name",
        "list_stage_name",
        "merge_counts",
        "put_stage_data",
        "put_stage_name",
        "result_scan_sfqid",
        "seed",
        "set_autocommit",
        "set_database",
        "set_schema",
        "table_comment",
        "text_lengths",
        "returning",
    }
)
# The result Snowflake (and fakesnow) gives for DML: the counts, not the rows.
DML_RESULT_COLUMNS: dict[type[exp.Expr], tuple[str, ...]] = {
    exp.Insert: ("number of rows inserted",),
    exp.Update: ("number of rows updated", "number of multi-joined rows updated"),
    exp.Delete: ("number of rows deleted",),
}
# Arrow has no 128-bit integer: fakesnow's results carry HUGEINT (SUM and COUNT_IF of integers) as Decimal.
ARROW_TYPES: dict[str, Callable[[Any], Any]] = {"HUGEINT": Decimal}
SEARCHED_SCHEMAS = ("PUBLIC", "OPS", "BRONZE", "SILVER", "GOLD")


DOCUMENT_READERS = {
    "PARQUET": "SELECT to_json(t) AS json FROM read_parquet(?) AS t",
    "JSON": "SELECT json FROM read_json_objects(?, format = 'array')",
    "NDJSON": "SELECT json FROM read_json_objects(?, format = 'newline_delimited')",
}


@dataclass(frozen=True)
class Translation:
    """A statement's DuckDB text, run straight on the DuckDB connection: no fakesnow work per execution."""

    sql: str
    binds: bool
    dml_columns: tuple[str, ...] | None

    def run(self, duck: duckdb.DuckDBPyConnection, params: Params) -> duckdb.DuckDBPyConnection:
        return duck.execute(self.sql, list(params) if self.binds and params else None)

    def result(self, duck: duckdb.DuckDBPyConnection) -> Result:
        if self.dml_columns is not None:
            (count,) = duck.fetchone() or (0,)
            return Result(list(self.dml_columns), [(count, *[0] * (len(self.dml_columns) - 1))], count)
        description = duck.description or []
        rows = as_fakesnow_values(description, duck.fetchall())
        return Result([column[0] for column in description], rows, len(rows))


def as_fakesnow_values(description: list[Any], rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """DuckDB's own Python values, except where fakesnow (through Arrow) gives the app another type."""
    converters = [ARROW_TYPES.get(str(column[1])) for column in description]
    if not any(converters):
        return rows
    return [
        tuple(
            value if convert is None or value is None else convert(value)
            for value, convert in zip(row, converters, strict=True)
        )
        for row in rows
    ]


# None: the statement needs fakesnow's full path on every execution (DDL, MERGE, stages, ...).
_translations: dict[tuple[str, str | None, str | None], Translation | None] = {}


def _translate(fake: Any, sql: str) -> Translation | None:
    """fakesnow's own parse and transforms, once per text; the DuckDB text is kept when running it is enough."""
    cursor = FakeSnowflakeCursor(conn=fake, duck_conn=fake._duck_conn)
    statements = cursor._transform_explode(parse_one(sql))
    if len(statements) != 1:
        return None
    transformed = cursor._transform(statements[0], None)
    dml = DML_RESULT_COLUMNS.get(type(transformed))
    if dml is None and not isinstance(transformed, exp.Query):
        return None
    if any(transformed.args.get(directive) for directive in FAKESNOW_DIRECTIVES):
        return None
    return Translation(transformed.sql(dialect="duckdb"), transformed.find(exp.Placeholder) is not None, dml)


class EmbeddedConnection:
    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.duck: duckdb.DuckDBPyConnection = fake._duck_conn
        self.interrupted = threading.Event()


class EmbeddedBackend(Backend):
    """DuckDB through fakesnow's Snowflake translator; stages are folders; bulk loads go straight to DuckDB."""

    kind = "embedded"

    def __init__(
        self, directory: Path, database: str, stage_dir: Path, inject_latency_ms: float = 0.0,
        memory_limit: str = "512MB", threads: int = 2,
    ) -> None:  # fmt: skip
        self.directory = directory
        self.memory_limit, self.threads = memory_limit, threads
        self.database = database
        self.stage_dir = stage_dir
        self.inject_latency = inject_latency_ms / 1000
        self._instance: Any = None
        self._instance_lock = threading.RLock()
        self._translation_slots = threading.BoundedSemaphore(TRANSLATING_THREADS_PER_CPU * (os.cpu_count() or 2))

    def _fakesnow(self) -> Any:
        with self._instance_lock:
            if self._instance is None:
                from fakesnow.instance import FakeSnow

                self.directory.mkdir(parents=True, exist_ok=True)
                self._instance = FakeSnow(db_path=self.directory)
            return self._instance

    def connect(self) -> EmbeddedConnection:
        instance = self._fakesnow()
        try:
            with self._instance_lock:
                fake = instance.connect(database=self.database, schema="PUBLIC", paramstyle="qmark")
        except duckdb.IOException as error:
            raise WarehouseUnavailable(
                "The embedded warehouse file is locked by another process (only one process may open it)."
            ) from error
        connection = EmbeddedConnection(fake)
        self._search_app_schemas(connection)
        connection.duck.execute(f"SET memory_limit = '{self.memory_limit}'")  # checked by settings
        connection.duck.execute(f"SET threads = {int(self.threads)}")
        # Counted, never printed: a long load reads its progress from here (statement_progress).
        connection.duck.execute("SET enable_progress_bar = true")
        connection.duck.execute("SET enable_progress_bar_print = false")
        return connection

    def _search_app_schemas(self, connection: EmbeddedConnection) -> None:
        # fakesnow creates an IDENTITY column's sequence in the session's current schema, not the table's,
        # and names it unqualified in the column default; searching every app schema lets inserts find it.
        existing = {
            row[0]
            for row in connection.duck.execute(
                "SELECT schema_name FROM duckdb_schemas() WHERE database_name = ?", [self.database]
            ).fetchall()
        }
        path = ",".join(f"{self.database}.{schema}" for schema in SEARCHED_SCHEMAS if schema in existing)
        connection.duck.execute(f"SET search_path = '{path}'")

    def close(self, raw: EmbeddedConnection) -> None:
        try:
            raw.duck.close()
        except duckdb.Error:
            pass

    def ping(self, raw: EmbeddedConnection) -> None:
        raw.duck.execute("SELECT 1").fetchall()

    def _simulate_remote_latency(self, raw: EmbeddedConnection) -> None:
        if self.inject_latency and raw.interrupted.wait(self.inject_latency):
            raise WarehouseTimeout("The statement was cancelled.")

    @contextlib.contextmanager
    def _translating(self, raw: EmbeddedConnection) -> Iterator[None]:
        while not self._translation_slots.acquire(timeout=0.05):
            if raw.interrupted.is_set():
                raise WarehouseTimeout("The statement was cancelled.")
        try:
            yield
        finally:
            self._translation_slots.release()

    def _translation(self, raw: EmbeddedConnection, sql: str) -> Translation | None:
        if not DIRECT_CANDIDATE.match(sql):
            return None
        key = (sql, raw.fake.database, raw.fake.schema)
        if key in _translations:
            return _translations[key]
        with self._translating(raw):
            translation = _translate(raw.fake, sql)
        if len(_translations) >= TRANSLATION_CACHE_LIMIT:
            _translations.clear()
        _translations[key] = translation
        return translation

    def _fakesnow_cursor(self, raw: EmbeddedConnection, sql: str, params: Params) -> FakeSnowflakeCursor:
        """fakesnow's full path, for the statements whose execution has side effects beyond their DuckDB text."""
        cursor = raw.fake.cursor()
        with self._translating(raw):
            cursor.execute(sql, params or None)
        self._trim_results_cache()
        return cursor

    def execute(self, raw: EmbeddedConnection, sql: str, params: Params) -> Result:
        self._simulate_remote_latency(raw)
        translation = self._translation(raw, sql)
        if translation is not None:
            return translation.result(translation.run(raw.duck, params))
        return self.fakesnow_execute(raw, sql, params)

    def fakesnow_execute(self, raw: EmbeddedConnection, sql: str, params: Params) -> Result:
        cursor = self._fakesnow_cursor(raw, sql, params)
        if cursor.description is None:
            return Result([], [], cursor.rowcount or 0)
        columns = [d.name for d in cursor.description]
        rows = cursor.fetchall()
        return Result(columns, rows, cursor.rowcount if cursor.rowcount is not None else len(rows))

    def execute_many(self, raw: EmbeddedConnection, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        self._simulate_remote_latency(raw)
        translation = self._translation(raw, sql)
        if translation is not None and translation.dml_columns is not None:
            if rows:
                raw.duck.executemany(translation.sql, [list(row) for row in rows])
            return len(rows)
        with self._translating(raw):
            raw.fake.cursor().executemany(sql, rows)
        self._trim_results_cache()
        return len(rows)

    def stream(self, raw: EmbeddedConnection, sql: str, params: Params, batch_size: int) -> Iterator[list[Row]]:
        self._simulate_remote_latency(raw)
        translation = self._translation(raw, sql)
        if translation is not None and translation.dml_columns is None:
            duck = translation.run(raw.duck, params)
            columns = [column[0] for column in duck.description or []]
            while batch := duck.fetchmany(batch_size):
                yield [dict(zip(columns, row, strict=True)) for row in as_fakesnow_values(duck.description, batch)]
            return
        cursor = self._fakesnow_cursor(raw, sql, params)
        columns = [d.name for d in cursor.description]
        while batch := cursor.fetchmany(batch_size):
            yield [dict(zip(columns, row, strict=True)) for row in batch]

    def begin(self, raw: EmbeddedConnection) -> None:
        raw.duck.execute("BEGIN TRANSACTION")

    def commit(self, raw: EmbeddedConnection) -> None:
        raw.duck.execute("COMMIT")

    def rollback(self, raw: EmbeddedConnection) -> None:
        # The warehouse rolls back after every cancel: the cancelled statement is over, later ones may run.
        raw.interrupted.clear()
        try:
            raw.duck.execute("ROLLBACK")
        except duckdb.Error:
            pass

    def cancel(self, raw: EmbeddedConnection) -> None:
        raw.interrupted.set()
        raw.duck.interrupt()

    def statement_progress(self, raw: EmbeddedConnection) -> float | None:
        percent = raw.duck.query_progress()
        return min(percent, 100.0) / 100 if percent >= 0 else None

    def info(self) -> BackendInfo:
        return BackendInfo(kind=self.kind, version=f"DuckDB {duckdb.__version__} (embedded)", database=self.database)

    def translate_error(self, error: Exception) -> Exception:
        if isinstance(error, WarehouseError):
            return error
        text = str(error)
        if isinstance(error, duckdb.InterruptException) or "INTERRUPT" in text.upper():
            return WarehouseTimeout("The statement was cancelled.")
        if isinstance(error, duckdb.TransactionException) and "Conflict" in text:
            return WarehouseConflict("Another change to the same rows happened at the same time.")
        if isinstance(error, FileNotFoundError):
            return QueryError("The staged file does not exist.", text)
        if isinstance(error, OSError):
            return WarehouseUnavailable("The stage storage is full or not writable; nothing was stored.")
        if isinstance(error, duckdb.IOException):
            return WarehouseUnavailable("The embedded warehouse storage is not available.")
        if isinstance(error, duckdb.ConnectionException):
            return WarehouseUnavailable("The embedded warehouse connection was lost.")
        return QueryError("The warehouse rejected the statement.", text)

    def _trim_results_cache(self) -> None:
        cache = self._instance.results_cache if self._instance is not None else {}
        if len(cache) > RESULTS_CACHE_LIMIT:
            for key in list(cache)[: len(cache) - RESULTS_CACHE_LIMIT // 2]:
                cache.pop(key, None)

    def _qualified(self, table: str) -> str:
        return f'"{self.database}".{table}'

    def insert_rows(
        self,
        raw: EmbeddedConnection,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        json_columns: Sequence[str] = (),
    ) -> int:
        if not rows:
            return 0
        names = [f"c{i}" for i in range(len(columns))]
        arrays = []
        for index in range(len(columns)):
            values = [row[index] for row in rows]
            if columns[index] in json_columns:
                values = [None if v is None else json.dumps(v) for v in values]
            arrays.append(pa.array(values))
        batch = pa.table(arrays, names=names)
        selected = ", ".join(
            f"CAST({name} AS JSON)" if column in json_columns else name
            for name, column in zip(names, columns, strict=True)
        )
        view = f"_medallion_batch_{threading.get_ident()}"
        self._simulate_remote_latency(raw)
        raw.duck.register(view, batch)
        try:
            target = f"{self._qualified(table)} ({', '.join(columns)})"
            raw.duck.execute(f"INSERT INTO {target} SELECT {selected} FROM {view}")
        finally:
            raw.duck.unregister(view)
        return len(rows)

    def load_staged_as_json(
        self,
        raw: EmbeddedConnection,
        table: str,
        stage: str,
        path: str,
        source: DelimitedSource | DocumentSource,
        json_column: str,
        row_number_column: str,
    ) -> int:
        if isinstance(source, DocumentSource):
            return self._load_documents(
                raw, table, self._stage_path(stage, path), source, [json_column, row_number_column]
            )
        file_path = self._stage_path(stage, path)
        column_names = [f"c{i}" for i in range(len(source.headers))]
        column_types = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in column_names) + "}"
        record = "json_object(" + ", ".join(f"?, {c}" for c in column_names) + ")"
        constants = list(source.constants)
        searched = source.search_indexes()
        search = [source.search_column] if searched and source.search_column else []
        target_columns = [json_column, row_number_column, *constants, *search]
        placeholders = ", ".join("?" for _ in constants)
        select_constants = f", {placeholders}" if constants else ""
        if search:
            select_constants += ", lower(concat_ws(?, " + ", ".join(column_names[i] for i in searched) + "))"
        encoding = "latin-1" if source.encoding == "latin-1" else "utf-8"
        sql = (
            f"INSERT INTO {self._qualified(table)} ({', '.join(target_columns)}) "
            f"SELECT {record}, row_number() OVER (){select_constants} "
            "FROM read_csv(?, header = true, delim = ?, quote = '\"', escape = '\"', columns = "
            f"{column_types}, encoding = ?, strict_mode = true, null_padding = false, "
            "ignore_errors = false, auto_detect = false, parallel = false)"
        )
        params: list[Any] = [
            *source.headers,
            *source.constants.values(),
            *([source.SEARCH_SEPARATOR] if search else []),
        ]
        params += [str(file_path), source.delimiter, encoding]
        self._simulate_remote_latency(raw)
        result = raw.duck.execute(sql, params).fetchall()
        return int(result[0][0]) if result else 0

    def _load_documents(
        self, raw: EmbeddedConnection, table: str, file_path: Path, source: DocumentSource, targets: list[str]
    ) -> int:
        target_columns = [*targets, *source.constants]
        select_constants = "".join(", ?" for _ in source.constants)
        sql = (
            f"INSERT INTO {self._qualified(table)} ({', '.join(target_columns)}) "
            "SELECT CASE WHEN json_type(d.json) = 'OBJECT' THEN d.json "
            "ELSE error('record ' || row_number() OVER () || ' is not an object') END, "
            f"row_number() OVER (){select_constants} FROM ({DOCUMENT_READERS[source.format]}) AS d"
        )
        self._simulate_remote_latency(raw)
        result = raw.duck.execute(sql, [*source.constants.values(), str(file_path)]).fetchall()
        return int(result[0][0]) if result else 0

    def _stage_path(self, stage: str, path: str) -> Path:
        if stage not in STAGES:
            raise QueryError(f"Stage {stage} does not exist")
        root = (self.stage_dir / stage).resolve()
        target = (root / path).resolve()
        if target != root and root not in target.parents:
            raise QueryError("The stage path leaves the stage")
        return target

    def stage_put(self, raw: Any, local_path: Path, stage: str, path: str) -> None:
        target = self._stage_path(stage, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{uuid.uuid4().hex}.part")
        shutil.copyfile(local_path, temporary)
        os.replace(temporary, target)

    def stage_list(self, raw: Any, stage: str, prefix: str = "") -> list[StageFile]:
        root = self._stage_path(stage, "")
        root.mkdir(parents=True, exist_ok=True)
        files = []
        for file in sorted(root.rglob("*")):
            if not file.is_file() or file.name.startswith("."):
                continue
            name = file.relative_to(root).as_posix()
            if not name.startswith(prefix):
                continue
            stat = file.stat()
            files.append(
                StageFile(
                    name,
                    stat.st_size,
                    _file_md5(file, stat.st_size, stat.st_mtime_ns),
                    datetime.fromtimestamp(stat.st_mtime, UTC),
                )
            )
        return files

    def stage_remove(self, raw: Any, stage: str, path: str) -> bool:
        target = self._stage_path(stage, path)
        try:
            target.unlink()
        except FileNotFoundError:
            return False
        return True

    def stage_get(self, raw: Any, stage: str, path: str, local_dir: Path) -> Path:
        source = self._stage_path(stage, path)
        destination = local_dir / source.name
        shutil.copyfile(source, destination)
        return destination

    def stage_move(self, raw: Any, source_stage: str, path: str, target_stage: str, target_path: str) -> None:
        source = self._stage_path(source_stage, path)
        target = self._stage_path(target_stage, target_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        os.utime(target)

    def local_path(self, stage: str, path: str) -> Path:
        """Embedded only: where a staged file lives on disk (lets the worker read Excel without a copy)."""
        return self._stage_path(stage, path)

    def shutdown(self) -> None:
        with self._instance_lock:
            if self._instance is not None:
                self._instance.duck_conn.close()
                self._instance = None


_md5_cache: dict[tuple[str, int, int], str] = {}


def _file_md5(file: Path, size: int, mtime_ns: int) -> str:
    key = (str(file), size, mtime_ns)
    if key not in _md5_cache:
        digest = hashlib.md5(usedforsecurity=False)
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        _md5_cache[key] = digest.hexdigest()
    return _md5_cache[key]
