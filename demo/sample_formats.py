"""Sample files in the other intake formats, from the same generated rows as the CSV samples: Parquet, JSON,
NDJSON and fixed-width text (with the layout to store for the TPA and a control trailer), and X12 837
professional and institutional interchanges."""

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from demo.samples import TpaLayout, generate_rows, typed_records

PARQUET_BATCH_ROWS = 10_000
RECORD_TYPE_FIELD = "RECORD_TYPE"
_X12_RESERVED = re.compile(r"[*~:^]")


def write_parquet(path: Path, layout: TpaLayout, kind: str, rows: int, *, seed: int = 0) -> Path:
    """Every value as text, as the TPA writes it (the same rows as the CSV sample)."""
    writer: pq.ParquetWriter | None = None
    try:
        for batch in _batches(generate_rows(layout, kind, rows, seed=seed), PARQUET_BATCH_ROWS):
            table = pa.Table.from_pylist(batch)
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return path


def write_json(path: Path, layout: TpaLayout, kind: str, rows: int, *, seed: int = 0, lines: bool = False) -> Path:
    """A JSON array of records, or NDJSON (one record per line) with ``lines``."""
    with path.open("w", encoding="utf-8") as stream:
        if not lines:
            stream.write("[\n")
        for number, row in enumerate(generate_rows(layout, kind, rows, seed=seed)):
            separator = "\n" if lines else (",\n" if number else "")
            stream.write(("" if lines else separator) + json.dumps(row) + (separator if lines else ""))
        if not lines:
            stream.write("\n]\n")
    return path


def write_fixed_width(
    path: Path, layout: TpaLayout, kind: str, rows: int, *, seed: int = 0, paid_header: str | None = None
) -> dict[str, Any]:
    """Fixed-width text with a record-type column (D data, T trailer); returns the layout to store for the TPA
    (fields, and the trailer as control record with the row count and, given ``paid_header``, the paid total)."""
    widths: dict[str, int] = {}
    paid_total = 0.0
    for row in generate_rows(layout, kind, rows, seed=seed):
        for header, value in row.items():
            widths[header] = max(widths.get(header, len(header)), len(value or ""))
        if paid_header and row.get(paid_header):
            paid_total += float(row[paid_header].replace("$", "").replace(",", ""))
    headers = list(widths)
    widths[headers[0]] = max(widths[headers[0]], len(str(rows)))
    fields, start = [{"name": RECORD_TYPE_FIELD, "start": 1, "length": 1}], 2
    for header in headers:
        fields.append({"name": header, "start": start, "length": widths[header]})
        start += widths[header]
    with path.open("w", encoding="utf-8", newline="") as stream:
        for row in generate_rows(layout, kind, rows, seed=seed):
            stream.write("D" + "".join((row[h] or "").ljust(widths[h]) for h in headers) + "\r\n")
        trailer = {headers[0]: str(rows), **({paid_header: f"{paid_total:.2f}"} if paid_header else {})}
        stream.write("T" + "".join(trailer.get(h, "").ljust(widths[h]) for h in headers) + "\r\n")
    control = {"field": RECORD_TYPE_FIELD, "value": "T", "count_field": headers[0], "paid_field": paid_header}
    return {"layout_name": f"{kind.lower()} fixed width", "file_pattern": f"*{path.suffix}", "format": "FIXED_WIDTH",
            "fields": fields, "control": control}  # fmt: skip


def write_837(
    path: Path, layout: TpaLayout, rows: int, *, seed: int = 0, institutional: bool = False, adjust: int = 0
) -> Path:
    """One interchange of ``rows`` claims, valid against the 5010 implementation guide. With ``adjust`` the file
    instead re-sends the first ``adjust`` of those claims as frequency-7 replacements, each charging $10 more."""
    version = "005010X223A2" if institutional else "005010X222A1"
    claims = list(typed_records(layout, "MEDICAL", rows, seed=seed))
    if adjust:
        claims = [{**claim, "BILLED_AMOUNT": int(claim["BILLED_AMOUNT"]) + 1000, "FREQUENCY": "7"}  # type: ignore[call-overload]
                  for claim in claims[:adjust]]  # fmt: skip
    body: list[str] = [
        f"ST*837*0001*{version}",
        f"BHT*0019*00*{path.stem[:30].upper()}*{layout_date(dt.date(2026, 6, 30))}*1200*CH",
        "NM1*41*2*MEDALLION DEMO SUBMITTER*****46*SUBMIT01",
        "PER*IC*CLAIMS DESK*TE*5555550100",
        "NM1*40*2*DEMO HEALTH PLAN*****46*PLAN01",
    ]
    for number, claim in enumerate(claims):
        body += _claim_segments(claim, 2 * number + 1, institutional)
    body.append(f"SE*{len(body) + 1}*0001")
    stamp = "260630*1200"
    envelope = [
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{'MEDALLION':15}*ZZ*{layout.tpa_code[:15]:15}*{stamp}*^*00501*000000001*0*T*:",
        f"GS*HC*MEDALLION*{layout.tpa_code[:15]}*20260630*1200*1*X*{version}",
        *body,
        "GE*1*1",
        "IEA*1*000000001",
    ]
    path.write_text("~\n".join(envelope) + "~\n", encoding="ascii")
    return path


def _claim_segments(claim: dict[str, Any], provider_hl: int, institutional: bool) -> list[str]:
    service_date = claim["SERVICE_DATE"]
    billed = f"{int(claim['BILLED_AMOUNT']) / 100:.2f}"
    diagnosis = str(claim["DIAGNOSIS_CODE"] or "R69").replace(".", "")
    procedure = _x12_text(str(claim["PROCEDURE_CODE"] or "99213"))
    frequency = claim.get("FREQUENCY", "1")
    segments = [
        f"HL*{provider_hl}**20*1",
        f"NM1*85*2*{_x12_text(str(claim['PROVIDER_NAME']))[:60]}*****XX*{claim['PROVIDER_ID']}",
        "N3*100 MAIN ST",
        "N4*SPRINGFIELD*IL*627011234",
        "REF*EI*123456789",
        f"HL*{provider_hl + 1}*{provider_hl}*22*0",
        "SBR*P*18*GRP001******CI",
        f"NM1*IL*1*MEMBER*DEMO****MI*{claim['MEMBER_ID']}",
        "NM1*PR*2*DEMO HEALTH PLAN*****PI*PAYER01",
    ]
    if institutional:
        segments += [
            f"CLM*{claim['CLAIM_ID']}*{billed}***13:A:{frequency}**A*Y*Y",
            f"DTP*434*RD8*{layout_date(service_date)}-{layout_date(service_date)}",
            "CL1*1*7*01",
            f"HI*ABK:{diagnosis}",
            "NM1*71*1*ATTENDING*DEMO****XX*1234567893",
            "LX*1",
            f"SV2*0450*HC:{procedure}*{billed}*UN*1",
        ]
    else:
        segments += [
            f"CLM*{claim['CLAIM_ID']}*{billed}***11:B:{frequency}*Y*A*Y*Y",
            f"HI*ABK:{diagnosis}",
            "LX*1",
            f"SV1*HC:{procedure}*{billed}*UN*1***1",
        ]
    return [*segments, f"DTP*472*D8*{layout_date(service_date)}"]


def layout_date(day: dt.date) -> str:
    return f"{day:%Y%m%d}"


def _x12_text(value: str) -> str:
    """Upper-case ASCII without the interchange's separators."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return _X12_RESERVED.sub(" ", plain).upper()


def _batches(rows: Iterator[dict[str, str]], size: int) -> Iterator[list[dict[str, str]]]:
    batch: list[dict[str, str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
