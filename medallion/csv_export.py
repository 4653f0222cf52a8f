"""Streamed CSV exports: one chunk per warehouse batch, cells neutralised against spreadsheet formulas."""

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text starting with = + - @ TAB or CR gets a leading quote, so a spreadsheet shows it instead of running it."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_lines(rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


async def csv_chunks(
    batches: AsyncIterable[list[dict[str, Any]]], header: Sequence[str] | None = None
) -> AsyncIterator[str]:
    """The header (or the first batch's keys), then every batch, as CSV text."""
    if header is not None:
        yield csv_lines([[safe_cell(name) for name in header]])
    async for batch in batches:
        if header is None and batch:
            header = list(batch[0])
            yield csv_lines([[safe_cell(name) for name in header]])
        yield csv_lines([[safe_cell(row[name]) for name in header or ()] for row in batch])


def csv_response(filename: str, content: str | AsyncIterator[str]) -> HttpResponseBase:
    """A CSV download: whole text, or streamed chunks from `csv_chunks`."""
    content_type = "text/csv; charset=utf-8"
    if isinstance(content, str):
        response: HttpResponseBase = HttpResponse(content, content_type=content_type)
    else:
        response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
