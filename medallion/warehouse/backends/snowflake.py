import copy
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import QueryError, WarehouseError, WarehouseTimeout, WarehouseUnavailable
from ..identifiers import STAGES, string_literal
from .base import Backend, BackendInfo, DelimitedSource, DocumentSource, Params, Result, Row, StageFile

STAGE_SCHEMA = "OPS"
CONNECTION_ERRNOS_UNAVAILABLE = {250001, 250003, 251005, 390100, 390114}


def connect_options_from_url(url: str, *, password: str | None = None, statement_timeout: float = 0) -> dict[str, Any]:
    """snowflake://user[:password]@account/DATABASE?warehouse=..&role=..&authenticator=..&private_key_file=..
    or snowflake:///?connection_name=NAME (from the connector's connections.toml)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    options: dict[str, Any] = {
        "paramstyle": "qmark",
        "client_session_keep_alive": False,
        "session_parameters": {"TIMEZONE": "UTC", "QUERY_TAG": "medallion"},
    }
    if statement_timeout:
        options["session_parameters"]["STATEMENT_TIMEOUT_IN_SECONDS"] = int(statement_timeout)
    if parts.username:
        options["user"] = unquote(parts.username)
    if parts.password or password:
        options["password"] = unquote(parts.password) if parts.password else password
    if parts.hostname:
        options["account"] = parts.hostname
    database = parts.path.strip("/")
    if database:
        options["database"] = database
    for key in (
        "warehouse",
        "role",
        "schema",
        "authenticator",
        "token",
        "private_key_file",
        "private_key_file_pwd",
        "connection_name",
        "host",
        "port",
        "protocol",
    ):
        if key in query:
            options[key] = int(query[key]) if key == "port" else query[key]
    return options


class SnowflakeBackend(Backend):
    kind = "snowflake"

    def __init__(self, options: dict[str, Any], database: str) -> None:
        self.options = options
        self.database = options.get("database", database)

    def connect(self) -> Any:
        import snowflake.connector

        try:
            return snowflake.connector.connect(**copy.deepcopy(self.options))
        except snowflake.connector.errors.Error as error:
            raise WarehouseUnavailable("Snowflake is not reachable or refused the login.") from error

    def close(self, raw: Any) -> None:
        try:
            raw.close()
        except Exception:
            pass

    def ping(self, raw: Any) -> None:
        if raw.is_closed():
            raise WarehouseUnavailable("The Snowflake connection is closed.")
        raw.cursor().execute("SELECT 1").fetchall()

    def execute(self, raw: Any, sql: str, params: Params) -> Result:
        cursor = raw.cursor()
        cursor.execute(sql, params or None)
        if cursor.description is None:
            return Result([], [], cursor.rowcount or 0)
        columns = [d.name for d in cursor.description]
        rows = cursor.fetchall()
        return Result(columns, [tuple(r) for r in rows], cursor.rowcount if cursor.rowcount is not None else len(rows))

    def execute_many(self, raw: Any, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        cursor = raw.cursor()
        cursor.executemany(sql, list(rows))
        return cursor.rowcount or len(rows)

    def stream(self, raw: Any, sql: str, params: Params, batch_size: int) -> Iterator[list[Row]]:
        cursor = raw.cursor()
        cursor.execute(sql, params or None)
        columns = [d.name for d in cursor.description]
        while batch := cursor.fetchmany(batch_size):
            yield [dict(zip(columns, row, strict=True)) for row in batch]

    def begin(self, raw: Any) -> None:
        raw.cursor().execute("BEGIN")

    def commit(self, raw: Any) -> None:
        raw.cursor().execute("COMMIT")

    def rollback(self, raw: Any) -> None:
        try:
            raw.cursor().execute("ROLLBACK")
        except Exception:
            pass

    def cancel(self, raw: Any) -> None:
        session_id = getattr(raw, "session_id", None)
        if session_id is not None:
            raw.cursor().execute("SELECT SYSTEM$CANCEL_ALL_QUERIES(?)", (session_id,))

    def info(self) -> BackendInfo:
        return BackendInfo(
            kind=self.kind,
            version="Snowflake",
            database=self.database,
            warehouse=self.options.get("warehouse"),
            account=self.options.get("account"),
            schema=self.options.get("schema"),
            role=self.options.get("role"),
        )

    def translate_error(self, error: Exception) -> Exception:
        if isinstance(error, WarehouseError):
            return error
        errno = getattr(error, "errno", None)
        if errno in CONNECTION_ERRNOS_UNAVAILABLE:
            return WarehouseUnavailable("Snowflake is not reachable.")
        if errno == 604 or "cancel" in str(error).lower():
            return WarehouseTimeout("The statement was cancelled or timed out.")
        return QueryError("The warehouse rejected the statement.", str(error))

    def insert_rows(
        self,
        raw: Any,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        json_columns: Sequence[str] = (),
    ) -> int:
        if not rows:
            return 0
        staged = [
            tuple(
                json.dumps(v) if c in json_columns and v is not None else v for c, v in zip(columns, row, strict=True)
            )
            for row in rows
        ]
        if not json_columns:
            placeholders = ", ".join("?" for _ in columns)
            self.execute_many(raw, f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", staged)
            return len(rows)
        scratch = '"_MEDALLION_INSERT_BATCH"'
        cursor = raw.cursor()
        scratch_columns = ", ".join(f"C{i} VARCHAR" for i in range(len(columns)))
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} ({scratch_columns})")
        cursor.execute(f"DELETE FROM {scratch}")
        cursor.executemany(f"INSERT INTO {scratch} VALUES ({', '.join('?' for _ in columns)})", staged)
        selected = ", ".join(
            f"PARSE_JSON(C{i})" if column in json_columns else f"C{i}" for i, column in enumerate(columns)
        )
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {selected} FROM {scratch}")
        return len(rows)

    def load_staged_as_json(
        self,
        raw: Any,
        table: str,
        stage: str,
        path: str,
        source: DelimitedSource | DocumentSource,
        json_column: str,
        row_number_column: str,
    ) -> int:
        if isinstance(source, DocumentSource):
            return self._load_documents(
                raw, table, self._stage_location(stage, path), source, [json_column, row_number_column]
            )
        record = (
            "OBJECT_CONSTRUCT_KEEP_NULL("
            + ", ".join(
                f"{string_literal(header)}, ${index}::VARCHAR" for index, header in enumerate(source.headers, start=1)
            )
            + ")"
        )
        constants = "".join(f", {_literal(value)}" for value in source.constants.values())
        target_columns = ", ".join([json_column, row_number_column, *source.constants])
        delimiter = string_literal(source.delimiter)
        encoding = "ISO-8859-1" if source.encoding == "latin-1" else "UTF8"
        sql = (
            f"COPY INTO {table} ({target_columns}) FROM (SELECT {record}, METADATA$FILE_ROW_NUMBER - 1{constants} "
            f"FROM {self._stage_location(stage, path)}) "
            f"FILE_FORMAT = (TYPE = CSV SKIP_HEADER = 1 FIELD_DELIMITER = {delimiter} "
            "FIELD_OPTIONALLY_ENCLOSED_BY = '\"' EMPTY_FIELD_AS_NULL = TRUE ERROR_ON_COLUMN_COUNT_MISMATCH = TRUE "
            f"ENCODING = '{encoding}') ON_ERROR = ABORT_STATEMENT FORCE = TRUE"
        )
        cursor = raw.cursor()
        cursor.execute(sql)
        return sum(int(row[2]) for row in cursor.fetchall() if len(row) > 2 and str(row[2]).isdigit())

    def _load_documents(self, raw: Any, table: str, location: str, source: DocumentSource, targets: list[str]) -> int:
        constants = "".join(f", {_literal(value)}" for value in source.constants.values())
        target_columns = ", ".join([*targets, *source.constants])
        sql = (
            f"COPY INTO {table} ({target_columns}) FROM (SELECT $1, METADATA$FILE_ROW_NUMBER{constants} "
            f"FROM {location}) FILE_FORMAT = ({DOCUMENT_FILE_FORMATS[source.format]}) "
            "ON_ERROR = ABORT_STATEMENT FORCE = TRUE"
        )
        cursor = raw.cursor()
        cursor.execute(sql)
        return sum(int(row[2]) for row in cursor.fetchall() if len(row) > 2 and str(row[2]).isdigit())

    def _stage_location(self, stage: str, path: str = "") -> str:
        if stage not in STAGES:
            raise QueryError(f"Stage {stage} does not exist")
        suffix = "/" + path.lstrip("/") if path else ""
        return f"@{self.database}.{STAGE_SCHEMA}.{stage}{suffix}"

    def stage_put(self, raw: Any, local_path: Path, stage: str, path: str) -> None:
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        target_name = path.rsplit("/", 1)[-1]
        if target_name != local_path.name:
            renamed = local_path.with_name(target_name)
            local_path = Path(local_path).rename(renamed)
        location = string_literal(self._stage_location(stage, folder))
        source = string_literal(f"file://{local_path.as_posix()}")
        raw.cursor().execute(f"PUT {source} {location} AUTO_COMPRESS = FALSE OVERWRITE = TRUE")

    def stage_list(self, raw: Any, stage: str, prefix: str = "") -> list[StageFile]:
        cursor = raw.cursor()
        cursor.execute(f"LIST {string_literal(self._stage_location(stage, prefix))}")
        files = []
        stage_prefix = f"{stage.lower()}/"
        for name, size, md5, modified in cursor.fetchall():
            relative = name.split("/", 1)[1] if name.lower().startswith(stage_prefix) else name
            files.append(StageFile(relative, int(size), md5 or "", _parse_list_time(modified)))
        return sorted(files, key=lambda f: f.name)

    def stage_remove(self, raw: Any, stage: str, path: str) -> bool:
        cursor = raw.cursor()
        cursor.execute(f"REMOVE {string_literal(self._stage_location(stage, path))}")
        return bool(cursor.fetchall())

    def stage_get(self, raw: Any, stage: str, path: str, local_dir: Path) -> Path:
        target = string_literal(f"file://{local_dir.as_posix()}/")
        raw.cursor().execute(f"GET {string_literal(self._stage_location(stage, path))} {target}")
        return local_dir / path.rsplit("/", 1)[-1]


DOCUMENT_FILE_FORMATS = {
    "PARQUET": "TYPE = PARQUET",
    "JSON": "TYPE = JSON STRIP_OUTER_ARRAY = TRUE",
    "NDJSON": "TYPE = JSON",
}


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return string_literal(str(value))


def _parse_list_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return datetime.strptime(str(value), "%a, %d %b %Y %H:%M:%S %Z").replace(tzinfo=UTC)
    except ValueError:
        return datetime.now(UTC)
