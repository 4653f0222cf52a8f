"""fakesnow's HTTP server plus the smallest stand-ins for what Snowflake documents and fakesnow lacks.

The real snowflake-connector-python talks to this over loopback exactly as it talks to Snowflake. Every
stand-in below names the Snowflake behaviour it reproduces; everything else is fakesnow's own handling.
Run it with `python -m tests.snowflake_emulator PORT [STATEMENT_LOG]`.
"""

import gzip
import hashlib
import itertools
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import fakesnow.arrow
import fakesnow.server as fss
import pyarrow as pa
import pyarrow.parquet as pq
import snowflake.connector.errors
import sqlglot
from fakesnow.transforms import stage as fake_stage
from sqlglot import exp
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

STAGE_REFERENCE = re.compile(r"'@(?P<stage>[A-Za-z0-9_$.\"]+?)(?:/(?P<path>(?:[^'\\]|\\.)*))?'")
WAIT_CALL = re.compile(r"^\s*SELECT\s+SYSTEM\$WAIT\(\s*(\d+(?:\.\d+)?)\s*\)\s*$", re.I)
CANCEL_ALL = re.compile(r"^\s*SELECT\s+SYSTEM\$CANCEL_ALL_QUERIES\(\s*(\?|\d+)\s*\)\s*$", re.I)
COPY_WITH_TRANSFORM = re.compile(
    r"\s*COPY\s+INTO\s+(.*?)\s+FROM\s*\(\s*SELECT\s+(.*)\s+FROM\s+(@\S+?)\s*\)\s*(.*)$", re.I | re.S
)
CORTEX_COMPLETE = re.compile(r"^\s*SELECT\s+SNOWFLAKE\.CORTEX\.COMPLETE\(\s*\?\s*,\s*\?\s*\)\s+AS\s+(\w+)\s*$", re.I)
BOUND_ROW_COUNT = re.compile(r"\b(LIMIT|OFFSET)\s+\?", re.I)
DDL_KEYWORDS = {"CREATE", "ALTER", "DROP", "TRUNCATE", "UNDROP", "GRANT", "REVOKE", "COMMENT"}
_session_ids = itertools.count(1_000_001)


@dataclass
class Session:
    token: str
    session_id: int
    statement_timeout: float = 0.0
    in_transaction: bool = False
    running: threading.Event = field(default_factory=threading.Event)
    cancelled: threading.Event = field(default_factory=threading.Event)
    reason: str = ""

    @property
    def connection(self) -> Any:
        return fss.sessions[self.token]

    def cancel(self, reason: str) -> None:
        """Cancels what the session runs now, as SYSTEM$CANCEL_ALL_QUERIES and abort-request do."""
        if not self.running.is_set():
            return
        self.reason = reason
        self.cancelled.set()
        self.connection._duck_conn.interrupt()


sessions_by_token: dict[str, Session] = {}
logins: list[dict[str, Any]] = []
sessions_by_id: dict[int, Session] = {}
statement_log: Path | None = None
_log_lock = threading.Lock()


def _error(code: int, message: str, sqlstate: str = "57014") -> JSONResponse:
    return JSONResponse(
        {
            "data": {"errorCode": f"{code:06d}", "sqlState": sqlstate},
            "code": f"{code:06d}",
            "message": message,
            "success": False,
        }
    )


def _rows(columns: list[tuple[str, str]], rows: list[tuple[Any, ...]], type_id: int = 0x1000) -> JSONResponse:
    """A result in Snowflake's JSON rowset format (every value travels as text)."""
    rowtype = [
        {
            "name": name,
            "type": kind,
            "nullable": True,
            "length": None if kind == "fixed" else 16777216,
            "precision": 38 if kind == "fixed" else None,
            "scale": 0 if kind == "fixed" else None,
            "byteLength": None,
            "collation": None,
        }
        for name, kind in columns
    ]
    return JSONResponse(
        {
            "data": {
                "rowtype": rowtype,
                "rowset": [[None if v is None else str(v) for v in row] for row in rows],
                "total": len(rows),
                "queryResultFormat": "json",
                "queryId": f"emulator-{time.monotonic_ns()}",
                "statementTypeId": type_id,
                "parameters": [],
            },
            "success": True,
        }
    )


def _record(session: "Session | None", sql: str) -> None:
    if statement_log is None:
        return
    with _log_lock, statement_log.open("a") as log:
        log.write(json.dumps({"session": session.session_id if session else None, "sql": sql}) + "\n")


# --------------------------------------------------------------------------- login


async def login_request(request: Request) -> Response:
    """Snowflake answers a login with a numeric `sessionId`; the connector keeps it as `session_id`, which
    SYSTEM$CANCEL_ALL_QUERIES takes. fakesnow sends none. STATEMENT_TIMEOUT_IN_SECONDS among the session
    parameters makes Snowflake cancel any statement of the session that runs longer."""
    body = await _json_body(request)
    response = await fss.login_request(request)
    answer = json.loads(bytes(response.body))
    token = answer["data"]["token"]
    session = Session(token, next(_session_ids))
    logins.append({"authenticator": body["data"].get("AUTHENTICATOR"), "token": body["data"].get("TOKEN")})
    parameters = body["data"].get("SESSION_PARAMETERS") or {}
    session.statement_timeout = float(parameters.get("STATEMENT_TIMEOUT_IN_SECONDS") or 0)
    sessions_by_token[token] = session
    sessions_by_id[session.session_id] = session
    answer["data"]["sessionId"] = session.session_id
    return JSONResponse(answer)


async def _json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if request.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return json.loads(body)


def _replace_body(request: Request, body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    request._body = gzip.compress(raw) if request.headers.get("Content-Encoding") == "gzip" else raw


# --------------------------------------------------------------------------- queries


async def query_request(request: Request) -> Response:
    body = await _json_body(request)
    sql: str = body["sqlText"]
    session = sessions_by_token.get(fss.to_token(request)) if request.headers.get("Authorization") else None
    _record(session, sql)
    if session is None or session.token not in fss.sessions:
        return await fss.query_request(request)
    _track_transaction(session, sql)
    if match := CANCEL_ALL.match(sql):
        return _cancel_all(match.group(1), body)
    if refusal := _try_cast_refusal(sql):
        return _error(1044, refusal, "42P13")
    if BOUND_ROW_COUNT.search(sql) and body.get("bindings"):
        # Snowflake compiles LIMIT/OFFSET with constant row counts only; a server-side bind there is refused.
        return _error(1003, "SQL compilation error:\nInvalid row count '?' in limit clause", "42601")
    stand_in = _stand_in(sql)
    session.running.set()
    session.cancelled.clear()
    timer = None
    if session.statement_timeout:
        timer = threading.Timer(
            session.statement_timeout,
            session.cancel,
            [
                f"Statement reached its statement or warehouse timeout of {session.statement_timeout:g} second(s) "
                "and was canceled."
            ],
        )
        timer.start()
    try:
        if stand_in is not None:
            try:
                response = await run_in_threadpool(stand_in, session, sql, body)
            except snowflake.connector.errors.Error as error:
                response = _error(error.errno or 1003, error.msg or str(error), error.sqlstate or "42000")
        else:
            _search_every_schema(session.connection)
            if sql.lstrip().upper().startswith("PUT"):
                _replace_body(request, {**body, "sqlText": _unquote_put_target(sql)})
            response = await fss.query_request(request)
    finally:
        if timer is not None:
            timer.cancel()
        session.running.clear()
    if session.cancelled.is_set():
        return _error(604 if "timeout" not in session.reason else 630, session.reason)
    return response


def _track_transaction(session: Session, sql: str) -> None:
    """Snowflake runs DDL in its own transaction: a DDL statement first commits the session's open one."""
    keyword = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    if keyword in {"BEGIN", "START"}:
        session.in_transaction = True
    elif keyword in {"COMMIT", "ROLLBACK"}:
        session.in_transaction = False
    elif keyword in DDL_KEYWORDS and session.in_transaction:
        session.connection._duck_conn.execute("COMMIT")
        session.in_transaction = False


def _search_every_schema(connection: Any) -> None:
    """Not a Snowflake behaviour but a fakesnow gap: it puts an IDENTITY column's sequence in the session's
    current schema (CREATE SCHEMA makes the new schema current) and names it unqualified in the column
    default, so inserts from a session elsewhere would not find it. Snowflake ties the sequence to the table."""
    if not connection.database:
        return
    schemas = [
        row[0]
        for row in connection._duck_conn.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = ? ORDER BY schema_name",
            [connection.database],
        ).fetchall()
    ]
    current = connection.schema or "PUBLIC"
    path = ",".join(f"{connection.database}.{name}" for name in [current, *(s for s in schemas if s != current)])
    connection._duck_conn.execute(f"SET search_path = '{path}'")


NON_TEXT_EXPRESSIONS = (
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg, exp.Abs, exp.Round, exp.Floor, exp.Ceil, exp.Sum, exp.Avg,
    exp.Count, exp.Boolean, exp.DateAdd, exp.DateDiff, exp.CurrentDate, exp.CurrentTimestamp,
)  # fmt: skip


def _try_cast_refusal(sql: str) -> str | None:
    """Snowflake compiles TRY_CAST only from text, and never to VARIANT, OBJECT or ARRAY. The emulator sees no
    column types, so it refuses what is evidently not text: numbers, arithmetic, numeric and date functions."""
    if "TRY_CAST" not in sql.upper():
        return None
    try:
        tree = sqlglot.parse_one(sql, read="snowflake")
    except sqlglot.errors.ParseError:
        return None
    for node in tree.find_all(exp.TryCast):
        target = node.to.this
        argument = node.this.unnest() if isinstance(node.this, exp.Paren) else node.this
        if target in (exp.DataType.Type.VARIANT, exp.DataType.Type.OBJECT, exp.DataType.Type.ARRAY):
            return f"SQL compilation error:\nInvalid data type [{target.name}] for function [TRY_CAST]"
        if isinstance(argument, NON_TEXT_EXPRESSIONS) or (isinstance(argument, exp.Literal) and argument.is_number):
            return (
                "SQL compilation error:\nFunction TRY_CAST cannot be used with arguments of types NUMBER(38,0) "
                f"and {node.to.sql(dialect='snowflake')}"
            )
    return None


def _cancel_all(argument: str, body: dict[str, Any]) -> Response:
    if argument == "?":
        argument = body["bindings"]["1"]["value"]
    target = sessions_by_id.get(int(argument))
    if target is None:
        return _error(2003, f"Session {argument} does not exist or not authorized.", "02000")
    target.cancel("SQL execution canceled")
    return _rows([("SYSTEM$CANCEL_ALL_QUERIES", "text")], [(f"1 queries of session {argument} cancelled",)])


async def abort_request(request: Request) -> Response:
    """abort-request cancels the query the connector's per-statement `timeout` timer gave up on."""
    session = sessions_by_token.get(fss.to_token(request))
    if session is not None:
        session.cancel("SQL execution canceled")
    return JSONResponse({"success": True})


def _stand_in(sql: str) -> Any:
    words = sql.lstrip().split(None, 1)
    keyword = words[0].upper() if words else ""
    if keyword in {"GET", "REMOVE", "RM"}:
        return _get if keyword == "GET" else _remove
    if keyword in {"LIST", "LS"} and "/" in sql:
        return _list
    if (
        keyword == "COPY"
        and re.search(r"\bFROM\s*\(\s*SELECT\b", sql, re.I)
        and re.search(r"TYPE\s*=\s*(CSV|JSON|PARQUET)\b", sql, re.I)
    ):
        return _copy_with_transform
    if WAIT_CALL.match(sql):
        return _wait
    if CORTEX_COMPLETE.match(sql):
        return _cortex_complete
    return None


def _unquote_put_target(sql: str) -> str:
    """Snowflake accepts the PUT target as a quoted string ('@db.schema.stage/path'); fakesnow only bare."""
    return re.sub(r"(\s)'(@[^']*)'", r"\1\2", sql, count=1)


def _stage_files(session: Session, sql: str) -> tuple[str, Path, list[Path]]:
    """A stage reference's name, storage folder and the files whose path starts with its path (Snowflake
    matches the path of LIST, REMOVE and GET as a prefix, not as one file)."""
    match = STAGE_REFERENCE.search(sql)
    if match is None:
        raise snowflake.connector.errors.ProgrammingError(msg="Stage reference expected", errno=1003)
    connection = session.connection
    catalog, schema, name = fake_stage.parts_from_var(match["stage"], connection.database, connection.schema)
    root = Path(fake_stage.internal_dir(f"{catalog}.{schema}.{name}"))
    path = (match["path"] or "").replace("\\'", "'")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.relative_to(root).as_posix().startswith(path))
    return name, root, files


def _pattern(sql: str) -> re.Pattern[str] | None:
    match = re.search(r"PATTERN\s*=\s*'((?:[^'\\]|\\.)*)'", sql, re.I)
    return re.compile(match.group(1).replace("\\\\", "\\")) if match else None


def _listed_name(stage_name: str, root: Path, file: Path) -> str:
    return f"{stage_name.lower()}/{file.relative_to(root).as_posix()}"


def _matching(session: Session, sql: str) -> tuple[str, Path, list[Path]]:
    name, root, files = _stage_files(session, sql)
    pattern = _pattern(sql)
    if pattern is not None:
        files = [f for f in files if pattern.fullmatch(_listed_name(name, root, f))]
    return name, root, files


def _list(session: Session, sql: str, _body: dict[str, Any]) -> Response:
    """LIST @stage/path: the files under the path prefix (fakesnow lists only a whole stage)."""
    name, root, files = _matching(session, sql)
    rows = []
    for file in files:
        content = file.read_bytes()
        modified = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(file.stat().st_mtime))
        rows.append((_listed_name(name, root, file), len(content), hashlib.md5(content).hexdigest(), modified))
    return _rows([("name", "text"), ("size", "fixed"), ("md5", "text"), ("last_modified", "text")], rows)


def _remove(session: Session, sql: str, _body: dict[str, Any]) -> Response:
    """REMOVE @stage/path [PATTERN = '...']: deletes every file whose path starts with `path`."""
    name, root, files = _matching(session, sql)
    for file in files:
        file.unlink()
    return _rows([("name", "text"), ("result", "text")], [(_listed_name(name, root, f), "removed") for f in files])


def _get(session: Session, sql: str, _body: dict[str, Any]) -> Response:
    """GET @stage/path file:///dir/: a download command; the connector copies each file into `dir`."""
    _name, root, files = _matching(session, sql)
    local = re.search(r"'file://([^']*)'|\sfile://(\S+)", sql)
    if local is None:
        raise snowflake.connector.errors.ProgrammingError(msg="GET needs a file:// target", errno=1003)
    return JSONResponse(
        {
            "data": {
                "command": "DOWNLOAD",
                "src_locations": [f.relative_to(root).as_posix() for f in files],
                "stageInfo": {"locationType": "LOCAL_FS", "location": f"{root}/", "creds": {}},
                "localLocation": local.group(1) or local.group(2),
                "parallel": 1,
                "encryptionMaterial": [],
            },
            "success": True,
        }
    )


def _wait(session: Session, sql: str, _body: dict[str, Any]) -> Response:
    """SYSTEM$WAIT(seconds) keeps the statement running (until cancelled)."""
    match = WAIT_CALL.match(sql)
    assert match is not None
    session.cancelled.wait(float(match.group(1)))
    return _rows([("SYSTEM$WAIT", "text")], [("waited",)])


def _cortex_complete(_session: Session, sql: str, body: dict[str, Any]) -> Response:
    """SNOWFLAKE.CORTEX.COMPLETE(model, prompt) returns the model's completion as one string. The stand-in model
    is deterministic: it reads the JSON object of source fields and the JSON array of target columns the
    prompt carries and answers, as models tend to, with a fenced JSON array mapping each source field whose
    name, in capitals with underscores, is a target column's name."""
    match = CORTEX_COMPLETE.match(sql)
    assert match is not None
    prompt = body["bindings"]["2"]["value"]
    sources: dict[str, Any] = {}
    targets: list[Any] = []
    decoder, position = json.JSONDecoder(), 0
    while (position := _next_json_start(prompt, position)) >= 0:
        try:
            value, position = decoder.raw_decode(prompt, position)
        except json.JSONDecodeError:
            position += 1
            continue
        if isinstance(value, dict) and not sources:
            sources = value
        elif isinstance(value, list) and all(isinstance(item, list) and item for item in value) and not targets:
            targets = value
    columns = {str(target[0]) for target in targets}
    proposals = [
        {"source_field": field, "target_column": column, "confidence": 0.9, "reasoning": "Same name"}
        for field in sources
        if (column := re.sub(r"[^A-Z0-9]+", "_", field.upper()).strip("_")) in columns
    ]
    return _rows([(match.group(1).upper(), "text")], [(f"```json\n{json.dumps(proposals)}\n```",)])


def _next_json_start(text: str, position: int) -> int:
    starts = [index for index in (text.find("{", position), text.find("[", position)) if index >= 0]
    return min(starts, default=-1)


# --------------------------------------------------------------------------- COPY with a transformation


@dataclass
class CsvFormat:
    """Snowflake's CSV file format options with Snowflake's defaults."""

    delimiter: str = ","
    skip_header: int = 0
    enclosed_by: str | None = None
    escape_unenclosed: str | None = "\\"
    null_if: tuple[str, ...] = ("\\N",)
    empty_as_null: bool = True
    column_count_mismatch_is_error: bool = True
    encoding: str = "utf-8"


def _format_options(sql: str) -> CsvFormat:
    match = re.search(r"FILE_FORMAT\s*=\s*\((.*?)\)\s*(?:ON_ERROR|FORCE|$)", sql, re.I | re.S)
    text = match.group(1) if match else ""
    options = dict(
        (key.upper(), value) for key, value in re.findall(r"(\w+)\s*=\s*(\((?:[^()]*)\)|'(?:[^'\\]|\\.)*'|\w+)", text)
    )
    fmt = CsvFormat()

    def literal(value: str) -> str | None:
        if value.upper() == "NONE":
            return None
        inner = value[1:-1]
        return inner.encode().decode("unicode_escape") if "\\" in inner else inner

    if "FIELD_DELIMITER" in options:
        fmt.delimiter = literal(options["FIELD_DELIMITER"]) or ","
    if "SKIP_HEADER" in options:
        fmt.skip_header = int(options["SKIP_HEADER"])
    if "FIELD_OPTIONALLY_ENCLOSED_BY" in options:
        fmt.enclosed_by = literal(options["FIELD_OPTIONALLY_ENCLOSED_BY"])
    if "ESCAPE_UNENCLOSED_FIELD" in options:
        fmt.escape_unenclosed = literal(options["ESCAPE_UNENCLOSED_FIELD"])
    if "NULL_IF" in options:
        fmt.null_if = tuple(literal(v) or "" for v in re.findall(r"'(?:[^'\\]|\\.)*'", options["NULL_IF"]))
    if "EMPTY_FIELD_AS_NULL" in options:
        fmt.empty_as_null = options["EMPTY_FIELD_AS_NULL"].upper() == "TRUE"
    if "ERROR_ON_COLUMN_COUNT_MISMATCH" in options:
        fmt.column_count_mismatch_is_error = options["ERROR_ON_COLUMN_COUNT_MISMATCH"].upper() == "TRUE"
    if "ENCODING" in options:
        fmt.encoding = "latin-1" if options["ENCODING"].strip("'").upper() == "ISO-8859-1" else "utf-8"
    return fmt


def _parse_csv(data: bytes, fmt: CsvFormat) -> list[list[str | None]]:
    """Reads fields as Snowflake does: FIELD_OPTIONALLY_ENCLOSED_BY quotes a whole field (a doubled quote
    inside is one quote); outside quotes the ESCAPE_UNENCLOSED_FIELD character escapes the next character
    (`\\N` stays the two-character NULL marker); a field equal to a NULL_IF string is NULL."""
    try:
        text = data.decode(fmt.encoding)
    except UnicodeDecodeError:
        raise snowflake.connector.errors.ProgrammingError(
            msg="Invalid UTF8 detected in string", errno=100069, sqlstate="22000"
        ) from None
    records: list[list[str | None]] = []
    record: list[str | None] = []
    position, end = 0, len(text)
    while position < end:
        enclosed = fmt.enclosed_by is not None and text[position] == fmt.enclosed_by
        value, position = (_enclosed if enclosed else _unenclosed)(text, position, fmt)
        record.append(None if value in fmt.null_if else value)
        if position < end and text[position] == fmt.delimiter:
            position += 1
            if position == end:
                record.append(None if fmt.empty_as_null else "")
            continue
        if text.startswith("\r\n", position):
            position += 1
        position += 1
        records.append(record)
        record = []
    if record:
        records.append(record)
    return records[fmt.skip_header :]


def _enclosed(text: str, position: int, fmt: CsvFormat) -> tuple[str, int]:
    quote, value, position = fmt.enclosed_by or '"', [], position + 1
    while position < len(text):
        if text.startswith(quote * 2, position):
            value.append(quote)
            position += 2
        elif text[position] == quote:
            return "".join(value), position + 1
        else:
            value.append(text[position])
            position += 1
    raise snowflake.connector.errors.ProgrammingError(
        msg="Found character ':' instead of field delimiter or record delimiter: unterminated quoted field",
        errno=100065,
        sqlstate="22000",
    )


def _unenclosed(text: str, position: int, fmt: CsvFormat) -> tuple[str | None, int]:
    escape, value = fmt.escape_unenclosed, []
    while position < len(text) and text[position] not in (fmt.delimiter, "\n", "\r"):
        if escape and text[position] == escape and position + 1 < len(text):
            following = text[position + 1]
            value.append(escape + following if following == "N" else following)
            position += 2
        else:
            value.append(text[position])
            position += 1
    joined = "".join(value)
    return (None if joined == "" and fmt.empty_as_null else joined), position


def _csv_columns(records: list[list[str | None]], fmt: CsvFormat, width: int, file: str) -> dict[str, list[Any]]:
    for number, record in enumerate(records, start=fmt.skip_header + 1):
        if len(record) != width and fmt.column_count_mismatch_is_error:
            raise snowflake.connector.errors.ProgrammingError(
                msg=(
                    f"Number of columns in file ({len(record)}) does not match that of the corresponding "
                    f"table ({width}), use file format option error_on_column_count_mismatch=false to ignore "
                    f"this error\n  File '{file}', line {number}"
                ),
                errno=100080,
                sqlstate="22000",
            )
    columns: dict[str, list[Any]] = {
        f"C{i}": [r[i - 1] if i <= len(r) else None for r in records] for i in range(1, width + 1)
    }
    columns["ROW_NUMBER"] = list(range(fmt.skip_header + 1, fmt.skip_header + 1 + len(records)))
    return columns


def _documents(data: bytes, file_type: str, options: str) -> list[str]:
    """The records of a semi-structured file, each as the JSON text of its VARIANT `$1`. TYPE = PARQUET: one
    OBJECT per row, a NULL cell a JSON null under its column name. TYPE = JSON: the documents of the file one
    after another (whitespace and newlines between them ignored, so NDJSON is one record per line);
    STRIP_OUTER_ARRAY = TRUE makes each element of a top-level array a record of its own."""
    if file_type == "PARQUET":
        return [json.dumps(row, default=str) for row in pq.read_table(pa.BufferReader(data)).to_pylist()]
    text, decoder, position, documents = data.decode("utf-8"), json.JSONDecoder(), 0, []
    strip_outer_array = re.search(r"STRIP_OUTER_ARRAY\s*=\s*TRUE", options, re.I) is not None
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return documents
        try:
            document, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise snowflake.connector.errors.ProgrammingError(
                msg=f"Error parsing JSON: {error.msg}", errno=100069, sqlstate="22000"
            ) from None
        elements = document if strip_outer_array and isinstance(document, list) else [document]
        documents.extend(json.dumps(element) for element in elements)


def _copy_with_transform(session: Session, sql: str, _body: dict[str, Any]) -> Response:
    """COPY INTO t (cols) FROM (SELECT <exprs of $n and METADATA$FILE_ROW_NUMBER> FROM @stage/path) FILE_FORMAT
    = (...): reads the staged file with Snowflake's format semantics (CSV fields as text `$1..$n`; a JSON or
    Parquet record as the VARIANT `$1`), then inserts the SELECT over it. METADATA$FILE_ROW_NUMBER counts the
    file's lines for CSV (the header included) and its records for JSON and Parquet."""
    head = COPY_WITH_TRANSFORM.match(sql)
    if head is None:
        raise snowflake.connector.errors.ProgrammingError(msg="Unsupported COPY transformation", errno=1003)
    target, selected, location, options = head.groups()
    name, root, files = _stage_files(session, f"'{location}'")
    file_type_match = re.search(r"TYPE\s*=\s*(\w+)", options, re.I)
    file_type = file_type_match.group(1).upper() if file_type_match else "CSV"
    results = []
    connection = session.connection
    view = f"_EMULATOR_COPY_{os.getpid()}_{threading.get_ident()}"
    for file in files:
        if file_type == "CSV":
            fmt = _format_options(options)
            width = max((int(n) for n in re.findall(r"\$(\d+)", selected)), default=0)
            records: list[Any] = _parse_csv(file.read_bytes(), fmt)
            columns = _csv_columns(records, fmt, width, _listed_name(name, root, file))
            rewritten = re.sub(r"\$(\d+)", rf"{view}.C\1", selected)
        else:
            records = _documents(file.read_bytes(), file_type, options)
            columns = {"C1": records, "ROW_NUMBER": list(range(1, len(records) + 1))}
            rewritten = re.sub(r"\$1\b", f"PARSE_JSON({view}.C1)", selected)
        rewritten = re.sub(r"METADATA\$FILE_ROW_NUMBER", f"{view}.ROW_NUMBER", rewritten, flags=re.I)
        duck = connection._duck_conn
        types = {k: pa.int64() if k == "ROW_NUMBER" else pa.string() for k in columns}
        duck.register(view, pa.table({k: pa.array(v, types[k]) for k, v in columns.items()}))
        try:
            cursor = connection.cursor()
            cursor.execute(f"INSERT INTO {target} SELECT {rewritten} FROM {view}")
        finally:
            duck.unregister(view)
        loaded = len(records)
        results.append((_listed_name(name, root, file), "LOADED", loaded, loaded, 1, 0, None, None, None, None))
    return _rows(
        [
            ("file", "text"),
            ("status", "text"),
            ("rows_parsed", "fixed"),
            ("rows_loaded", "fixed"),
            ("error_limit", "fixed"),
            ("errors_seen", "fixed"),
            ("first_error", "text"),
            ("first_error_line", "fixed"),
            ("first_error_character", "fixed"),
            ("first_error_column_name", "text"),
        ],
        results,
        type_id=0x3000,
    )


async def expire_sessions(_request: Request) -> Response:
    """Test control: every session token becomes invalid, as when Snowflake expires idle sessions."""
    for token in list(fss.sessions):
        del fss.sessions[token]
    return JSONResponse({"expired": True})


_timestamp_struct = fakesnow.arrow.timestamp_to_sf_struct


def _timestamps_keeping_nulls(ts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Not a Snowflake behaviour but a fakesnow gap: its timestamp structs drop the null mask, so a NULL
    TIMESTAMP_NTZ would reach the connector as 1970-01-01. Snowflake sends NULL."""
    if isinstance(ts, pa.ChunkedArray):
        ts = ts.combine_chunks()
    struct = _timestamp_struct(ts)
    fields = [struct.type.field(i) for i in range(struct.type.num_fields)]
    children = [struct.field(i) for i in range(struct.type.num_fields)]
    return pa.StructArray.from_arrays(children, fields=fields, mask=ts.is_null())


fakesnow.arrow.timestamp_to_sf_struct = _timestamps_keeping_nulls
_binding_value = fss.from_binding
WHOLE_NUMBER = re.compile(r"-?\d+")


def _fixed_with_a_fraction(binding: dict[str, Any]) -> Any:
    """A fakesnow gap: the connector binds a Decimal as FIXED with its fraction ('75.50'), which Snowflake takes;
    fakesnow reads every FIXED binding as an int and fails the request."""
    value = binding["value"]
    if binding["type"] == "FIXED" and isinstance(value, str) and not WHOLE_NUMBER.fullmatch(value):
        return Decimal(value)
    return _binding_value(binding)


fss.from_binding = _fixed_with_a_fraction


async def list_logins(_request: Request) -> Response:
    """Test control: how each login authenticated (authenticator and OAuth token)."""
    return JSONResponse(logins)


routes = [
    Route("/_emulator/expire-sessions", expire_sessions, methods=["POST"]),
    Route("/_emulator/logins", list_logins, methods=["GET"]),
    Route("/session/v1/login-request", login_request, methods=["POST"]),
    Route("/queries/v1/query-request", query_request, methods=["POST"]),
    Route("/queries/v1/abort-request", abort_request, methods=["POST"]),
    *fss.routes,
]
app = Starlette(routes=routes)
