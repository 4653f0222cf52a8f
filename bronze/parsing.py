"""Inspection of uploaded claims files before they are loaded.

Every check works on a file on disk with bounded memory and raises ``BadFile`` with a
reason a person can act on. Delimited text is read through one line splitter and the
``csv`` module, so inspection, validation and record iteration agree on what a line,
a record and a blank row are.
"""

import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Literal

import python_calamine

MEBIBYTE = 1 << 20
CANDIDATE_DELIMITERS = (",", "|", "\t", ";")
SNIFF_RECORD_LIMIT = 100
MAX_FIELD_CHARS = 10 * MEBIBYTE
MAX_RECORD_BYTES = 64 * MEBIBYTE
MAX_COMPRESSION_RATIO = 100
# Small parts (styles, shared strings of a tiny sheet) legitimately compress very well.
COMPRESSION_RATIO_MIN_PART_BYTES = 10 * MEBIBYTE

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")

_READ_CHUNK_BYTES = MEBIBYTE
_COLUMN_GAP = re.compile(r"\S {2,}\S")
# Numbers, amounts and dates as claims files write them (a column name is never one of these).
_DATA_VALUE = re.compile(
    r"[-+(]?\$?\d[\d,]*(\.\d+)?\)?"
    r"|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}( \d{1,2}:\d{2}(:\d{2})?)?"
    r"|\d{1,2}-[A-Za-z]{3}-\d{2,4}( \d{1,2}:\d{2}(:\d{2})?)?"
)
_CONTROL_BYTE_PATTERN = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NON_CONTROL_BYTES = bytes(byte for byte in range(256) if not _CONTROL_BYTE_PATTERN.match(bytes([byte])))

FileType = Literal["CSV", "EXCEL", "PARQUET", "JSON", "NDJSON", "X12", "ARCHIVE", "UNKNOWN"]
SUFFIX_TYPES: dict[str, FileType] = {
    ".csv": "CSV", ".txt": "CSV", ".dat": "CSV", ".xlsx": "EXCEL", ".xls": "EXCEL", ".parquet": "PARQUET",
    ".json": "JSON", ".ndjson": "NDJSON", ".jsonl": "NDJSON", ".837": "X12", ".x12": "X12", ".edi": "X12",
    ".zip": "ARCHIVE", ".gz": "ARCHIVE",
}  # fmt: skip
SUPPORTED_SUFFIXES_TEXT = ", ".join(SUFFIX_TYPES)
Record = tuple[int, dict[str, str | None]]


class BadFile(ValueError):
    """The uploaded file cannot be loaded; the message says why, for a person."""


@dataclass(frozen=True)
class DelimitedLayout:
    encoding: str
    delimiter: str
    headers: list[str]
    quote: str = '"'


# --------------------------------------------------------------------------- file type


def detect_file_type(name: str) -> FileType:
    return SUFFIX_TYPES.get(Path(name).suffix.lower(), "UNKNOWN")


# --------------------------------------------------------------------------- delimited text


def inspect_delimited(path: Path, *, sample_bytes: int = MEBIBYTE) -> DelimitedLayout:
    """Work out encoding, delimiter and headers from the start of the file."""
    with path.open("rb") as stream:
        sample = stream.read(sample_bytes)
        reached_end = not stream.read(1)
        if not sample:
            raise BadFile("The file is empty")
        _reject_binary(sample)
        if not reached_end:
            # Keep whole lines only, which also drops a multi-byte character cut in half.
            complete_lines_end = max(sample.rfind(b"\n"), sample.rfind(b"\r")) + 1
            if complete_lines_end == 0:
                stream.seek(len(sample))
                _raise_for_first_line_without_end(stream, sample_bytes)
            sample = sample[:complete_lines_end]

    encoding = _detect_encoding(sample)
    records_by_delimiter: dict[str, list[tuple[int, list[str]]]] = {}
    for delimiter in CANDIDATE_DELIMITERS:
        try:
            records_by_delimiter[delimiter] = _sniff_records(
                sample, encoding, delimiter, sample_is_whole_file=reached_end
            )
        except BadFile:
            continue
    delimiter = _choose_delimiter(records_by_delimiter)
    records = records_by_delimiter.get(delimiter)
    if not records:
        raise BadFile("The file has no header row (it contains only blank lines)")

    header_fields = records[0][1]
    if len(header_fields) == 1:
        _refuse_fixed_width(records)
    for line_number, fields in records[1:]:
        if len(fields) != len(header_fields):
            raise _ragged_row(line_number, len(fields), len(header_fields))
    if len(records) == 1 and reached_end:
        raise BadFile("The file has a header row but no data rows")
    _refuse_headerless(header_fields)
    return DelimitedLayout(encoding=encoding, delimiter=delimiter, headers=_checked_headers(header_fields))


def validate_delimited(path: Path, layout: DelimitedLayout) -> int:
    """Read the whole file as ``layout`` says and return the number of data rows."""
    data_rows = 0
    for _ in _iter_data_fields(path, layout):
        data_rows += 1
    if not data_rows:
        raise BadFile("The file has a header row but no data rows")
    return data_rows


def iter_delimited_records(path: Path, layout: DelimitedLayout, *, batch_size: int = 5000) -> Iterator[list[Record]]:
    """Batches of ``(data_row_number, {header: value})``, blank values as None.

    Same row rules as ``validate_delimited`` and the same record shape as
    ``iter_excel_records``; data row numbers are 1-based and skip blank lines.
    """
    headers = layout.headers
    batch: list[Record] = []
    for data_row_number, (_, fields) in enumerate(_iter_data_fields(path, layout), start=1):
        values = [field if field and not field.isspace() else None for field in fields]
        batch.append((data_row_number, dict(zip(headers, values, strict=True))))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _iter_data_fields(path: Path, layout: DelimitedLayout) -> Iterator[tuple[int, list[str]]]:
    expected_field_count = len(layout.headers)
    with path.open("rb") as stream:
        records = _iter_records(_LineSource(stream, layout.encoding), layout.delimiter, layout.quote, strict=True)
        header = next(records, None)
        if header is None:
            raise BadFile("The file is empty")
        if _checked_headers(header[1]) != layout.headers:
            raise BadFile("The header row does not match the layout found when the file was inspected")
        for line_number, fields in records:
            if len(fields) != expected_field_count:
                raise _ragged_row(line_number, len(fields), expected_field_count)
            yield line_number, fields


def _reject_binary(sample: bytes) -> None:
    if sample.startswith(UTF16_BOMS):
        raise BadFile("The file is UTF-16 text; save it as UTF-8 (CSV UTF-8) and upload it again")
    nul_position = sample.find(b"\x00")
    if nul_position != -1:
        raise BadFile(f"The file is not text (binary content at byte {nul_position})")
    control_byte_count = len(sample.translate(None, _NON_CONTROL_BYTES))
    if control_byte_count > max(1, len(sample) // 100):
        first_control = _CONTROL_BYTE_PATTERN.search(sample)
        position = first_control.start() if first_control else 0
        raise BadFile(f"The file is not text (binary content at byte {position})")


def _detect_encoding(sample: bytes) -> str:
    if sample.startswith(UTF8_BOM):
        try:
            sample[len(UTF8_BOM) :].decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadFile(
                "The file starts with a UTF-8 byte-order mark but is not valid UTF-8 "
                f"(byte {error.start + len(UTF8_BOM)})"
            ) from None
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def _raise_for_first_line_without_end(stream: BinaryIO, sample_bytes: int) -> None:
    """The sample holds no line break: find out whether the file is a single line."""
    scanned = 0
    while scanned < MAX_RECORD_BYTES:
        chunk = stream.read(_READ_CHUNK_BYTES)
        if not chunk:
            raise BadFile("The file has a header row but no data rows")
        if b"\n" in chunk or b"\r" in chunk:
            break
        scanned += len(chunk)
    raise BadFile(f"The first line is longer than {sample_bytes:,} bytes, so the header row cannot be read")


def _sniff_records(
    sample: bytes, encoding: str, delimiter: str, *, sample_is_whole_file: bool
) -> list[tuple[int, list[str]]]:
    records: list[tuple[int, list[str]]] = []
    source = _LineSource(io.BytesIO(sample), encoding)
    for record in _iter_records(source, delimiter, '"', strict=False):
        records.append(record)
        if len(records) > SNIFF_RECORD_LIMIT:
            return records[:SNIFF_RECORD_LIMIT]
    if not sample_is_whole_file and len(records) > 1:
        # The sample may end inside a quoted multi-line field.
        records.pop()
    return records


def _choose_delimiter(records_by_delimiter: dict[str, list[tuple[int, list[str]]]]) -> str:
    """Prefer delimiters whose rows all match the header's field count, then more fields."""
    multi_field = {
        delimiter: records for delimiter, records in records_by_delimiter.items() if records and len(records[0][1]) > 1
    }
    if not multi_field:
        return ","

    def preference(delimiter: str) -> tuple[float, int, int]:
        records = multi_field[delimiter]
        header_width = len(records[0][1])
        matching = sum(len(fields) == header_width for _, fields in records)
        return matching / len(records), header_width, -CANDIDATE_DELIMITERS.index(delimiter)

    return max(multi_field, key=preference)


def _refuse_fixed_width(records: list[tuple[int, list[str]]]) -> None:
    """A one-column file whose lines are columns aligned by runs of spaces is fixed-width text, which would load
    as one garbage column."""
    lines = [fields[0] for _, fields in records[:SNIFF_RECORD_LIMIT]]
    aligned = [line for line in lines if _COLUMN_GAP.search(line.strip())]
    if len(aligned) * 2 > len(lines):
        raise BadFile(
            "The file looks like fixed-width text (columns aligned by spaces, no delimiter between them); "
            "save it as delimited text (comma, tab, | or ;) with a header row"
        )


def _refuse_headerless(header_fields: list[str]) -> None:
    """A first row of values (dates, amounts, numbers) means the file has no header row: its first record would
    name the columns and be lost."""
    values = [field for field in header_fields if _DATA_VALUE.fullmatch(field.strip())]
    if len(values) * 2 >= len(header_fields):
        raise BadFile(
            f"The first row holds values, not column names ({', '.join(repr(v[:20]) for v in values[:3])}): "
            "the file has no header row; add one naming each column"
        )


def _checked_headers(fields: list[str], column_name: Callable[[int], str] = str) -> list[str]:
    """Trimmed header texts; blank or repeated names are refused (columns are 1-based)."""
    headers = [field.strip().strip("\ufeff").strip() for field in fields]
    blank_columns = [column_name(position) for position, header in enumerate(headers, start=1) if not header]
    if blank_columns:
        columns = "column" if len(blank_columns) == 1 else "columns"
        raise BadFile(f"The header has blank column names ({columns} {', '.join(blank_columns)})")
    positions: dict[str, list[int]] = {}
    for position, header in enumerate(headers, start=1):
        positions.setdefault(header, []).append(position)
    duplicates = [
        f'"{header}" (columns {" and ".join(map(column_name, columns))})'
        for header, columns in positions.items()
        if len(columns) > 1
    ]
    if duplicates:
        raise BadFile(f"The header has duplicate column names: {', '.join(duplicates)}")
    return headers


def _ragged_row(line_number: int, field_count: int, header_field_count: int) -> BadFile:
    fields = "field" if field_count == 1 else "fields"
    return BadFile(f"Line {line_number} has {field_count} {fields}; the header has {header_field_count}")


def _iter_records(
    source: "_LineSource", delimiter: str, quote: str, *, strict: bool
) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with the physical line number each one starts on."""
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(source, delimiter=delimiter, quotechar=quote, strict=strict)
    while True:
        start_line = reader.line_num + 1
        source.start_record()
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _describe_csv_error(error, start_line) from None
        if not _is_blank(fields):
            yield start_line, fields


def _is_blank(fields: list[str]) -> bool:
    for field in fields:  # a plain loop: this runs once per row and most rows exit at once
        if field and not field.isspace():
            return False
    return True


def _describe_csv_error(error: csv.Error, line_number: int) -> BadFile:
    reason = str(error)
    if "field larger than field limit" in reason:
        return BadFile(
            f"Line {line_number} has a field longer than {MAX_FIELD_CHARS // MEBIBYTE} MB "
            "(perhaps a quote that is never closed)"
        )
    if "unexpected end of data" in reason:
        return BadFile(f"Line {line_number} opens a quoted field that is never closed")
    if "expected after" in reason:
        return BadFile(f"Line {line_number} has text right after a closing quote (a stray quote character?)")
    return BadFile(f"Line {line_number} is not valid delimited text ({reason})")


class _LineSource:
    """Decoded physical lines for ``csv.reader``, which treats each item as one line.

    Tracks line numbers and stops a single record from growing past MAX_RECORD_BYTES,
    so a missing closing quote cannot make the reader swallow the whole file.
    """

    def __init__(self, stream: BinaryIO, encoding: str) -> None:
        self._raw_lines = _split_lines(stream)
        self._codec = "latin-1" if encoding == "latin-1" else "utf-8"
        self._offset = 0
        self._record_start_offset = 0
        self._record_start_line = 1
        self.line_number = 0

    def start_record(self) -> None:
        self._record_start_offset = self._offset
        self._record_start_line = self.line_number + 1

    def __iter__(self) -> "_LineSource":
        return self

    def __next__(self) -> str:
        raw_line = next(self._raw_lines)
        line_offset = self._offset
        self._offset += len(raw_line)
        self.line_number += 1
        if self._offset - self._record_start_offset > MAX_RECORD_BYTES:
            raise BadFile(
                f"The record starting on line {self._record_start_line} is longer than "
                f"{MAX_RECORD_BYTES // MEBIBYTE} MB (perhaps a quote that is never closed)"
            )
        if self.line_number == 1 and self._codec == "utf-8" and raw_line.startswith(UTF8_BOM):
            raw_line = raw_line[len(UTF8_BOM) :]
            line_offset += len(UTF8_BOM)
        try:
            return raw_line.decode(self._codec)
        except UnicodeDecodeError as error:
            raise BadFile(
                f"Line {self.line_number} is not valid UTF-8 text (byte {line_offset + error.start}); "
                "save the whole file as UTF-8"
            ) from None


def _split_lines(stream: BinaryIO) -> Iterator[bytes]:
    """Physical lines with their line ends; ``\\n``, ``\\r\\n`` and a lone ``\\r`` end a line."""
    pending: list[bytes] = []
    pending_size = 0
    lines_yielded = 0
    offset = 0
    while chunk := stream.read(_READ_CHUNK_BYTES):
        nul_position = chunk.find(b"\x00")
        if nul_position != -1:
            raise BadFile(f"The file is not text (binary content at byte {offset + nul_position})")
        offset += len(chunk)
        if pending and pending[-1].endswith(b"\r"):
            # A line ending in \r was held back in case the next chunk starts with \n.
            if chunk.startswith(b"\n"):
                pending.append(b"\n")
                chunk = chunk[1:]
            yield b"".join(pending)
            lines_yielded += 1
            pending, pending_size = [], 0
            if not chunk:
                continue
        lines = chunk.splitlines(keepends=True)
        unfinished = None if lines[-1].endswith(b"\n") else lines.pop()
        if pending and lines:
            lines[0] = b"".join([*pending, lines[0]])
            pending, pending_size = [], 0
        lines_yielded += len(lines)
        yield from lines
        if unfinished is not None:
            pending.append(unfinished)
            pending_size += len(unfinished)
            if pending_size > MAX_RECORD_BYTES:
                raise BadFile(f"Line {lines_yielded + 1} is longer than {MAX_RECORD_BYTES // MEBIBYTE} MB")
    if pending:
        yield b"".join(pending)


# --------------------------------------------------------------------------- Excel


def iter_excel_records(
    path: Path, *, batch_size: int = 5000, max_uncompressed_bytes: int = 500 * MEBIBYTE
) -> Iterator[tuple[str, list[Record]]]:
    """Batches of ``(data_row_number, {header: value})`` per worksheet, values as text."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _check_xlsx_container(path, max_uncompressed_bytes)
    elif suffix == ".xls":
        _check_xls_container(path)
    else:
        raise BadFile(f"The file has the {suffix or 'no'} extension; expected .xlsx or .xls")

    try:
        workbook = python_calamine.CalamineWorkbook.from_path(path)
    except python_calamine.PasswordError:
        raise BadFile("The workbook is password-protected") from None
    except python_calamine.CalamineError as error:
        raise BadFile(f"The workbook cannot be read ({error})") from None

    found_header = False
    found_data = False
    with workbook:
        for sheet_metadata in workbook.sheets_metadata:
            if sheet_metadata.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            try:
                sheet = workbook.get_sheet_by_name(sheet_metadata.name)
            except python_calamine.CalamineError as error:
                raise BadFile(f"Sheet '{sheet_metadata.name}' cannot be read ({error})") from None
            first_column = sheet.start[1] if sheet.start else 0
            non_empty_rows = _iter_non_empty_rows(sheet)
            header_row = next(non_empty_rows, None)
            if header_row is None:
                continue
            found_header = True
            headers = _checked_sheet_headers(sheet.name, header_row[1], first_column)
            for batch in _iter_sheet_batches(sheet.name, non_empty_rows, headers, first_column, batch_size):
                found_data = True
                yield sheet.name, batch
    if not found_header:
        raise BadFile("The workbook is empty")
    if not found_data:
        raise BadFile("The workbook has header rows but no data rows")


def _iter_non_empty_rows(
    sheet: python_calamine.CalamineSheet,
) -> Iterator[tuple[int, list[str | None]]]:
    # calamine yields rows from the first worksheet row, so the index is the row number.
    for worksheet_row, cells in enumerate(sheet.iter_rows(), start=1):
        values = [_cell_text(cell) for cell in cells]
        if any(value is not None for value in values):
            yield worksheet_row, values


def _iter_sheet_batches(
    sheet_name: str,
    data_rows: Iterator[tuple[int, list[str | None]]],
    headers: list[str],
    first_column: int,
    batch_size: int,
) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for data_row_number, (worksheet_row, values) in enumerate(data_rows, start=1):
        if len(values) > len(headers) and any(value is not None for value in values[len(headers) :]):
            last_column = max(index for index, value in enumerate(values) if value is not None)
            raise BadFile(
                f"Sheet '{sheet_name}' row {worksheet_row} has a value in column "
                f"{_column_letter(first_column + last_column)}, but the header stops at column "
                f"{_column_letter(first_column + len(headers) - 1)}"
            )
        # Rows are as wide as the sheet's used range, which can be wider than the header.
        batch.append((data_row_number, dict(zip(headers, values, strict=False))))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _checked_sheet_headers(sheet_name: str, values: list[str | None], first_column: int) -> list[str]:
    cells = [value.strip() if value else "" for value in values]
    while cells and not cells[-1]:
        cells.pop()
    try:
        return _checked_headers(cells, lambda position: _column_letter(first_column + position - 1))
    except BadFile as error:
        raise BadFile(f"Sheet '{sheet_name}': {error}") from None


def _check_xlsx_container(path: Path, max_uncompressed_bytes: int) -> None:
    with path.open("rb") as stream:
        magic = stream.read(len(OLE2_MAGIC))
    if magic == OLE2_MAGIC:
        raise BadFile(
            "The file has the .xlsx extension but is an encrypted (password-protected) or old-format .xls workbook"
        )
    if not magic.startswith(ZIP_MAGIC):
        raise BadFile("The file has the .xlsx extension but is not an Excel workbook")
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise BadFile(f"The .xlsx file is damaged ({error})") from None
    if not any(part.filename == "xl/workbook.xml" for part in parts):
        raise BadFile("The file has the .xlsx extension but is not an Excel workbook")
    if sum(part.file_size for part in parts) > max_uncompressed_bytes:
        raise BadFile(
            f"The workbook expands to more than {_size_text(max_uncompressed_bytes)}; refusing (possible zip bomb)"
        )
    for part in parts:
        if part.file_size > COMPRESSION_RATIO_MIN_PART_BYTES and part.file_size > MAX_COMPRESSION_RATIO * max(
            part.compress_size, 1
        ):
            raise BadFile(
                f"The workbook part {part.filename} is compressed more than "
                f"{MAX_COMPRESSION_RATIO}:1; refusing (possible zip bomb)"
            )


def _check_xls_container(path: Path) -> None:
    with path.open("rb") as stream:
        magic = stream.read(len(OLE2_MAGIC))
    if magic != OLE2_MAGIC:
        raise BadFile("The file has the .xls extension but is not an Excel workbook")


def _cell_text(value: object) -> str | None:
    if isinstance(value, str):
        return value if value and not value.isspace() else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dt.datetime):
        return (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        as_datetime = dt.datetime.combine(dt.date(2000, 1, 1), value)
        rounded = as_datetime + dt.timedelta(microseconds=500_000)
        return rounded.time().replace(microsecond=0).isoformat()
    if isinstance(value, dt.timedelta):
        return _duration_text(value)
    return str(value)


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    # Excel shows 15 significant digits; beyond that is binary floating-point noise.
    text = f"{value:.15g}"
    if "e" in text:
        text = format(Decimal(text), "f")
    return text


def _duration_text(value: dt.timedelta) -> str:
    total_seconds = round(value.total_seconds())
    sign = "-" if total_seconds < 0 else ""
    hours, remainder = divmod(abs(total_seconds), 3600)
    minutes, seconds = divmod(remainder, 60)
    return f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}"


def _size_text(byte_count: int) -> str:
    if byte_count >= MEBIBYTE:
        return f"{byte_count / MEBIBYTE:g} MB"
    return f"{byte_count:,} bytes"


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
