"""Intake formats beyond delimited text and Excel: fixed-width text read through a TPA layout, archives
(.zip, .gz) unpacked member by member with zip-bomb limits, and readable reasons for Parquet and JSON files
the warehouse refused. Like parsing.py, everything works on files on disk with bounded memory and raises
``BadFile`` with a reason a person can act on."""

import gzip
import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from bronze.layouts import FixedField
from bronze.parsing import COMPRESSION_RATIO_MIN_PART_BYTES, MAX_COMPRESSION_RATIO, MEBIBYTE, BadFile, Record

MAX_ARCHIVE_MEMBERS = 100
MAX_UNPACKED_BYTES = 1024 * MEBIBYTE
MAX_VALIDATED_JSON_BYTES = 64 * MEBIBYTE
_COPY_CHUNK_BYTES = MEBIBYTE
ARCHIVE_SUFFIXES = (".zip", ".gz")


@dataclass(frozen=True)
class Member:
    """One unpacked file of an archive: its name in the queue, where it lies, its size and SHA-256."""

    name: str
    path: Path
    size: int
    sha256: str


# --------------------------------------------------------------------------- fixed width


def iter_fixed_width_records(
    path: Path, fields: tuple[FixedField, ...], *, batch_size: int = 5000
) -> Iterator[list[Record]]:
    """Batches of ``(data_row_number, {field: value})``; values trimmed, blank as None, blank lines skipped."""
    encoding = _text_encoding(path)
    batch: list[Record] = []
    number = 0
    with path.open(encoding=encoding, newline="") as stream:
        for line_number, line in enumerate(stream, start=1):
            text = line.rstrip("\r\n")
            if "\x00" in text:
                raise BadFile(f"Line {line_number} is not text (binary content)")
            if not text.strip():
                continue
            number += 1
            batch.append((number, {f.name: text[f.start - 1 : f.start - 1 + f.length].strip() or None for f in fields}))
            if len(batch) >= batch_size:
                yield batch
                batch = []
    if batch:
        yield batch
    if not number:
        raise BadFile("The file has no records")


def _text_encoding(path: Path) -> str:
    with path.open("rb") as stream:
        sample = stream.read(MEBIBYTE)
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        if error.start < len(sample) - 3:
            return "latin-1"
    return "utf-8-sig" if sample.startswith(b"\xef\xbb\xbf") else "utf-8"


# --------------------------------------------------------------------------- archives


def unpack(path: Path, archive_name: str, target: Path) -> list[Member]:
    """The files in a .zip (each member) or .gz (one file), written under `target`, named
    ``<archive stem>__<member name>`` so members of different archives never collide."""
    stem = archive_name.rsplit(".", 1)[0]
    if archive_name.lower().endswith(".gz"):
        return [_gunzip(path, stem, target)]
    return _unzip(path, stem, target)


def _gunzip(path: Path, stem: str, target: Path) -> Member:
    name = _member_name(stem.rsplit("/", 1)[-1], "")
    try:
        with gzip.open(path, "rb") as source:
            return _copy_limited(source, target / name, name, path.stat().st_size)
    except (OSError, EOFError) as error:
        raise BadFile(f"The .gz file is damaged ({error})") from None


def _unzip(path: Path, stem: str, target: Path) -> list[Member]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise BadFile(f"The .zip file is damaged ({error})") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir() and not _is_hidden(info.filename)]
        if not members:
            raise BadFile("The .zip file holds no files")
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise BadFile(f"The .zip file holds {len(members)} files; at most {MAX_ARCHIVE_MEMBERS} are accepted")
        if sum(info.file_size for info in members) > MAX_UNPACKED_BYTES:
            raise BadFile(f"The .zip file expands to more than {MAX_UNPACKED_BYTES // MEBIBYTE} MB; refusing")
        unpacked: list[Member] = []
        for info in members:
            if info.flag_bits & 0x1:
                raise BadFile(f"{info.filename} in the .zip file is encrypted")
            if info.filename.lower().endswith(ARCHIVE_SUFFIXES):
                raise BadFile(f"{info.filename} is an archive inside the archive; unpack it first")
            name = _member_name(stem, info.filename.rsplit("/", 1)[-1])
            if any(member.name == name for member in unpacked):
                raise BadFile(f"The .zip file holds two files named {info.filename.rsplit('/', 1)[-1]}")
            try:
                with archive.open(info) as source:
                    unpacked.append(_copy_limited(source, target / name, name, info.compress_size))
            except (zipfile.BadZipFile, OSError, EOFError) as error:
                raise BadFile(f"{info.filename} in the .zip file is damaged ({error})") from None
        return unpacked


def _copy_limited(source: object, destination: Path, name: str, compressed_size: int) -> Member:
    """Copy while counting: the sizes an archive declares can lie, the bytes written cannot."""
    digest, written = hashlib.sha256(), 0
    with destination.open("wb") as out:
        while chunk := source.read(_COPY_CHUNK_BYTES):  # type: ignore[attr-defined]
            written += len(chunk)
            if written > MAX_UNPACKED_BYTES:
                raise BadFile(f"{name} expands to more than {MAX_UNPACKED_BYTES // MEBIBYTE} MB; refusing")
            if written > COMPRESSION_RATIO_MIN_PART_BYTES and written > MAX_COMPRESSION_RATIO * max(compressed_size, 1):
                raise BadFile(f"{name} is compressed more than {MAX_COMPRESSION_RATIO}:1; refusing (possible zip bomb)")
            digest.update(chunk)
            out.write(chunk)
    if not written:
        raise BadFile(f"{name} in the archive is empty")
    return Member(name, destination, written, digest.hexdigest())


def _member_name(stem: str, member: str) -> str:
    return f"{stem}__{member}" if member else stem


def _is_hidden(name: str) -> bool:
    return name.startswith("__MACOSX/") or name.rsplit("/", 1)[-1].startswith(".")


# --------------------------------------------------------------------------- documents


def explain_document_error(path: Path, document_format: str) -> None:
    """Raise BadFile naming what is wrong with a Parquet, JSON or NDJSON file the warehouse refused."""
    if document_format == "PARQUET":
        try:
            pq.ParquetFile(path).schema_arrow  # noqa: B018 - reading the footer is the check
        except Exception as error:
            raise BadFile(f"The file is not valid Parquet ({error})") from None
        return
    if path.stat().st_size > MAX_VALIDATED_JSON_BYTES:
        return
    text = path.read_text(encoding="utf-8", errors="replace")
    if document_format == "JSON":
        _check_json_records(text, first_line=1)
        return
    for line_number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            _check_json_records(line, first_line=line_number, single=True)


def _check_json_records(text: str, *, first_line: int, single: bool = False) -> None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadFile(f"Line {first_line + error.lineno - 1} is not valid JSON ({error.msg})") from None
    records = [value] if single else value
    if not isinstance(records, list):
        raise BadFile("The file must hold a JSON array of records (or use .ndjson with one record per line)")
    for number, record in enumerate(records, start=first_line if single else 1):
        if not isinstance(record, dict):
            where = f"Line {number}" if single else f"Record {number}"
            raise BadFile(f"{where} is not a JSON object")
