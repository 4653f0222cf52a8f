"""CSV exports, whole or streamed one chunk per warehouse batch: every cell goes through `safe_cell`, every
download name through `safe_filename`."""

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_FILENAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")
MAX_FILENAME_LENGTH = 120


def safe_cell(value: Any) -> Any:
    """Text starting with = + - @ TAB or CR gets a leading quote, so a spreadsheet shows it instead of running it."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def restored_cell(value: str) -> str:
    """The text `safe_cell` neutralised, so an exported file imports back unchanged."""
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def read_records(text: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """The header and the records of an imported CSV, with neutralised cells restored."""
    reader = csv.DictReader(io.StringIO(text))
    header = list(reader.fieldnames or [])
    records = (
        {key: restored_cell(value) if isinstance(value, str) else value for key, value in record.items()}
        for record in reader
    )
    return header, records


def csv_lines(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def safe_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV document with every cell neutralised."""
    return csv_lines([[safe_cell(value) for value in row] for row in (header, *rows)])


def safe_filename(name: str) -> str:
    """A download name of letters, digits, dot, dash and underscore only: no quote, CR/LF or path can reach
    the Content-Disposition header, whatever a TPA code or table name holds."""
    cleaned = _UNSAFE_FILENAME_CHARACTERS.sub("_", name).strip("._") or "export"
    return cleaned[-MAX_FILENAME_LENGTH:]


async def csv_chunks(
    batches: AsyncIterable[list[dict[str, Any]]], header: Sequence[str] | None = None
) -> AsyncIterator[str]:
    """The header (or the first batch's keys), then every batch, as CSV text. Each batch is formatted on a
    thread: thousands of rows of cells would hold the event loop for tens of milliseconds per batch."""
    if header is not None:
        yield csv_lines([[safe_cell(name) for name in header]])
    async for batch in batches:
        if header is None and batch:
            header = list(batch[0])
            yield csv_lines([[safe_cell(name) for name in header]])
        yield await asyncio.to_thread(_batch_lines, header or [], batch)


def _batch_lines(header: Sequence[str], batch: list[dict[str, Any]]) -> str:
    return csv_lines([[safe_cell(row[name]) for name in header] for row in batch])


def csv_response(filename: str, content: str | AsyncIterator[str]) -> HttpResponseBase:
    """A CSV download under a safe file name: whole text, or streamed chunks from `csv_chunks`."""
    content_type = "text/csv; charset=utf-8"
    if isinstance(content, str):
        response: HttpResponseBase = HttpResponse(content, content_type=content_type)
    else:
        response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, safe_filename(filename))
    return response
