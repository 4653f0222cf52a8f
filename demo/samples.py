"""Realistic sample claims files, one header style per demo TPA.

Values are generated as typed records keyed by target column (dates as ``date``,
money as integer cents) and only then rendered the way each TPA writes them, so a
CSV and an XLSX file of the same TPA carry the same data. Everything is deterministic
for a seed and relative to ``ANCHOR_DATE``, never to today.

Consistency: claims of a TPA use member numbers ``1..members`` and fall inside that
member's coverage, which depends only on (seed, TPA, member number); an eligibility
file of the same TPA and seed with at least ``members`` rows therefore covers every
claim. Providers, dentists, pharmacies and prescribers come from small per-TPA pools,
so per-provider totals are meaningful.
"""

import csv
import datetime as dt
import re
import unicodedata
import zlib
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from random import Random
from typing import Literal

import xlsxwriter

ANCHOR_DATE = dt.date(2026, 6, 30)
SERVICE_WINDOW_DAYS = 730
PLAN_YEAR_END = dt.date(2026, 12, 31)

CLAIM_KINDS = ("MEDICAL", "DENTAL", "PHARMACY", "ELIGIBILITY")
TARGET_TABLES = {
    "MEDICAL": "MEDICAL_CLAIMS",
    "DENTAL": "DENTAL_CLAIMS",
    "PHARMACY": "PHARMACY_CLAIMS",
    "ELIGIBILITY": "MEMBER_ELIGIBILITY",
}
# Mirrors /work/shared/spec/target_schemas.csv (a test keeps them in step).
TARGET_COLUMNS: dict[str, tuple[str, ...]] = {
    "MEDICAL": (
        "CLAIM_ID", "MEMBER_ID", "PROVIDER_ID", "PROVIDER_NAME", "SERVICE_DATE", "DIAGNOSIS_CODE",
        "PROCEDURE_CODE", "BILLED_AMOUNT", "ALLOWED_AMOUNT", "PAID_AMOUNT", "MEMBER_RESPONSIBILITY",
        "CLAIM_STATUS", "PROCESSED_DATE", "CREATED_AT",
    ),
    "DENTAL": (
        "CLAIM_ID", "MEMBER_ID", "DENTIST_ID", "DENTIST_NAME", "SERVICE_DATE", "TOOTH_NUMBER",
        "PROCEDURE_CODE", "SURFACE", "BILLED_AMOUNT", "ALLOWED_AMOUNT", "PAID_AMOUNT",
        "MEMBER_RESPONSIBILITY", "CLAIM_STATUS", "CREATED_AT",
    ),
    "PHARMACY": (
        "CLAIM_ID", "MEMBER_ID", "PHARMACY_ID", "PHARMACY_NAME", "FILL_DATE", "NDC_CODE", "DRUG_NAME",
        "QUANTITY", "DAYS_SUPPLY", "PRESCRIBER_ID", "BILLED_AMOUNT", "ALLOWED_AMOUNT", "PAID_AMOUNT",
        "MEMBER_COPAY", "CLAIM_STATUS", "CREATED_AT",
    ),
    "ELIGIBILITY": (
        "MEMBER_ID", "FIRST_NAME", "LAST_NAME", "DATE_OF_BIRTH", "GENDER", "ADDRESS_LINE1",
        "ADDRESS_LINE2", "CITY", "STATE", "ZIP_CODE", "PHONE", "EMAIL", "PLAN_ID", "PLAN_NAME",
        "EFFECTIVE_DATE", "TERMINATION_DATE", "STATUS", "CREATED_AT",
    ),
}  # fmt: skip
# Set by the warehouse when a row is loaded; TPAs never send it.
SYSTEM_COLUMNS = frozenset({"CREATED_AT"})

_ValueKind = Literal["TEXT", "DATE", "TIMESTAMP", "MONEY", "QUANTITY", "COUNT"]
# Typed cell: str, date, datetime, int (cents for MONEY, hundredths for QUANTITY) or None.
_TypedValue = str | dt.date | dt.datetime | int | None

_MONEY_COLUMNS = frozenset({"BILLED_AMOUNT", "ALLOWED_AMOUNT", "PAID_AMOUNT", "MEMBER_RESPONSIBILITY", "MEMBER_COPAY"})
_DATE_COLUMNS = frozenset({"SERVICE_DATE", "FILL_DATE", "DATE_OF_BIRTH", "EFFECTIVE_DATE", "TERMINATION_DATE"})
_TIMESTAMP_COLUMNS = frozenset({"PROCESSED_DATE", "CREATED_AT"})


def _value_kind(column: str) -> _ValueKind:
    if column in _MONEY_COLUMNS:
        return "MONEY"
    if column in _DATE_COLUMNS:
        return "DATE"
    if column in _TIMESTAMP_COLUMNS:
        return "TIMESTAMP"
    if column == "QUANTITY":
        return "QUANTITY"
    if column == "DAYS_SUPPLY":
        return "COUNT"
    return "TEXT"


@dataclass(frozen=True)
class TpaLayout:
    tpa_code: str
    name: str
    headers: dict[str, dict[str, str]]
    date_format: str
    delimiter: str = ","
    amount_prefix: str = ""
    member_id_format: str = "M{:06d}"
    spreadsheet_kinds: tuple[str, ...] = field(default=())

    @property
    def timestamp_format(self) -> str:
        return f"{self.date_format} %H:%M:%S"

    def member_id(self, member_number: int) -> str:
        return self.member_id_format.format(member_number)


DEMO_LAYOUTS: tuple[TpaLayout, ...] = (
    TpaLayout(
        tpa_code="PROVIDER_A",
        name="Provider A Health Administrators",
        date_format="%Y-%m-%d",
        headers={
            "MEDICAL": {
                "CLAIM_ID": "claim_id", "MEMBER_ID": "member_id", "PROVIDER_ID": "provider_npi",
                "PROVIDER_NAME": "provider_name", "SERVICE_DATE": "date_of_service",
                "DIAGNOSIS_CODE": "diagnosis_code", "PROCEDURE_CODE": "procedure_code",
                "BILLED_AMOUNT": "billed_amount", "ALLOWED_AMOUNT": "allowed_amount",
                "PAID_AMOUNT": "paid_amount", "MEMBER_RESPONSIBILITY": "member_responsibility",
                "CLAIM_STATUS": "claim_status", "PROCESSED_DATE": "processed_date",
            },
            "DENTAL": {
                "CLAIM_ID": "claim_id", "MEMBER_ID": "member_id", "DENTIST_ID": "dentist_npi",
                "DENTIST_NAME": "dentist_name", "SERVICE_DATE": "date_of_service",
                "TOOTH_NUMBER": "tooth_number", "PROCEDURE_CODE": "procedure_code", "SURFACE": "tooth_surface",
                "BILLED_AMOUNT": "billed_amount", "ALLOWED_AMOUNT": "allowed_amount",
                "PAID_AMOUNT": "paid_amount", "MEMBER_RESPONSIBILITY": "member_responsibility",
                "CLAIM_STATUS": "claim_status",
            },
            "PHARMACY": {
                "CLAIM_ID": "claim_id", "MEMBER_ID": "member_id", "PHARMACY_ID": "pharmacy_npi",
                "PHARMACY_NAME": "pharmacy_name", "FILL_DATE": "fill_date", "NDC_CODE": "ndc",
                "DRUG_NAME": "drug_name", "QUANTITY": "quantity", "DAYS_SUPPLY": "days_supply",
                "PRESCRIBER_ID": "prescriber_npi", "BILLED_AMOUNT": "billed_amount",
                "ALLOWED_AMOUNT": "allowed_amount", "PAID_AMOUNT": "paid_amount",
                "MEMBER_COPAY": "copay_amount", "CLAIM_STATUS": "claim_status",
            },
            "ELIGIBILITY": {
                "MEMBER_ID": "member_id", "FIRST_NAME": "first_name", "LAST_NAME": "last_name",
                "DATE_OF_BIRTH": "date_of_birth", "GENDER": "gender", "ADDRESS_LINE1": "address_line_1",
                "ADDRESS_LINE2": "address_line_2", "CITY": "city", "STATE": "state", "ZIP_CODE": "zip_code",
                "PHONE": "phone_number", "EMAIL": "email", "PLAN_ID": "plan_id", "PLAN_NAME": "plan_name",
                "EFFECTIVE_DATE": "effective_date", "TERMINATION_DATE": "termination_date",
                "STATUS": "eligibility_status",
            },
        },
    ),
    TpaLayout(
        tpa_code="BLUE_CROSS",
        name="Blue Cross Plan Services",
        date_format="%m/%d/%Y",
        amount_prefix="$",
        member_id_format="BCM{:09d}",
        headers={
            "MEDICAL": {
                "CLAIM_ID": "Claim Number", "MEMBER_ID": "Member ID", "PROVIDER_ID": "Rendering NPI",
                "PROVIDER_NAME": "Rendering Provider", "SERVICE_DATE": "DOS", "DIAGNOSIS_CODE": "Primary Dx",
                "PROCEDURE_CODE": "CPT/HCPCS", "BILLED_AMOUNT": "Billed Amt", "ALLOWED_AMOUNT": "Allowed Amt",
                "PAID_AMOUNT": "Paid Amt", "MEMBER_RESPONSIBILITY": "Member Resp", "CLAIM_STATUS": "Claim Status",
                "PROCESSED_DATE": "Processed Date",
            },
            "DENTAL": {
                "CLAIM_ID": "Claim Number", "MEMBER_ID": "Member ID", "DENTIST_ID": "Dentist NPI",
                "DENTIST_NAME": "Dentist Name", "SERVICE_DATE": "DOS", "TOOTH_NUMBER": "Tooth #",
                "PROCEDURE_CODE": "CDT Code", "SURFACE": "Surface", "BILLED_AMOUNT": "Billed Amt",
                "ALLOWED_AMOUNT": "Allowed Amt", "PAID_AMOUNT": "Paid Amt", "MEMBER_RESPONSIBILITY": "Member Resp",
                "CLAIM_STATUS": "Claim Status",
            },
            "PHARMACY": {
                "CLAIM_ID": "Claim Number", "MEMBER_ID": "Member ID", "PHARMACY_ID": "Pharmacy NPI",
                "PHARMACY_NAME": "Pharmacy Name", "FILL_DATE": "Fill Date", "NDC_CODE": "NDC",
                "DRUG_NAME": "Drug Name", "QUANTITY": "Qty", "DAYS_SUPPLY": "Days Supply",
                "PRESCRIBER_ID": "Prescriber NPI", "BILLED_AMOUNT": "Billed Amt", "ALLOWED_AMOUNT": "Allowed Amt",
                "PAID_AMOUNT": "Paid Amt", "MEMBER_COPAY": "Copay", "CLAIM_STATUS": "Claim Status",
            },
            "ELIGIBILITY": {
                "MEMBER_ID": "Member ID", "FIRST_NAME": "First Name", "LAST_NAME": "Last Name",
                "DATE_OF_BIRTH": "DOB", "GENDER": "Gender", "ADDRESS_LINE1": "Address 1",
                "ADDRESS_LINE2": "Address 2", "CITY": "City", "STATE": "State", "ZIP_CODE": "ZIP",
                "PHONE": "Phone", "EMAIL": "Email", "PLAN_ID": "Plan Code", "PLAN_NAME": "Plan Name",
                "EFFECTIVE_DATE": "Eff Date", "TERMINATION_DATE": "Term Date", "STATUS": "Status",
            },
        },
    ),
    TpaLayout(
        tpa_code="CAREFIRST",
        name="CareFirst Administrators",
        date_format="%d-%b-%Y",
        member_id_format="CF{:07d}",
        spreadsheet_kinds=("MEDICAL",),
        headers={
            "MEDICAL": {
                "CLAIM_ID": "ClaimID", "MEMBER_ID": "MbrNum", "PROVIDER_ID": "ProvNPI", "PROVIDER_NAME": "ProvName",
                "SERVICE_DATE": "SvcDate", "DIAGNOSIS_CODE": "DxCode1", "PROCEDURE_CODE": "ProcCode",
                "BILLED_AMOUNT": "BilledAmt", "ALLOWED_AMOUNT": "AllowedAmt", "PAID_AMOUNT": "PaidAmt",
                "MEMBER_RESPONSIBILITY": "MbrRespAmt", "CLAIM_STATUS": "ClaimStatus",
                "PROCESSED_DATE": "ProcessedDt",
            },
            "DENTAL": {
                "CLAIM_ID": "ClaimID", "MEMBER_ID": "MbrNum", "DENTIST_ID": "DentistNPI",
                "DENTIST_NAME": "DentistName", "SERVICE_DATE": "SvcDate", "TOOTH_NUMBER": "ToothNum",
                "PROCEDURE_CODE": "ProcCode", "SURFACE": "ToothSurface", "BILLED_AMOUNT": "BilledAmt",
                "ALLOWED_AMOUNT": "AllowedAmt", "PAID_AMOUNT": "PaidAmt", "MEMBER_RESPONSIBILITY": "MbrRespAmt",
                "CLAIM_STATUS": "ClaimStatus",
            },
            "PHARMACY": {
                "CLAIM_ID": "RxClaimID", "MEMBER_ID": "MbrNum", "PHARMACY_ID": "PharmacyNPI",
                "PHARMACY_NAME": "PharmacyName", "FILL_DATE": "FillDate", "NDC_CODE": "NDC11",
                "DRUG_NAME": "DrugName", "QUANTITY": "QtyDispensed", "DAYS_SUPPLY": "DaysSupply",
                "PRESCRIBER_ID": "PrescriberNPI", "BILLED_AMOUNT": "BilledAmt", "ALLOWED_AMOUNT": "AllowedAmt",
                "PAID_AMOUNT": "PaidAmt", "MEMBER_COPAY": "CopayAmt", "CLAIM_STATUS": "ClaimStatus",
            },
            "ELIGIBILITY": {
                "MEMBER_ID": "MbrNum", "FIRST_NAME": "FirstName", "LAST_NAME": "LastName",
                "DATE_OF_BIRTH": "BirthDate", "GENDER": "Gender", "ADDRESS_LINE1": "Addr1", "ADDRESS_LINE2": "Addr2",
                "CITY": "City", "STATE": "State", "ZIP_CODE": "ZipCode", "PHONE": "PhoneNum", "EMAIL": "EmailAddr",
                "PLAN_ID": "PlanID", "PLAN_NAME": "PlanName", "EFFECTIVE_DATE": "EffDate",
                "TERMINATION_DATE": "TermDate", "STATUS": "EligStatus",
            },
        },
    ),
    TpaLayout(
        tpa_code="MERIDIAN",
        name="Meridian Benefit Services",
        date_format="%Y%m%d",
        delimiter="|",
        member_id_format="{:09d}",
        headers={
            "MEDICAL": {
                "CLAIM_ID": "CLM_NO", "MEMBER_ID": "MBR_ID", "PROVIDER_ID": "PRV_NPI", "PROVIDER_NAME": "PRV_NM",
                "SERVICE_DATE": "SVC_DT", "DIAGNOSIS_CODE": "DX_CD", "PROCEDURE_CODE": "PROC_CD",
                "BILLED_AMOUNT": "BILL_AMT", "ALLOWED_AMOUNT": "ALLOW_AMT", "PAID_AMOUNT": "PAID_AMT",
                "MEMBER_RESPONSIBILITY": "MBR_RESP_AMT", "CLAIM_STATUS": "CLM_STAT", "PROCESSED_DATE": "PROC_DT",
            },
            "DENTAL": {
                "CLAIM_ID": "CLM_NO", "MEMBER_ID": "MBR_ID", "DENTIST_ID": "DDS_NPI", "DENTIST_NAME": "DDS_NM",
                "SERVICE_DATE": "SVC_DT", "TOOTH_NUMBER": "TOOTH_NO", "PROCEDURE_CODE": "CDT_CD",
                "SURFACE": "SURF_CD", "BILLED_AMOUNT": "BILL_AMT", "ALLOWED_AMOUNT": "ALLOW_AMT",
                "PAID_AMOUNT": "PAID_AMT", "MEMBER_RESPONSIBILITY": "MBR_RESP_AMT", "CLAIM_STATUS": "CLM_STAT",
            },
            "PHARMACY": {
                "CLAIM_ID": "RX_CLM_NO", "MEMBER_ID": "MBR_ID", "PHARMACY_ID": "PHCY_NPI",
                "PHARMACY_NAME": "PHCY_NM", "FILL_DATE": "FILL_DT", "NDC_CODE": "NDC_CD", "DRUG_NAME": "DRUG_NM",
                "QUANTITY": "QTY", "DAYS_SUPPLY": "DAYS_SUPPLY", "PRESCRIBER_ID": "PRSCR_NPI",
                "BILLED_AMOUNT": "BILL_AMT", "ALLOWED_AMOUNT": "ALLOW_AMT", "PAID_AMOUNT": "PAID_AMT",
                "MEMBER_COPAY": "COPAY_AMT", "CLAIM_STATUS": "CLM_STAT",
            },
            # No EMAIL column: this TPA does not collect it.
            "ELIGIBILITY": {
                "MEMBER_ID": "MBR_ID", "FIRST_NAME": "MBR_FIRST_NM", "LAST_NAME": "MBR_LAST_NM",
                "DATE_OF_BIRTH": "MBR_DOB", "GENDER": "MBR_GNDR", "ADDRESS_LINE1": "ADDR_LN1",
                "ADDRESS_LINE2": "ADDR_LN2", "CITY": "CITY", "STATE": "ST", "ZIP_CODE": "ZIP_CD",
                "PHONE": "PHONE_NO", "PLAN_ID": "PLAN_ID", "PLAN_NAME": "PLAN_NM", "EFFECTIVE_DATE": "EFF_DT",
                "TERMINATION_DATE": "TERM_DT", "STATUS": "ELIG_STAT",
            },
        },
    ),
)  # fmt: skip


# --------------------------------------------------------------------------- public API


def default_member_count(claim_rows: int) -> int:
    """Members a claims file of ``claim_rows`` rows draws from when none is given."""
    return max(20, claim_rows // 4)


def generate_rows(
    layout: TpaLayout, kind: str, rows: int, *, seed: int = 0, members: int | None = None
) -> Iterator[dict[str, str]]:
    """Rows keyed by the TPA's header text, rendered the way that TPA writes them.

    For ELIGIBILITY row ``n`` is member ``n`` and ``members`` is not used; for claims,
    members are drawn from ``1..members`` (default ``default_member_count(rows)``).
    """
    columns = _layout_columns(layout, kind)
    formats = _TextFormats(layout)
    for record in _typed_records(layout, kind, rows, seed=seed, members=members):
        yield {header: formats.cell(target, record[target]) for target, header in columns}


def typed_records(layout: TpaLayout, kind: str, rows: int, *, seed: int = 0) -> Iterator[dict[str, object]]:
    """The rows of ``generate_rows`` keyed by target column with typed values (dates, money in cents)."""
    return _typed_records(layout, kind, rows, seed=seed)


def write_csv(path: Path, layout: TpaLayout, kind: str, rows: int, *, seed: int = 0) -> Path:
    """Delimited text in the TPA's delimiter (minimal RFC 4180 quoting, CRLF), streamed.

    Holds the same rows as ``generate_rows`` with ``members`` left at its default.
    """
    columns = _layout_columns(layout, kind)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter=layout.delimiter)
        writer.writerow([header for _, header in columns])
        targets = [target for target, _ in columns]
        if kind != "ELIGIBILITY" and _claim_lines_can_write(layout, kind, targets):
            stream.writelines(_claim_lines(layout, kind, rows, seed, targets))
        else:
            formats = _TextFormats(layout)
            writer.writerows(
                [formats.cell(target, record[target]) for target in targets]
                for record in _typed_records(layout, kind, rows, seed=seed)
            )
    return path


def write_xlsx(path: Path, layout: TpaLayout, kind: str, rows: int, *, seed: int = 0) -> Path:
    """One worksheet with real date and number cells, written in constant-memory mode."""
    columns = _layout_columns(layout, kind)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        sheet = workbook.add_worksheet("Members" if kind == "ELIGIBILITY" else f"{kind.title()} Claims")
        bold = workbook.add_format({"bold": True})
        cell_formats = {
            "DATE": workbook.add_format({"num_format": _excel_date_format(layout.date_format)}),
            "TIMESTAMP": workbook.add_format({"num_format": _excel_date_format(layout.timestamp_format)}),
            "MONEY": workbook.add_format({"num_format": '"$"#,##0.00' if layout.amount_prefix == "$" else "#,##0.00"}),
        }
        for column_index, (_, header) in enumerate(columns):
            sheet.write_string(0, column_index, header, bold)
        value_kinds = [_value_kind(target) for target, _ in columns]
        for row_index, record in enumerate(_typed_records(layout, kind, rows, seed=seed), start=1):
            for column_index, ((target, _), kind_of_value) in enumerate(zip(columns, value_kinds, strict=True)):
                value = record[target]
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    sheet.write_datetime(row_index, column_index, value, cell_formats[kind_of_value])
                elif isinstance(value, str):
                    # Strings stay strings so ids and ZIP codes keep their leading zeros.
                    sheet.write_string(row_index, column_index, value)
                elif kind_of_value == "MONEY":
                    sheet.write_number(row_index, column_index, value / 100, cell_formats["MONEY"])
                elif kind_of_value == "QUANTITY":
                    sheet.write_number(row_index, column_index, value / 100)
                else:
                    sheet.write_number(row_index, column_index, value)
    finally:
        workbook.close()
    return path


def write_demo_set(directory: Path, *, rows: int = 200, seed: int = 0) -> list[tuple[str, Path]]:
    """Medical, dental, pharmacy and eligibility files for every demo TPA.

    Files go to ``directory/<TPA_CODE>/``; pipe-delimited TPAs get ``.txt`` files and a
    TPA's ``spreadsheet_kinds`` get ``.xlsx``. Eligibility lists every member the claims
    use plus some who never claimed.
    """
    members = default_member_count(rows)
    eligibility_rows = members + members // 10
    written: list[tuple[str, Path]] = []
    for layout in DEMO_LAYOUTS:
        tpa_directory = directory / layout.tpa_code
        tpa_directory.mkdir(parents=True, exist_ok=True)
        for kind, kind_rows in (
            ("MEDICAL", rows),
            ("DENTAL", rows),
            ("PHARMACY", rows),
            ("ELIGIBILITY", eligibility_rows),
        ):
            stem = "eligibility" if kind == "ELIGIBILITY" else f"{kind.lower()}-claims"
            stem = f"{stem}-{ANCHOR_DATE:%Y%m%d}"
            if kind in layout.spreadsheet_kinds:
                path = write_xlsx(tpa_directory / f"{stem}.xlsx", layout, kind, kind_rows, seed=seed)
            else:
                suffix = ".csv" if layout.delimiter == "," else ".txt"
                path = write_csv(tpa_directory / f"{stem}{suffix}", layout, kind, kind_rows, seed=seed)
            written.append((layout.tpa_code, path))
    return written


def member_coverage(layout: TpaLayout, member_number: int, *, seed: int = 0) -> tuple[dt.date, dt.date | None]:
    """(effective date, termination date or None) of a member; claims fall inside it.

    Eligibility files may also show a plan-year-end termination for members without one.
    """
    effective_day, termination_day = _coverage_days(_tpa_salt(layout, seed), member_number)
    termination = None if termination_day is None else dt.date.fromordinal(termination_day)
    return dt.date.fromordinal(effective_day), termination


def is_valid_npi(npi: str) -> bool:
    """Ten digits, starting with 1 or 2, with a correct Luhn check digit."""
    if len(npi) != 10 or not npi.isdigit() or npi[0] not in "12":
        return False
    return _luhn_check_digit(_NPI_LUHN_PREFIX + npi[:9]) == npi[9]


# --------------------------------------------------------------------------- rendering


def _layout_columns(layout: TpaLayout, kind: str) -> list[tuple[str, str]]:
    """(target column, header text) in target-schema order, without system columns."""
    if kind not in CLAIM_KINDS:
        raise ValueError(f"Unknown claim kind {kind!r}; expected one of {', '.join(CLAIM_KINDS)}")
    try:
        headers = layout.headers[kind]
    except KeyError:
        raise ValueError(f"{layout.tpa_code} has no {kind} layout") from None
    unknown = set(headers) - set(TARGET_COLUMNS[kind])
    if unknown:
        raise ValueError(f"{layout.tpa_code} {kind} maps unknown target columns: {', '.join(sorted(unknown))}")
    return [
        (target, headers[target])
        for target in TARGET_COLUMNS[kind]
        if target in headers and target not in SYSTEM_COLUMNS
    ]


class _TextFormats:
    """How one TPA writes each kind of value as text."""

    def __init__(self, layout: TpaLayout) -> None:
        self._date_format = layout.date_format
        self._amount_prefix = layout.amount_prefix
        # strftime costs far more than a dict lookup, and files reuse a few hundred dates.
        self._date_texts: dict[int, str] = {}

    def cell(self, column: str, value: _TypedValue) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            return self.timestamp(value.toordinal(), value.hour * 3600 + value.minute * 60 + value.second)
        if isinstance(value, dt.date):
            return self.date(value.toordinal())
        if isinstance(value, int):
            kind = _value_kind(column)
            if kind == "MONEY":
                return self.money(value)
            if kind == "QUANTITY":
                return self.quantity(value)
        return str(value)

    def date(self, ordinal: int) -> str:
        text = self._date_texts.get(ordinal)
        if text is None:
            text = self._date_texts[ordinal] = dt.date.fromordinal(ordinal).strftime(self._date_format)
        return text

    def timestamp(self, ordinal: int, second_of_day: int) -> str:
        return f"{self.date(ordinal)} {_clock_text(second_of_day)}"

    def money(self, cents: int) -> str:
        return f"{self._amount_prefix}{cents // 100}.{cents % 100:02d}"

    @staticmethod
    def quantity(hundredths: int) -> str:
        whole, fraction = divmod(hundredths, 100)
        return f"{whole}.{fraction:02d}".rstrip("0") if fraction else str(whole)


def _clock_text(second_of_day: int) -> str:
    hours, remainder = divmod(second_of_day, 3600)
    minutes, seconds = divmod(remainder, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


def _escape_cell(text: str, delimiter: str) -> str:
    """Quote a cell the way ``csv.writer`` (QUOTE_MINIMAL) does."""
    if delimiter in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _claim_lines(layout: TpaLayout, kind: str, rows: int, seed: int, targets: list[str]) -> Iterator[str]:
    """CSV lines for claims without ``csv.writer``, which dominates the time at a million rows.

    Each pooled claim body is rendered and quoted once; per row only the claim id,
    member id and dates are filled in (``_claim_lines_can_write`` has vouched for those).
    """
    claims = _ClaimStream(layout, kind, rows, seed, members=None)
    formats = _TextFormats(layout)
    delimiter = layout.delimiter
    slot = {target: index for index, target in enumerate(targets)}
    claim_slot, member_slot, date_slot = slot["CLAIM_ID"], slot["MEMBER_ID"], slot[claims.date_column]
    processed_slot = slot.get("PROCESSED_DATE")
    member_text = layout.member_id_format.format
    anchor_day = ANCHOR_DATE.toordinal()
    first_window_day = anchor_day - SERVICE_WINDOW_DAYS
    window_dates = [formats.date(day) for day in range(first_window_day, anchor_day + 1)]

    # Per body: its cells, and when the file shows a processed date, the lag in days and " HH:MM:SS".
    rendered_bodies: list[tuple[list[str], int | None, str]] = []
    for claim_id, member_number, service_day, body_index in claims:
        if body_index == len(rendered_bodies):
            body = claims.bodies[body_index]
            cells = [_escape_cell(formats.cell(target, body.values.get(target)), delimiter) for target in targets]
            shows_processed = processed_slot is not None and not body.pending
            lag_days = body.processing_lag_days if shows_processed else None
            rendered_bodies.append((cells, lag_days, " " + _clock_text(body.processing_second_of_day)))
        body_cells, lag_days, clock = rendered_bodies[body_index]
        cells = body_cells.copy()
        cells[claim_slot] = claim_id
        cells[member_slot] = member_text(member_number)
        cells[date_slot] = window_dates[service_day - first_window_day]
        if lag_days is not None:
            cells[processed_slot] = window_dates[min(service_day + lag_days, anchor_day) - first_window_day] + clock
        yield delimiter.join(cells) + "\r\n"


def _claim_lines_can_write(layout: TpaLayout, kind: str, targets: list[str]) -> bool:
    """Whether ``_claim_lines`` can write this layout: required columns present, per-row texts plain."""
    date_column = "FILL_DATE" if kind == "PHARMACY" else "SERVICE_DATE"
    if not {"CLAIM_ID", "MEMBER_ID", date_column} <= set(targets):
        return False
    formats = _TextFormats(layout)
    samples = (layout.member_id(1_234_567), formats.timestamp(ANCHOR_DATE.toordinal(), 0))
    return all(_escape_cell(text, layout.delimiter) == text for text in samples)


_EXCEL_DATE_TOKENS = {"%Y": "yyyy", "%y": "yy", "%m": "mm", "%d": "dd", "%b": "mmm", "%H": "hh", "%M": "mm", "%S": "ss"}


def _excel_date_format(date_format: str) -> str:
    return re.sub(r"%[A-Za-z]", lambda token: _EXCEL_DATE_TOKENS[token.group()], date_format)


# --------------------------------------------------------------------------- reference data

# (CPT code, diagnosis codes that go with it, billed range in cents, relative frequency)
_MedicalService = tuple[str, tuple[str, ...], int, int, int]
_MEDICAL_SERVICES: dict[str, tuple[_MedicalService, ...]] = {
    "Family Medicine": (
        ("99213", ("I10", "E11.9", "J06.9", "E78.5", "K21.9", "M54.50", "F41.1"), 12000, 22000, 30),
        ("99214", ("E11.65", "I10", "E78.5", "J45.909", "F32.A"), 18000, 32000, 15),
        ("99396", ("Z00.00", "Z00.01"), 22000, 35000, 8),
        ("90471", ("Z23",), 2500, 4500, 5),
        ("90686", ("Z23",), 2500, 4500, 5),
        ("36415", ("E11.9", "E78.5", "Z00.00"), 1000, 2500, 6),
    ),
    "Cardiology": (
        ("99204", ("I25.10", "R07.9", "I48.91"), 30000, 45000, 5),
        ("93000", ("R07.9", "I48.91", "I10"), 6000, 12000, 8),
        ("93306", ("I50.9", "I35.0", "R01.1"), 90000, 180000, 3),
        ("99214", ("I25.10", "I48.91", "I10"), 20000, 32000, 10),
    ),
    "Orthopedics": (
        ("99203", ("M25.561", "M17.11", "S83.241A"), 20000, 32000, 8),
        ("20610", ("M17.11", "M17.12", "M25.511"), 18000, 35000, 6),
        ("73721", ("M25.561", "S83.241A", "M23.221"), 120000, 250000, 3),
        ("29881", ("S83.241A", "M23.221"), 500000, 900000, 1),
    ),
    "Emergency Medicine": (
        ("99284", ("R07.9", "R10.9", "S93.401A", "J18.9"), 60000, 110000, 6),
        ("99285", ("R07.9", "I21.4", "J18.9", "N39.0"), 110000, 220000, 3),
        ("71046", ("R07.9", "J18.9", "R05.9"), 15000, 40000, 5),
        ("12002", ("S61.411A", "S01.81XA"), 30000, 60000, 2),
    ),
    "Laboratory": (
        ("80053", ("Z00.00", "E11.9", "I10"), 4000, 12000, 8),
        ("85025", ("Z00.00", "D64.9", "R53.83"), 2500, 6000, 8),
        ("83036", ("E11.9", "E11.65", "R73.03"), 3000, 7000, 6),
        ("80061", ("E78.5", "Z13.220"), 4000, 9000, 6),
    ),
    "Gastroenterology": (
        ("45378", ("Z12.11", "K63.5", "K57.30"), 150000, 320000, 4),
        ("43239", ("K21.9", "R13.10", "K25.9"), 120000, 260000, 2),
        ("99214", ("K21.9", "K58.9", "K50.90"), 20000, 32000, 6),
    ),
    "Physical Therapy": (
        ("97110", ("M54.50", "M25.561", "M75.101"), 8000, 16000, 10),
        ("97140", ("M54.50", "M54.2"), 7000, 14000, 6),
        ("97161", ("M54.50", "M25.561"), 15000, 25000, 2),
    ),
    "Behavioral Health": (
        ("90837", ("F41.1", "F32.A", "F43.10", "F33.1"), 15000, 25000, 8),
        ("90834", ("F41.1", "F32.A", "F90.0"), 11000, 18000, 6),
        ("90791", ("F41.1", "F32.A", "F43.10"), 20000, 32000, 2),
    ),
}
# How many providers of each specialty a TPA's pool holds.
_SPECIALTY_POOL_SIZES = {
    "Family Medicine": 8,
    "Cardiology": 2,
    "Orthopedics": 3,
    "Emergency Medicine": 2,
    "Laboratory": 2,
    "Gastroenterology": 2,
    "Physical Therapy": 3,
    "Behavioral Health": 3,
}
_PRACTICE_NAMES = {
    "Family Medicine": ("Riverside Family Medicine", "Oak Street Primary Care", "Lakeview Internal Medicine"),
    "Cardiology": ("Heart & Vascular Associates",),
    "Orthopedics": ("Summit Orthopedics & Sports Medicine",),
    "Emergency Medicine": ("St. Mary's Hospital Emergency Dept", "Mercy General Hospital"),
    "Laboratory": ("Precision Clinical Laboratory", "Metro Diagnostic Labs"),
    "Gastroenterology": ("Digestive Health Center",),
    "Physical Therapy": ("Motion Physical Therapy",),
    "Behavioral Health": ("Clearwater Behavioral Health",),
}
_CLINICIAN_CREDENTIALS = {
    "Family Medicine": ("MD", "DO", "NP"),
    "Cardiology": ("MD",),
    "Orthopedics": ("MD", "DO"),
    "Emergency Medicine": ("MD", "DO"),
    "Gastroenterology": ("MD",),
    "Physical Therapy": ("PT", "DPT"),
    "Behavioral Health": ("LCSW", "PhD", "MD"),
}
_PRESCRIBING_CREDENTIALS = frozenset({"MD", "DO", "NP"})

# (CDT code, teeth it applies to, surfaces, billed range in cents, relative frequency)
_POSTERIOR_TEETH = (*range(1, 6), *range(12, 22), *range(28, 33))
_ANTERIOR_TEETH = (*range(6, 12), *range(22, 28))
_MOLARS = (1, 2, 3, 14, 15, 16, 17, 18, 19, 30, 31, 32)
_THIRD_MOLARS = (1, 16, 17, 32)
_ALL_TEETH = tuple(range(1, 33))
_DentalProcedure = tuple[str, tuple[int, ...], int, int, int, int]
_DENTAL_PROCEDURES: tuple[_DentalProcedure, ...] = (
    ("D0120", (), 0, 4500, 7500, 20),
    ("D0150", (), 0, 8000, 12000, 5),
    ("D0274", (), 0, 6000, 9000, 12),
    ("D0210", (), 0, 12000, 16000, 4),
    ("D1110", (), 0, 9000, 13000, 22),
    ("D1120", (), 0, 6000, 9000, 6),
    ("D1206", (), 0, 3000, 5000, 5),
    ("D2140", _POSTERIOR_TEETH, 1, 12000, 18000, 4),
    ("D2150", _POSTERIOR_TEETH, 2, 15000, 22000, 3),
    ("D2330", _ANTERIOR_TEETH, 1, 13000, 19000, 3),
    ("D2391", _POSTERIOR_TEETH, 1, 15000, 22000, 5),
    ("D2392", _POSTERIOR_TEETH, 2, 19000, 27000, 4),
    ("D2740", _ALL_TEETH, 0, 110000, 160000, 3),
    ("D3330", _MOLARS, 0, 110000, 160000, 2),
    ("D4341", (), 0, 20000, 30000, 3),
    ("D7140", _ALL_TEETH, 0, 15000, 28000, 3),
    ("D7240", _THIRD_MOLARS, 0, 35000, 55000, 1),
)
_POSTERIOR_SURFACES = {1: ("O", "M", "D", "B", "L"), 2: ("MO", "DO", "OB", "OL")}
_ANTERIOR_SURFACES = {1: ("M", "D", "F", "L", "I"), 2: ("MI", "DI", "MF", "DL")}
_DENTAL_PRACTICES = (
    "Bright Smile Dental",
    "Harbor Family Dentistry",
    "Gentle Dental Associates",
    "Riverside Dental Group",
    "Oak Park Pediatric Dentistry",
    "Summit Oral Surgery",
)

# NDCs have the real 11-digit 5-4-2 shape; the product codes are illustrative.
# (NDC, drug, units per 30 days, cents per unit, tier, fixed days supply or 0)
_Drug = tuple[str, str, int, int, str, int]
_DRUGS: tuple[_Drug, ...] = (
    ("00093005801", "Atorvastatin Calcium 20 MG Oral Tablet", 30, 35, "GENERIC", 0),
    ("68180051301", "Lisinopril 10 MG Oral Tablet", 30, 20, "GENERIC", 0),
    ("00093104801", "Metformin HCl 500 MG Oral Tablet", 60, 15, "GENERIC", 0),
    ("00378520877", "Amlodipine Besylate 5 MG Oral Tablet", 30, 18, "GENERIC", 0),
    ("00378180577", "Levothyroxine Sodium 50 MCG Oral Tablet", 30, 40, "GENERIC", 0),
    ("62175011837", "Omeprazole 20 MG Delayed Release Oral Capsule", 30, 45, "GENERIC", 0),
    ("16729021501", "Sertraline HCl 50 MG Oral Tablet", 30, 30, "GENERIC", 0),
    ("00591055001", "Hydrochlorothiazide 25 MG Oral Tablet", 30, 10, "GENERIC", 0),
    ("00228266711", "Gabapentin 300 MG Oral Capsule", 90, 12, "GENERIC", 0),
    ("59762330401", "Escitalopram 10 MG Oral Tablet", 30, 22, "GENERIC", 0),
    ("65862001701", "Amoxicillin 500 MG Oral Capsule", 30, 25, "GENERIC", 10),
    ("00054429725", "Prednisone 10 MG Oral Tablet", 21, 10, "GENERIC", 7),
    ("00173068220", "Ventolin HFA 90 MCG/ACT Inhalation Aerosol", 18, 350, "BRAND", 0),
    ("00088222033", "Lantus SoloStar 100 UNIT/ML Pen Injector", 15, 2500, "BRAND", 0),
    ("00310075590", "Crestor 10 MG Oral Tablet", 30, 950, "BRAND", 0),
    ("00169413212", "Ozempic 1 MG/DOSE Pen Injector", 3, 32000, "SPECIALTY", 28),
)
_DRUG_WEIGHTS = (14, 12, 12, 10, 9, 8, 7, 6, 5, 5, 6, 4, 3, 3, 2, 2)
_COPAY_CENTS = {"GENERIC": 1000, "BRAND": 4000, "SPECIALTY": 15000}
_PHARMACY_CHAINS = (
    ("CVS Pharmacy #", 5),
    ("Walgreens #", 5),
    ("Rite Aid #", 5),
    ("Walmart Pharmacy #", 4),
    ("Costco Pharmacy #", 3),
    ("Stop & Shop Pharmacy #", 4),
    ("Kroger Pharmacy #", 3),
)
_INDEPENDENT_PHARMACIES = ("Main Street Apothecary", "Capitol Drug", "Express Scripts Home Delivery")

_CLAIM_STATUSES = ("PAID", "DENIED", "PENDING", "ADJUSTED")
_CLAIM_STATUS_WEIGHTS = (78, 8, 7, 7)
_CLAIM_ID_PREFIXES = {"MEDICAL": "MC", "DENTAL": "DC", "PHARMACY": "RX"}

_FEMALE_FIRST_NAMES = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
    "Lisa", "Nancy", "Emily", "Ashley", "Olivia", "Emma", "Ava", "Sophia", "Priya", "Aaliyah", "Fatima",
    "Zoë", "Siobhan", "Ngozi", "Mei", "Isabella", "Maria", "Grace",
)  # fmt: skip
_MALE_FIRST_NAMES = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Christopher",
    "Daniel", "Matthew", "Anthony", "Mark", "Liam", "Noah", "Mateo", "Aiden", "Wei", "Jamal", "Hiroshi",
    "José", "Dmitri", "Carlos", "Ahmed", "Lucas", "Kevin", "Brian",
)  # fmt: skip
_LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
    "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "O'Brien",
    "Patel", "Kim", "Chen", "Kowalski", "Müller", "Núñez", "Okafor", "Schmidt", "Cohen",
)  # fmt: skip
_STREETS = (
    "Maple", "Oak", "Washington", "Main", "Park", "Elm", "Cedar", "Pine", "Lake", "Hill", "Church",
    "Highland", "Spring", "Chestnut", "Franklin", "Jefferson", "Lincoln", "Madison", "Pleasant", "Union",
    "Water", "Summit", "Prospect", "River",
)  # fmt: skip
_STREET_SUFFIXES = ("St", "Ave", "Rd", "Dr", "Ln", "Ct", "Blvd", "Way", "Pl")

# (city, state, ZIP codes, area code)
_City = tuple[str, str, tuple[str, ...], str]
_CITIES_BY_TPA: dict[str, tuple[_City, ...]] = {
    "PROVIDER_A": (
        ("Newark", "NJ", ("07102", "07104"), "973"),
        ("Hoboken", "NJ", ("07030",), "201"),
        ("Princeton", "NJ", ("08540",), "609"),
        ("Stamford", "CT", ("06901", "06902"), "203"),
        ("Hartford", "CT", ("06103", "06106"), "860"),
        ("Yonkers", "NY", ("10701",), "914"),
        ("White Plains", "NY", ("10601",), "914"),
    ),
    "BLUE_CROSS": (
        ("Boston", "MA", ("02108", "02116", "02134"), "617"),
        ("Cambridge", "MA", ("02138", "02139"), "617"),
        ("Worcester", "MA", ("01602", "01609"), "508"),
        ("Springfield", "MA", ("01103",), "413"),
        ("Providence", "RI", ("02903", "02906"), "401"),
        ("Manchester", "NH", ("03101",), "603"),
        ("Portland", "ME", ("04101",), "207"),
    ),
    "CAREFIRST": (
        ("Baltimore", "MD", ("21201", "21218"), "410"),
        ("Silver Spring", "MD", ("20901", "20910"), "301"),
        ("Rockville", "MD", ("20850",), "301"),
        ("Washington", "DC", ("20001", "20009"), "202"),
        ("Arlington", "VA", ("22201",), "703"),
        ("Alexandria", "VA", ("22314",), "703"),
    ),
    "MERIDIAN": (
        ("Detroit", "MI", ("48201", "48226"), "313"),
        ("Ann Arbor", "MI", ("48104",), "734"),
        ("Grand Rapids", "MI", ("49503",), "616"),
        ("Toledo", "OH", ("43604",), "419"),
        ("Columbus", "OH", ("43215",), "614"),
        ("Chicago", "IL", ("60601", "60614"), "312"),
    ),
}
_ALL_CITIES = tuple(city for cities in _CITIES_BY_TPA.values() for city in cities)
_PLANS_BY_TPA: dict[str, tuple[tuple[str, str], ...]] = {
    "PROVIDER_A": (("PA-PPO-500", "Provider A PPO 500"), ("PA-HMO-250", "Provider A HMO 250"),
                   ("PA-HDHP-3000", "Provider A HDHP 3000")),
    "BLUE_CROSS": (("BCGOLDPPO", "Blue Gold PPO"), ("BCSILVHMO", "Blue Silver HMO"),
                   ("BCBRZHDHP", "Blue Bronze HDHP")),
    "CAREFIRST": (("CF100", "CareFirst BlueChoice Advantage"), ("CF200", "CareFirst BluePreferred PPO"),
                  ("CF300", "CareFirst HSA Bronze")),
    "MERIDIAN": (("MBS01", "MERIDIAN SELECT PPO"), ("MBS02", "MERIDIAN VALUE HMO"), ("MBS03", "MERIDIAN HSA 2800")),
}  # fmt: skip
_DEFAULT_PLANS = (("PPO-500", "PPO 500"), ("HMO-250", "HMO 250"), ("HDHP-3000", "HDHP 3000"))


# --------------------------------------------------------------------------- generation

# Claim bodies (provider, service, amounts, status) are drawn fresh for the first this
# many rows of a file and reused at random after that, which bounds memory and keeps a
# million-row file to a few seconds; member, dates and claim id are always per row.
_BODY_POOL_SIZE = 16_384
_PENDING_CLAIM_MAX_AGE_DAYS = 45
_NPI_LUHN_PREFIX = "80840"


@dataclass(frozen=True)
class _Provider:
    npi: str
    name: str
    specialty: str
    credential: str | None  # None for organisations


@dataclass(frozen=True)
class _ProviderPools:
    medical: tuple[_Provider, ...]
    dentists: tuple[tuple[str, str], ...]
    pharmacies: tuple[tuple[str, str], ...]
    prescriber_npis: tuple[str, ...]


@dataclass(frozen=True)
class _ClaimBody:
    """Everything about a claim except who, when and its id."""

    values: dict[str, _TypedValue]
    pending: bool
    processing_lag_days: int
    processing_second_of_day: int

    def processed_after(self, service_day: int) -> tuple[int, int] | None:
        """(day ordinal, second of day) the claim was processed, None while pending."""
        if self.pending:
            return None
        return min(service_day + self.processing_lag_days, ANCHOR_DATE.toordinal()), self.processing_second_of_day


_BodyMaker = Callable[[Random, _ProviderPools], _ClaimBody]


class _ClaimStream:
    """Claims of one file as (claim id, member number, service day ordinal, body index)."""

    def __init__(self, layout: TpaLayout, kind: str, rows: int, seed: int, members: int | None) -> None:
        body_makers: dict[str, tuple[_BodyMaker, str]] = {
            "MEDICAL": (_medical_body, "SERVICE_DATE"),
            "DENTAL": (_dental_body, "SERVICE_DATE"),
            "PHARMACY": (_pharmacy_body, "FILL_DATE"),
        }
        self._make_body, self.date_column = body_makers[kind]
        self._layout = layout
        self._kind = kind
        self._rows = rows
        self._seed = seed
        self._members = members or default_member_count(rows)
        self.bodies: list[_ClaimBody] = []

    def __iter__(self) -> Iterator[tuple[str, int, int, int]]:
        rng = Random(f"{self._seed}:{self._layout.tpa_code}:{self._kind}")
        random = rng.random
        pools = _provider_pools(self._layout, self._seed)
        salt = _tpa_salt(self._layout, self._seed)
        window_start = ANCHOR_DATE.toordinal() - SERVICE_WINDOW_DAYS
        anchor_day = ANCHOR_DATE.toordinal()
        claim_id_prefix = f"{_CLAIM_ID_PREFIXES[self._kind]}{self._seed % 100:02d}"
        members = self._members
        bodies = self.bodies
        bodies.clear()
        for row in range(self._rows):
            if row < _BODY_POOL_SIZE:
                body_index = row
                bodies.append(self._make_body(rng, pools))
            else:
                body_index = int(_BODY_POOL_SIZE * random())
            # Skewed toward low member numbers, so some members claim far more than most.
            member_number = int(members * random() ** 1.4) + 1
            effective_day, termination_day = _coverage_days(salt, member_number)
            first_day = max(effective_day, window_start)
            last_day = anchor_day if termination_day is None else min(termination_day, anchor_day)
            if bodies[body_index].pending:
                first_day = max(first_day, last_day - _PENDING_CLAIM_MAX_AGE_DAYS)
            service_day = first_day + int((last_day - first_day + 1) * random())
            yield f"{claim_id_prefix}{row + 1:08d}", member_number, service_day, body_index


def _typed_records(
    layout: TpaLayout, kind: str, rows: int, *, seed: int, members: int | None = None
) -> Iterator[dict[str, _TypedValue]]:
    """Records keyed by target column (every target column present, None when empty)."""
    _layout_columns(layout, kind)
    if kind == "ELIGIBILITY":
        yield from _eligibility_records(layout, rows, seed)
        return
    claims = _ClaimStream(layout, kind, rows, seed, members)
    empty_record = dict.fromkeys(TARGET_COLUMNS[kind])
    for claim_id, member_number, service_day, body_index in claims:
        body = claims.bodies[body_index]
        record = {**empty_record, **body.values}
        record["CLAIM_ID"] = claim_id
        record["MEMBER_ID"] = layout.member_id(member_number)
        record[claims.date_column] = dt.date.fromordinal(service_day)
        if kind == "MEDICAL":
            processed = body.processed_after(service_day)
            if processed is not None:
                processed_day, second_of_day = processed
                record["PROCESSED_DATE"] = dt.datetime.fromordinal(processed_day) + dt.timedelta(seconds=second_of_day)
        yield record


def _medical_body(rng: Random, pools: _ProviderPools) -> _ClaimBody:
    random = rng.random
    provider = pools.medical[int(len(pools.medical) * random() ** 1.5)]
    services = _MEDICAL_SERVICES[provider.specialty]
    procedure, diagnoses, low, high, _ = services[
        _weighted_index(random(), _MEDICAL_SERVICE_CUMULATIVE[provider.specialty])
    ]
    billed = low + int((high - low) * random())
    status = _CLAIM_STATUSES[_weighted_index(random(), _CLAIM_STATUS_CUMULATIVE)]
    if procedure in _PREVENTIVE_PROCEDURES:
        cost_share = _CostShare(copay=0, coinsurance_percent=0, deductible_chance=0)
    elif procedure in _OFFICE_VISIT_PROCEDURES:
        cost_share = _CostShare(copay=2000 + 1000 * int(4 * random()), coinsurance_percent=0, deductible_chance=0.05)
    else:
        cost_share = _CostShare(copay=0, coinsurance_percent=20, deductible_chance=0.15)
    allowed, paid, member_share = _adjudicate(rng, status, billed, cost_share)
    return _ClaimBody(
        values={
            "PROVIDER_ID": provider.npi,
            "PROVIDER_NAME": provider.name,
            "DIAGNOSIS_CODE": diagnoses[int(len(diagnoses) * random())],
            "PROCEDURE_CODE": procedure,
            "BILLED_AMOUNT": billed,
            "ALLOWED_AMOUNT": allowed,
            "PAID_AMOUNT": paid,
            "MEMBER_RESPONSIBILITY": member_share,
            "CLAIM_STATUS": status,
        },
        pending=status == "PENDING",
        processing_lag_days=5 + int(40 * random()),
        processing_second_of_day=6 * 3600 + int(14 * 3600 * random()),
    )


def _dental_body(rng: Random, pools: _ProviderPools) -> _ClaimBody:
    random = rng.random
    dentist_npi, dentist_name = pools.dentists[int(len(pools.dentists) * random() ** 1.5)]
    procedure, teeth, surface_count, low, high, _ = _DENTAL_PROCEDURES[
        _weighted_index(random(), _DENTAL_PROCEDURE_CUMULATIVE)
    ]
    tooth = teeth[int(len(teeth) * random())] if teeth else None
    surface = None
    if tooth is not None and surface_count:
        choices = (_ANTERIOR_SURFACES if tooth in _ANTERIOR_TEETH else _POSTERIOR_SURFACES)[surface_count]
        surface = choices[int(len(choices) * random())]
    billed = low + int((high - low) * random())
    status = _CLAIM_STATUSES[_weighted_index(random(), _CLAIM_STATUS_CUMULATIVE)]
    if procedure.startswith(("D0", "D1")):
        cost_share = _CostShare(copay=0, coinsurance_percent=0, deductible_chance=0)
    elif procedure in _MAJOR_DENTAL_PROCEDURES:
        cost_share = _CostShare(copay=0, coinsurance_percent=50, deductible_chance=0.1)
    else:
        cost_share = _CostShare(copay=0, coinsurance_percent=20, deductible_chance=0.1)
    allowed, paid, member_share = _adjudicate(rng, status, billed, cost_share)
    return _ClaimBody(
        values={
            "DENTIST_ID": dentist_npi,
            "DENTIST_NAME": dentist_name,
            "TOOTH_NUMBER": None if tooth is None else str(tooth),
            "PROCEDURE_CODE": procedure,
            "SURFACE": surface,
            "BILLED_AMOUNT": billed,
            "ALLOWED_AMOUNT": allowed,
            "PAID_AMOUNT": paid,
            "MEMBER_RESPONSIBILITY": member_share,
            "CLAIM_STATUS": status,
        },
        pending=status == "PENDING",
        processing_lag_days=0,
        processing_second_of_day=0,
    )


def _pharmacy_body(rng: Random, pools: _ProviderPools) -> _ClaimBody:
    random = rng.random
    pharmacy_npi, pharmacy_name = pools.pharmacies[int(len(pools.pharmacies) * random() ** 1.5)]
    ndc, drug_name, units_per_30_days, unit_cents, tier, fixed_days = _DRUGS[
        _weighted_index(random(), _DRUG_CUMULATIVE)
    ]
    if fixed_days:
        days_supply = fixed_days
        units = units_per_30_days
    else:
        days_supply = 90 if random() < 0.22 else 30
        units = units_per_30_days * days_supply // 30
    billed = units * unit_cents + 150 + int(100 * random())  # plus the dispensing fee
    status = _CLAIM_STATUSES[_weighted_index(random(), _CLAIM_STATUS_CUMULATIVE)]
    if status in ("DENIED", "PENDING"):
        allowed = paid = copay = 0
    else:
        allowed = billed * (55 + int(30 * random())) // 100
        copay = min(_COPAY_CENTS[tier] * (2 if days_supply == 90 else 1), allowed)
        paid = allowed - copay
    return _ClaimBody(
        values={
            "PHARMACY_ID": pharmacy_npi,
            "PHARMACY_NAME": pharmacy_name,
            "NDC_CODE": ndc,
            "DRUG_NAME": drug_name,
            "QUANTITY": units * 100,
            "DAYS_SUPPLY": days_supply,
            "PRESCRIBER_ID": pools.prescriber_npis[int(len(pools.prescriber_npis) * random())],
            "BILLED_AMOUNT": billed,
            "ALLOWED_AMOUNT": allowed,
            "PAID_AMOUNT": paid,
            "MEMBER_COPAY": copay,
            "CLAIM_STATUS": status,
        },
        pending=status == "PENDING",
        processing_lag_days=0,
        processing_second_of_day=0,
    )


@dataclass(frozen=True)
class _CostShare:
    copay: int
    coinsurance_percent: int
    deductible_chance: float


def _adjudicate(rng: Random, status: str, billed: int, cost_share: _CostShare) -> tuple[int, int, int]:
    """(allowed, paid, member share) in cents with allowed <= billed and paid = allowed - share."""
    if status in ("DENIED", "PENDING"):
        return 0, 0, 0
    allowed = billed * (45 + int(45 * rng.random())) // 100
    if rng.random() < cost_share.deductible_chance:
        member_share = allowed
    else:
        member_share = min(cost_share.copay + allowed * cost_share.coinsurance_percent // 100, allowed)
    return allowed, allowed - member_share, member_share


def _eligibility_records(layout: TpaLayout, rows: int, seed: int) -> Iterator[dict[str, _TypedValue]]:
    salt = _tpa_salt(layout, seed)
    rng = Random(f"{seed}:{layout.tpa_code}:ELIGIBILITY")
    random = rng.random
    cities = _CITIES_BY_TPA.get(layout.tpa_code, _ALL_CITIES)
    plans = _PLANS_BY_TPA.get(layout.tpa_code, _DEFAULT_PLANS)
    for member_number in range(1, rows + 1):
        gender_roll = random()
        gender = "F" if gender_roll < 0.51 else "M" if gender_roll < 0.995 else "U"
        first_names = {"F": _FEMALE_FIRST_NAMES, "M": _MALE_FIRST_NAMES}.get(gender, _ALL_FIRST_NAMES)
        first_name = first_names[int(len(first_names) * random())]
        last_name = _LAST_NAMES[int(len(_LAST_NAMES) * random())]
        city, state, zip_codes, area_code = cities[int(len(cities) * random())]
        street_number = 1 + int(9899 * random())
        street = f"{_STREETS[int(len(_STREETS) * random())]} {_STREET_SUFFIXES[int(len(_STREET_SUFFIXES) * random())]}"
        address_line2 = None
        if random() < 0.22:
            unit = 1 + int(40 * random())
            address_line2 = f"Apt {unit}{'ABCD'[int(4 * random())]}" if random() < 0.8 else f"Unit {unit}"
        email = None
        if random() < 0.85:
            email = f"{_ascii_email_part(first_name)}.{_ascii_email_part(last_name)}{member_number}@example.com"
        effective_day, termination_day = _coverage_days(salt, member_number)
        termination = None if termination_day is None else dt.date.fromordinal(termination_day)
        if termination is None and random() < 0.1:
            termination = PLAN_YEAR_END
        plan_id, plan_name = plans[int(len(plans) * random())]
        yield {
            "MEMBER_ID": layout.member_id(member_number),
            "FIRST_NAME": first_name,
            "LAST_NAME": last_name,
            "DATE_OF_BIRTH": dt.date.fromordinal(effective_day - 30 - int(85 * 365 * random())),
            "GENDER": gender,
            "ADDRESS_LINE1": f"{street_number} {street}",
            "ADDRESS_LINE2": address_line2,
            "CITY": city,
            "STATE": state,
            "ZIP_CODE": zip_codes[int(len(zip_codes) * random())],
            # 555-0100 to 555-0199 are reserved for fiction.
            "PHONE": f"({area_code}) 555-01{int(100 * random()):02d}",
            "EMAIL": email,
            "PLAN_ID": plan_id,
            "PLAN_NAME": plan_name,
            "EFFECTIVE_DATE": dt.date.fromordinal(effective_day),
            "TERMINATION_DATE": termination,
            "STATUS": "ACTIVE" if termination is None or termination > ANCHOR_DATE else "TERMINATED",
            "CREATED_AT": None,
        }


def _coverage_days(salt: int, member_number: int) -> tuple[int, int | None]:
    """(effective, termination or None) day ordinals of a member's coverage.

    Derived from a hash of the member number, so claims need no lookup table. Coverage
    starts on the first of a month at least two months before the anchor and, when it
    ends, ends on a month end inside the service window at least three months later.
    """
    bits = _mix64(salt ^ (member_number * 0x9E3779B97F4A7C15))
    effective_month = _ANCHOR_MONTH - 2 - bits % 58
    effective_day = _month_start_day(effective_month)
    earliest_end_month = max(effective_month + 2, _WINDOW_START_MONTH)
    latest_end_month = _ANCHOR_MONTH - 1
    if (bits >> 16) % 100 >= 15 or earliest_end_month > latest_end_month:
        return effective_day, None
    end_month = earliest_end_month + (bits >> 24) % (latest_end_month - earliest_end_month + 1)
    return effective_day, _month_start_day(end_month + 1) - 1


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_start_day(month_index: int) -> int:
    return _MONTH_START_DAYS[month_index - _FIRST_TABLE_MONTH]


_ANCHOR_MONTH = _month_index(ANCHOR_DATE)
_WINDOW_START_MONTH = _month_index(ANCHOR_DATE - dt.timedelta(days=SERVICE_WINDOW_DAYS))
_FIRST_TABLE_MONTH = _ANCHOR_MONTH - 61
_MONTH_START_DAYS = tuple(
    dt.date(month // 12, month % 12 + 1, 1).toordinal() for month in range(_FIRST_TABLE_MONTH, _ANCHOR_MONTH + 2)
)


def _provider_pools(layout: TpaLayout, seed: int) -> _ProviderPools:
    rng = Random(f"{seed}:{layout.tpa_code}:providers")
    npis: set[str] = set()

    def new_npi() -> str:
        while True:
            body = str(rng.choice((1, 2))) + "".join(str(rng.randrange(10)) for _ in range(8))
            npi = body + _luhn_check_digit(_NPI_LUHN_PREFIX + body)
            if npi not in npis:
                npis.add(npi)
                return npi

    def clinician_name(credential: str) -> str:
        first_names = _FEMALE_FIRST_NAMES if rng.random() < 0.5 else _MALE_FIRST_NAMES
        return f"{rng.choice(_LAST_NAMES)}, {rng.choice(first_names)} {credential}"

    medical: list[_Provider] = []
    for specialty, pool_size in _SPECIALTY_POOL_SIZES.items():
        practices = list(_PRACTICE_NAMES[specialty])
        rng.shuffle(practices)
        credentials = _CLINICIAN_CREDENTIALS.get(specialty)
        for _ in range(pool_size):
            if practices and (credentials is None or rng.random() < 0.4):
                medical.append(_Provider(new_npi(), practices.pop(), specialty, None))
            elif credentials:
                credential = rng.choice(credentials)
                medical.append(_Provider(new_npi(), clinician_name(credential), specialty, credential))
    rng.shuffle(medical)

    dentist_names = list(_DENTAL_PRACTICES)
    rng.shuffle(dentist_names)
    dentist_names = dentist_names[:4] + [clinician_name(rng.choice(("DDS", "DMD"))) for _ in range(8)]
    rng.shuffle(dentist_names)
    dentists = tuple((new_npi(), name) for name in dict.fromkeys(dentist_names))

    pharmacy_names = [
        f"{chain}{rng.randrange(10 ** (digits - 1), 10**digits)}" for chain, digits in _PHARMACY_CHAINS * 2
    ]
    pharmacy_names += _INDEPENDENT_PHARMACIES
    rng.shuffle(pharmacy_names)
    pharmacies = tuple((new_npi(), name) for name in dict.fromkeys(pharmacy_names))

    prescribers = tuple(provider.npi for provider in medical if provider.credential in _PRESCRIBING_CREDENTIALS)
    return _ProviderPools(tuple(medical), dentists, pharmacies, prescribers or tuple(p.npi for p in medical))


def _luhn_check_digit(payload: str) -> str:
    total = 0
    for position, digit in enumerate(reversed(payload)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def _tpa_salt(layout: TpaLayout, seed: int) -> int:
    return _mix64(zlib.crc32(layout.tpa_code.encode()) ^ (seed * 0xBF58476D1CE4E5B9))


def _mix64(value: int) -> int:
    """splitmix64 finaliser: a cheap, well-spread integer hash that is stable across runs."""
    value &= 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 31)


def _cumulative(weights: Sequence[int]) -> tuple[float, ...]:
    total = sum(weights)
    fractions = [running / total for running in accumulate(weights)]
    fractions[-1] = 1.0  # random() < 1.0, so bisect never runs past the last choice
    return tuple(fractions)


def _weighted_index(roll: float, cumulative: Sequence[float]) -> int:
    return bisect(cumulative, roll)


def _ascii_email_part(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(character for character in decomposed if character.isascii() and character.isalnum()).lower()


_ALL_FIRST_NAMES = _FEMALE_FIRST_NAMES + _MALE_FIRST_NAMES
_PREVENTIVE_PROCEDURES = frozenset({"99396", "90471", "90686"})
_OFFICE_VISIT_PROCEDURES = frozenset(
    {"99203", "99204", "99213", "99214", "90791", "90834", "90837", "97110", "97140", "97161"}
)
_MAJOR_DENTAL_PROCEDURES = frozenset({"D2740", "D3330", "D7240"})
_CLAIM_STATUS_CUMULATIVE = _cumulative(_CLAIM_STATUS_WEIGHTS)
_MEDICAL_SERVICE_CUMULATIVE = {
    specialty: _cumulative([service[4] for service in services]) for specialty, services in _MEDICAL_SERVICES.items()
}
_DENTAL_PROCEDURE_CUMULATIVE = _cumulative([procedure[5] for procedure in _DENTAL_PROCEDURES])
_DRUG_CUMULATIVE = _cumulative(_DRUG_WEIGHTS)
