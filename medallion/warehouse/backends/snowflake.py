import copy
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import QueryError, WarehouseError, WarehouseTimeout, WarehouseUnavailable
from ..identifiers import STAGES, string_literal
from .base import Backend, BackendInfo, DelimitedSource, DocumentSource, Params, Result, Row, StageFile

T = TypeVar("T")
STAGE_SCHEMA = "OPS"
# The statement never ran: the session or its token is gone (390104 login again, 390112 session expired,
# 390114 token expired, 290401 HTTP 401). A new login, which re-reads a token file, may run it.
ERRNOS_RELOGIN = {290401, 390104, 390112, 390114}
# The network or the service failed; the statement may or may not have run.
ERRNOS_UNAVAILABLE = {250001, 250002, 250003, 251005, 251006, 251011, 251012, 390100, *ERRNOS_RELOGIN}
ERRNOS_TIMEOUT = {604, 630}
READ_ONLY = re.compile(r"^\s*(SELECT|WITH|SHOW|DESCRIBE|LIST)\b", re.I)
INSERT_BATCH_ROWS = 1000
URL_TEXT_OPTIONS = (
    "warehouse",
    "role",
    "schema",
    "authenticator",
    "token",
    "token_file_path",
    "private_key_file",
    "private_key_file_pwd",
    "connection_name",
    "host",
    "protocol",
)
URL_INTEGER_OPTIONS = ("port", "network_timeout", "login_timeout", "socket_timeout")


def connect_options_from_url(
    url: str,
    *,
    password: str | None = None,
    network_timeout: float = 60,
    login_timeout: float = 30,
    session_statement_timeout: float = 0,
) -> dict[str, Any]:
    """snowflake://user[:password]@account/DATABASE?warehouse=..&role=..&authenticator=..&private_key_file=..
    or snowflake:///?connection_name=NAME (from the connector's connections.toml).

    `session_statement_timeout` is only a server-side backstop for statements whose client went away; each
    statement carries its own limit (see `SnowflakeBackend.execute`)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    options: dict[str, Any] = {
        "paramstyle": "qmark",
        "client_session_keep_alive": query.get("client_session_keep_alive", "false").lower() == "true",
        "network_timeout": math.ceil(network_timeout),
        "login_timeout": math.ceil(login_timeout),
        "session_parameters": {"TIMEZONE": "UTC", "QUERY_TAG": "medallion"},
    }
    if session_statement_timeout:
        options["session_parameters"]["STATEMENT_TIMEOUT_IN_SECONDS"] = math.ceil(session_statement_timeout)
    if parts.username:
        options["user"] = unquote(parts.username)
    if parts.password or password:
        options["password"] = unquote(parts.password) if parts.password else password
    if parts.hostname:
        options["account"] = parts.hostname
    database = parts.path.strip("/")
    if database:
        options["database"] = database
    options.update({key: query[key] for key in URL_TEXT_OPTIONS if key in query})
    options.update({key: int(query[key]) for key in URL_INTEGER_OPTIONS if key in query})
    if "token_file_path" in options:
        options.setdefault("authenticator", "oauth")
    if "connections_file_path" in query:
        options["connections_file_path"] = Path(query["connections_file_path"])
    return options


@dataclass(eq=False)
class SnowflakeSession:
    """One logged-in connector connection, the database it really uses and the limit of the running call."""

    connection: Any
    database: str
    statement_timeout: float = 0.0
    in_transaction: bool = False

    @property
    def session_id(self) -> Any:
        return getattr(self.connection, "session_id", None)

    def cursor(self) -> Any:
        return self.connection.cursor()


class SnowflakeBackend(Backend):
    kind = "snowflake"

    def __init__(self, options: dict[str, Any], database: str) -> None:
        self.options = options
        self.database = options.get("database", database)

    def _login(self) -> Any:
        import snowflake.connector

        try:
            return snowflake.connector.connect(**copy.deepcopy(self.options))
        except snowflake.connector.errors.Error as error:
            raise WarehouseUnavailable("Snowflake is not reachable or refused the login.") from error

    def connect(self) -> SnowflakeSession:
        connection = self._login()
        # With connection_name or a user's default namespace the database is the session's, not the settings'.
        database = connection.cursor().execute("SELECT CURRENT_DATABASE()").fetchone()[0]
        return SnowflakeSession(connection, database or self.database)

    def close(self, raw: SnowflakeSession) -> None:
        try:
            raw.connection.close()
        except Exception:
            pass

    def ping(self, raw: SnowflakeSession) -> None:
        if raw.connection.is_closed():
            raise WarehouseUnavailable("The Snowflake connection is closed.")
        self._cursor(raw, "SELECT 1", None).fetchall()

    def set_statement_timeout(self, raw: SnowflakeSession, seconds: float) -> None:
        raw.statement_timeout = seconds

    def _cursor(self, raw: SnowflakeSession, sql: str, params: Params) -> Any:
        """Runs one statement with the caller's limit: the connector aborts it on the server when the limit
        passes. A session or token that expired logs in again once; a read retries once after a network error."""
        return self._retrying(raw, sql, lambda: self._run(raw, sql, params))

    def _run(self, raw: SnowflakeSession, sql: str, params: Params) -> Any:
        cursor = raw.cursor()
        timeout = math.ceil(raw.statement_timeout) + 1 if raw.statement_timeout else None
        cursor.execute(sql, params or None, timeout=timeout)
        return cursor

    def _retrying(self, raw: SnowflakeSession, sql: str, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except Exception as error:
            errno = getattr(error, "errno", None)
            retryable = errno in ERRNOS_RELOGIN or (errno in ERRNOS_UNAVAILABLE and READ_ONLY.match(sql))
            if raw.in_transaction or not retryable:
                raise
        self.close(raw)
        raw.connection = self._login()
        return operation()

    def execute(self, raw: SnowflakeSession, sql: str, params: Params) -> Result:
        cursor = self._cursor(raw, sql, params)
        if cursor.description is None:
            return Result([], [], cursor.rowcount or 0)
        columns = [d.name for d in cursor.description]
        rows = cursor.fetchall()
        return Result(columns, [tuple(r) for r in rows], cursor.rowcount if cursor.rowcount is not None else len(rows))

    def execute_many(self, raw: SnowflakeSession, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        cursor = raw.cursor()
        cursor.executemany(sql, list(rows))
        return cursor.rowcount or len(rows)

    def stream(self, raw: SnowflakeSession, sql: str, params: Params, batch_size: int) -> Iterator[list[Row]]:
        cursor = self._cursor(raw, sql, params)
        columns = [d.name for d in cursor.description]
        while batch := cursor.fetchmany(batch_size):
            yield [dict(zip(columns, row, strict=True)) for row in batch]

    def begin(self, raw: SnowflakeSession) -> None:
        self._cursor(raw, "BEGIN", None)
        raw.in_transaction = True

    def commit(self, raw: SnowflakeSession) -> None:
        try:
            self._run(raw, "COMMIT", None)
        finally:
            raw.in_transaction = False

    def rollback(self, raw: SnowflakeSession) -> None:
        try:
            self._run(raw, "ROLLBACK", None)
        except Exception:
            pass
        finally:
            raw.in_transaction = False

    def cancel(self, raw: SnowflakeSession) -> None:
        """Cancels the session's running statement; without a session id the connection is closed instead
        (Snowflake ends a closed session's statements)."""
        if raw.session_id is None:
            self.close(raw)
            return
        limit = self.options["network_timeout"]
        raw.cursor().execute("SELECT SYSTEM$CANCEL_ALL_QUERIES(?)", (raw.session_id,), timeout=limit)

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
        if errno in ERRNOS_TIMEOUT:
            return WarehouseTimeout("The statement was cancelled or timed out.")
        if errno in ERRNOS_UNAVAILABLE or isinstance(error, OSError):
            return WarehouseUnavailable("Snowflake is not reachable.")
        return QueryError("The warehouse rejected the statement.", str(error))

    def insert_rows(
        self,
        raw: SnowflakeSession,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        json_columns: Sequence[str] = (),
    ) -> int:
        """Multi-row VALUES with bound values: no scratch table, so no DDL (which would commit an open
        transaction on Snowflake) and nothing shared between batches of different widths."""
        selected = ", ".join(
            f"PARSE_JSON(COLUMN{i})" if column in json_columns else f"COLUMN{i}"
            for i, column in enumerate(columns, start=1)
        )
        row_placeholder = "(" + ", ".join("?" for _ in columns) + ")"
        for start in range(0, len(rows), INSERT_BATCH_ROWS):
            batch = rows[start : start + INSERT_BATCH_ROWS]
            values = [
                json.dumps(v) if c in json_columns and v is not None else v
                for row in batch
                for c, v in zip(columns, row, strict=True)
            ]
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {selected} "
                f"FROM VALUES {', '.join(row_placeholder for _ in batch)}"
            )
            self._run(raw, sql, values)
        return len(rows)

    def load_staged_as_json(
        self,
        raw: SnowflakeSession,
        table: str,
        stage: str,
        path: str,
        source: DelimitedSource | DocumentSource,
        json_column: str,
        row_number_column: str,
    ) -> int:
        if isinstance(source, DocumentSource):
            return self._load_documents(
                raw, table, self._stage_location(raw, stage, path), source, [json_column, row_number_column]
            )
        record = (
            "OBJECT_CONSTRUCT_KEEP_NULL("
            + ", ".join(
                f"{string_literal(header)}, ${index}::VARCHAR" for index, header in enumerate(source.headers, start=1)
            )
            + ")"
        )
        constants = "".join(f", {_literal(value)}" for value in source.constants.values())
        searched = source.search_indexes()
        search = [source.search_column] if searched and source.search_column else []
        if search:
            # || NVL LOWER: functions COPY transformations accept (CONCAT_WS is not among them)
            separator = f" || {string_literal(source.SEARCH_SEPARATOR)} || "
            values = separator.join(f"NVL(${index + 1}, '')" for index in searched)
            constants += f", LOWER({values})"
        target_columns = ", ".join([json_column, row_number_column, *source.constants, *search])
        delimiter = string_literal(source.delimiter)
        encoding = "ISO-8859-1" if source.encoding == "latin-1" else "UTF8"
        # Byte-faithful: Snowflake's defaults would turn \\N into NULL and drop unquoted backslashes.
        sql = (
            f"COPY INTO {table} ({target_columns}) FROM (SELECT {record}, METADATA$FILE_ROW_NUMBER - 1{constants} "
            f"FROM {self._stage_location(raw, stage, path)}) "
            f"FILE_FORMAT = (TYPE = CSV SKIP_HEADER = 1 FIELD_DELIMITER = {delimiter} "
            "FIELD_OPTIONALLY_ENCLOSED_BY = '\"' ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = () "
            "EMPTY_FIELD_AS_NULL = TRUE ERROR_ON_COLUMN_COUNT_MISMATCH = TRUE "
            f"ENCODING = '{encoding}') ON_ERROR = ABORT_STATEMENT FORCE = TRUE"
        )
        cursor = self._run(raw, sql, None)
        return sum(int(row[2]) for row in cursor.fetchall() if len(row) > 2 and str(row[2]).isdigit())

    def _load_documents(
        self, raw: SnowflakeSession, table: str, location: str, source: DocumentSource, targets: list[str]
    ) -> int:
        constants = "".join(f", {_literal(value)}" for value in source.constants.values())
        target_columns = ", ".join([*targets, *source.constants])
        sql = (
            f"COPY INTO {table} ({target_columns}) FROM (SELECT $1, METADATA$FILE_ROW_NUMBER{constants} "
            f"FROM {location}) FILE_FORMAT = ({DOCUMENT_FILE_FORMATS[source.format]}) "
            "ON_ERROR = ABORT_STATEMENT FORCE = TRUE"
        )
        cursor = self._run(raw, sql, None)
        return sum(int(row[2]) for row in cursor.fetchall() if len(row) > 2 and str(row[2]).isdigit())

    def _stage_location(self, raw: SnowflakeSession, stage: str, path: str = "") -> str:
        if stage not in STAGES:
            raise QueryError(f"Stage {stage} does not exist")
        suffix = "/" + path.lstrip("/") if path else ""
        return f"@{raw.database}.{STAGE_SCHEMA}.{stage}{suffix}"

    def stage_put(self, raw: SnowflakeSession, local_path: Path, stage: str, path: str) -> None:
        """Streams the caller's file under the staged name; the caller's file is neither moved nor renamed."""
        folder, _, name = path.rpartition("/")
        location = string_literal(self._stage_location(raw, stage, folder))
        source = string_literal(f"file:///{name}")
        with Path(local_path).open("rb") as stream:
            raw.cursor().execute(
                f"PUT {source} {location} AUTO_COMPRESS = FALSE OVERWRITE = TRUE",
                file_stream=stream,
                timeout=math.ceil(raw.statement_timeout) or None,
            )

    def stage_list(self, raw: SnowflakeSession, stage: str, prefix: str = "") -> list[StageFile]:
        cursor = self._cursor(raw, f"LIST {string_literal(self._stage_location(raw, stage, prefix))}", None)
        files = []
        stage_prefix = f"{stage.lower()}/"
        for name, size, md5, modified in cursor.fetchall():
            relative = name.split("/", 1)[1] if name.lower().startswith(stage_prefix) else name
            files.append(StageFile(relative, int(size), md5 or "", _parse_list_time(modified)))
        return sorted(files, key=lambda f: f.name)

    def _one_file(self, raw: SnowflakeSession, stage: str, path: str) -> tuple[str, str]:
        """REMOVE and GET match their path as a prefix (x.csv would also take x.csv.bak); with the pattern the
        reference is exactly the one file."""
        location = string_literal(self._stage_location(raw, stage, path))
        return location, f"PATTERN = {string_literal('.*' + re.escape(path.lstrip('/')))}"

    def stage_remove(self, raw: SnowflakeSession, stage: str, path: str) -> bool:
        location, pattern = self._one_file(raw, stage, path)
        return bool(self._run(raw, f"REMOVE {location} {pattern}", None).fetchall())

    def stage_get(self, raw: SnowflakeSession, stage: str, path: str, local_dir: Path) -> Path:
        location, pattern = self._one_file(raw, stage, path)
        target = string_literal(f"file://{local_dir.as_posix()}/")
        self._run(raw, f"GET {location} {target} {pattern}", None)
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
