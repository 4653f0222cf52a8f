from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

Params = Sequence[Any] | None
Row = dict[str, Any]


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    rowcount: int

    def dicts(self) -> list[Row]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class StageFile:
    name: str
    size: int
    md5: str
    last_modified: datetime


@dataclass(frozen=True)
class DelimitedSource:
    """How to read one delimited file and which constant values to store with each record."""

    headers: list[str]
    delimiter: str
    encoding: str
    constants: dict[str, Any] = field(default_factory=dict)
    search_column: str | None = None
    """Filled with the lowercased values of `search_headers`, joined by SEARCH_SEPARATOR (text search reads it)."""
    SEARCH_SEPARATOR: ClassVar[str] = " | "
    search_headers: tuple[str, ...] = ()

    def search_indexes(self) -> list[int]:
        """Positions (from 0) of the searched headers, when a search column is asked for."""
        if self.search_column is None:
            return []
        return [index for index, header in enumerate(self.headers) if header in self.search_headers]


@dataclass(frozen=True)
class DocumentSource:
    """A staged file of self-describing records (PARQUET, JSON array or NDJSON) and the constants to store."""

    format: str
    constants: dict[str, Any] = field(default_factory=dict)


DOCUMENT_FORMATS = ("PARQUET", "JSON", "NDJSON")


@dataclass(frozen=True)
class BackendInfo:
    kind: str
    version: str
    database: str
    warehouse: str | None = None
    account: str | None = None
    schema: str | None = None
    region: str | None = None
    role: str | None = None


class Backend(ABC):
    """Blocking operations on one raw connection. Only the Warehouse calls these, on its executor."""

    kind: str

    @abstractmethod
    def connect(self) -> Any: ...

    @abstractmethod
    def close(self, raw: Any) -> None: ...

    @abstractmethod
    def ping(self, raw: Any) -> None: ...

    @abstractmethod
    def execute(self, raw: Any, sql: str, params: Params) -> Result: ...

    @abstractmethod
    def execute_many(self, raw: Any, sql: str, rows: Sequence[Sequence[Any]]) -> int: ...

    @abstractmethod
    def stream(self, raw: Any, sql: str, params: Params, batch_size: int) -> Iterator[list[Row]]: ...

    @abstractmethod
    def begin(self, raw: Any) -> None: ...

    @abstractmethod
    def commit(self, raw: Any) -> None: ...

    @abstractmethod
    def rollback(self, raw: Any) -> None: ...

    def set_statement_timeout(self, raw: Any, seconds: float) -> None:
        """The limit of the call about to run on `raw` (a backend that can enforce it on the server does)."""

    @abstractmethod
    def cancel(self, raw: Any) -> None:
        """Called from another thread while `raw` runs a statement."""

    def statement_progress(self, raw: Any) -> float | None:
        """Called from another thread while `raw` runs a statement: the share of its input read so far, or None
        when the warehouse does not tell (a Snowflake COPY reports its rows only when it ends)."""
        return None

    @abstractmethod
    def info(self) -> BackendInfo: ...

    @abstractmethod
    def translate_error(self, error: Exception) -> Exception: ...

    @abstractmethod
    def insert_rows(
        self,
        raw: Any,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        json_columns: Sequence[str] = (),
    ) -> int:
        """Bulk insert; `table` and `columns` are already quoted identifiers."""

    @abstractmethod
    def load_staged_as_json(
        self,
        raw: Any,
        table: str,
        stage: str,
        path: str,
        source: "DelimitedSource | DocumentSource",
        json_column: str,
        row_number_column: str,
    ) -> int:
        """Load every record of a staged file as one JSON object, read by the warehouse itself: each data row
        of a delimited file (header text -> value, all text), each record of a Parquet, JSON or NDJSON file."""

    @abstractmethod
    def stage_put(self, raw: Any, local_path: Path, stage: str, path: str) -> None: ...

    @abstractmethod
    def stage_list(self, raw: Any, stage: str, prefix: str = "") -> list[StageFile]: ...

    @abstractmethod
    def stage_remove(self, raw: Any, stage: str, path: str) -> bool: ...

    @abstractmethod
    def stage_get(self, raw: Any, stage: str, path: str, local_dir: Path) -> Path: ...

    def stage_move(self, raw: Any, source_stage: str, path: str, target_stage: str, target_path: str) -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as scratch:
            local = self.stage_get(raw, source_stage, path, Path(scratch))
            self.stage_put(raw, local, target_stage, target_path)
        self.stage_remove(raw, source_stage, path)

    def shutdown(self) -> None:
        """Release process-wide resources (caches, instances)."""
