"""TPA file layouts: which files of a TPA are fixed-width text (field name, start, length) and which carry a
control (trailer) record with the file's record count and total paid. A file takes the first layout whose
file-name pattern matches it. Each loaded file's control figures are kept in BRONZE.FILE_CONTROLS for
reconciliation."""

import fnmatch
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from medallion import audit
from medallion.caching import cached, invalidate
from medallion.errors import not_found, validation_error
from medallion.warehouse import Transaction, warehouse
from medallion.warehouse.identifiers import string_literal
from tpa.services import get_tpa

LAYOUTS = "BRONZE.TPA_LAYOUTS"
CONTROLS = "BRONZE.FILE_CONTROLS"
RAW = "BRONZE.RAW_DATA_TABLE"
NAMESPACE = "bronze_layouts"
FORMATS = ("DELIMITED", "FIXED_WIDTH")
MAX_FIELDS = 500
MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class FixedField:
    name: str
    start: int  # 1-based column of the first character
    length: int


@dataclass(frozen=True)
class Control:
    """The control record is the row whose `field` equals `value`; its count and paid fields are optional."""

    field: str
    value: str
    count_field: str | None = None
    paid_field: str | None = None


@dataclass(frozen=True)
class Layout:
    tpa: str
    name: str
    file_pattern: str
    format: str
    fields: tuple[FixedField, ...] = ()
    control: Control | None = None

    def matches(self, file_name: str) -> bool:
        return fnmatch.fnmatch(file_name.lower(), self.file_pattern.lower())

    def as_dict(self) -> dict[str, Any]:
        return {
            "tpa": self.tpa,
            "layout_name": self.name,
            "file_pattern": self.file_pattern,
            "format": self.format,
            "fields": [{"name": f.name, "start": f.start, "length": f.length} for f in self.fields],
            "control": None if self.control is None else dict(self.control.__dict__),
        }


# --------------------------------------------------------------------------- storage


@cached(NAMESPACE, ttl=300)
async def list_layouts(tpa: str) -> list[dict[str, Any]]:
    code = (await get_tpa(tpa))["TPA_CODE"]
    rows = await warehouse().fetch_all(
        f"SELECT TPA, LAYOUT_NAME, FILE_PATTERN, FORMAT, FIELDS, CONTROL FROM {LAYOUTS} WHERE TPA = ? "
        "ORDER BY LAYOUT_NAME",
        (code,),
    )
    return [_from_row(row).as_dict() for row in rows]


async def layout_for(tpa: str, file_name: str) -> Layout | None:
    for stored in await list_layouts(tpa):
        layout = parse_layout(tpa, stored)
        if layout.matches(file_name):
            return layout
    return None


async def save_layout(tpa: str, body: dict[str, Any], *, user: str | None) -> dict[str, Any]:
    code = (await get_tpa(tpa))["TPA_CODE"]
    layout = parse_layout(code, body)
    stored = layout.as_dict()
    async with warehouse().transaction() as tx:
        await tx.execute(f"DELETE FROM {LAYOUTS} WHERE TPA = ? AND LAYOUT_NAME = ?", (code, layout.name))
        await tx.execute(
            f"INSERT INTO {LAYOUTS} (TPA, LAYOUT_NAME, FILE_PATTERN, FORMAT, FIELDS, CONTROL, UPDATED_BY) "
            "SELECT ?, ?, ?, ?, PARSE_JSON(?), PARSE_JSON(?), ?",
            (
                code, layout.name, layout.file_pattern, layout.format, json.dumps(stored["fields"]),
                json.dumps(stored["control"]), user,
            ),
        )  # fmt: skip
        await audit.record(user, "SAVE", "TPA_LAYOUT", layout.name, tpa=code, after=stored, within=tx)
    await invalidate(NAMESPACE)
    return stored


async def add_field(tpa: str, layout_name: str, field: dict[str, Any], *, user: str | None) -> dict[str, Any]:
    """Append one field to a stored fixed-width layout, checked as a whole like a save through the API."""
    stored = await _stored(tpa, layout_name)
    return await save_layout(tpa, {**stored, "fields": [*stored["fields"], field]}, user=user)


async def remove_field(tpa: str, layout_name: str, field_name: str, *, user: str | None) -> dict[str, Any]:
    stored = await _stored(tpa, layout_name)
    kept = [field for field in stored["fields"] if field["name"] != field_name]
    if len(kept) == len(stored["fields"]):
        raise not_found("layout_field_not_found", f"{layout_name} has no field {field_name[:MAX_NAME_LENGTH]}.")
    return await save_layout(tpa, {**stored, "fields": kept}, user=user)


async def _stored(tpa: str, layout_name: str) -> dict[str, Any]:
    for stored in await list_layouts(tpa):
        if stored["layout_name"] == layout_name:
            return stored
    raise not_found("layout_not_found", f"{tpa} has no layout {layout_name[:MAX_NAME_LENGTH]}.")


async def delete_layout(tpa: str, name: str, *, user: str | None) -> None:
    code = (await get_tpa(tpa))["TPA_CODE"]
    deleted = await warehouse().execute(f"DELETE FROM {LAYOUTS} WHERE TPA = ? AND LAYOUT_NAME = ?", (code, name))
    if not deleted:
        raise not_found("layout_not_found", f"{code} has no layout {name[:MAX_NAME_LENGTH]}.")
    await audit.record(user, "DELETE", "TPA_LAYOUT", name, tpa=code)
    await invalidate(NAMESPACE)


async def purge_tpa(tx: Transaction, tpa: str) -> None:
    await tx.execute(f"DELETE FROM {LAYOUTS} WHERE TPA = ?", (tpa,))
    await tx.execute(f"DELETE FROM {CONTROLS} WHERE TPA = ?", (tpa,))


def _from_row(row: dict[str, Any]) -> Layout:
    def loaded(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    return parse_layout(
        row["TPA"],
        {
            "layout_name": row["LAYOUT_NAME"],
            "file_pattern": row["FILE_PATTERN"],
            "format": row["FORMAT"],
            "fields": loaded(row["FIELDS"]) or [],
            "control": loaded(row["CONTROL"]),
        },
    )


def parse_layout(tpa: str, body: dict[str, Any]) -> Layout:
    """A checked layout from the API's JSON shape; 422 naming the first problem."""
    name = _name(body.get("layout_name"), "layout_name")
    pattern = body.get("file_pattern") or "*"
    if not isinstance(pattern, str) or len(pattern) > 200:
        raise validation_error("file_pattern", "Use a file-name pattern such as *.txt (at most 200 characters).")
    layout_format = str(body.get("format") or "DELIMITED").upper()
    if layout_format not in FORMATS:
        raise validation_error("format", f"Use one of {', '.join(FORMATS)}.")
    fields = _fixed_fields(body.get("fields") or []) if layout_format == "FIXED_WIDTH" else ()
    if layout_format == "FIXED_WIDTH" and not fields:
        raise validation_error("fields", "A fixed-width layout needs at least one field (name, start, length).")
    return Layout(tpa, name, pattern, layout_format, fields, _control(body.get("control")))


def _name(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_NAME_LENGTH:
        raise validation_error(field, f"Give a name of 1 to {MAX_NAME_LENGTH} characters.")
    return value.strip()


def _fixed_fields(values: object) -> tuple[FixedField, ...]:
    if not isinstance(values, list) or len(values) > MAX_FIELDS:
        raise validation_error("fields", f"Give a list of at most {MAX_FIELDS} fields.")
    fields: list[FixedField] = []
    for position, value in enumerate(values, start=1):
        if not isinstance(value, dict):
            raise validation_error("fields", f"Field {position} must be an object with name, start and length.")
        start, length = value.get("start"), value.get("length")
        if not (isinstance(start, int) and isinstance(length, int) and start >= 1 and length >= 1):
            raise validation_error("fields", f"Field {position} needs a whole start >= 1 and length >= 1.")
        fields.append(FixedField(_name(value.get("name"), "fields"), start, length))
    if len({field.name for field in fields}) != len(fields):
        raise validation_error("fields", "Field names must be unique.")
    return tuple(fields)


def _control(value: object) -> Control | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("value"), str):
        raise validation_error("control", "Give field and value of the control record (and count_field, paid_field).")
    optional = {key: _name(value[key], "control") for key in ("count_field", "paid_field") if value.get(key)}
    return Control(_name(value.get("field"), "control"), value["value"], **optional)


# --------------------------------------------------------------------------- control records at load time


async def record_controls(tx: Transaction, entry: dict[str, Any], rows_loaded: int, layout: Layout | None) -> int:
    """Inside the file's load transaction: take the layout's control records out of Bronze and record the
    file's control figures. Returns the data rows left in Bronze."""
    control = layout.control if layout else None
    figures: tuple[int, int | None, Decimal | None] = (0, None, None)
    if control is not None:
        figures = await _take_control_records(tx, entry["QUEUE_ID"], control)
    await tx.execute(f"DELETE FROM {CONTROLS} WHERE QUEUE_ID = ?", (entry["QUEUE_ID"],))
    await tx.execute(
        f"INSERT INTO {CONTROLS} (QUEUE_ID, TPA, LAYOUT_NAME, ROWS_IN_FILE, CONTROL_RECORDS, CONTROL_ROW_COUNT, "
        "CONTROL_PAID_TOTAL) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (entry["QUEUE_ID"], entry["TPA"], layout.name if layout else None, rows_loaded, *figures),
    )
    return rows_loaded - figures[0]


async def _take_control_records(
    tx: Transaction, queue_id: int, control: Control
) -> tuple[int, int | None, Decimal | None]:
    # A bound key reads a VARIANT field JSON-quoted on the embedded engine, so the keys are literals (as in Silver).
    def field(name: str | None) -> str:
        return f"RAW_DATA[{string_literal(name)}]::VARCHAR" if name else "CAST(NULL AS VARCHAR)"

    marker = f"TRIM({field(control.field)}) = ?"
    found = await tx.fetch_all(
        f"SELECT {field(control.count_field)} AS ROW_COUNT, {field(control.paid_field)} AS PAID FROM {RAW} "
        f"WHERE QUEUE_ID = ? AND {marker}",
        (queue_id, control.value),
    )
    if not found:
        return 0, None, None
    await tx.execute(f"DELETE FROM {RAW} WHERE QUEUE_ID = ? AND {marker}", (queue_id, control.value))
    return len(found), _whole(found[0]["ROW_COUNT"]), _amount(found[0]["PAID"])


def _whole(text: str | None) -> int | None:
    try:
        return int(str(text).strip().lstrip("0") or "0") if text not in (None, "") else None
    except ValueError:
        return None


def _amount(text: str | None) -> Decimal | None:
    if text in (None, ""):
        return None
    try:
        return Decimal(str(text).strip().replace("$", "").replace(",", ""))
    except InvalidOperation:
        return None


async def file_controls(queue_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not queue_ids:
        return {}
    rows = await warehouse().fetch_all(
        f"SELECT QUEUE_ID, LAYOUT_NAME, ROWS_IN_FILE, CONTROL_RECORDS, CONTROL_ROW_COUNT, CONTROL_PAID_TOTAL "
        f"FROM {CONTROLS} WHERE QUEUE_ID IN (SELECT f.VALUE::INTEGER FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS f)",
        (json.dumps(queue_ids),),
    )
    return {int(row["QUEUE_ID"]): row for row in rows}
