"""Field mappings: a TPA's Bronze source field -> a target column, optionally through a checked expression."""

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bronze.raw import source_fields
from medallion import audit
from medallion.caching import cached, invalidate
from medallion.clock import utc_now
from medallion.csv_export import read_records, safe_csv
from medallion.errors import ApiError, conflict, not_found, validation_error
from medallion.scope import in_scope, tpa_condition
from medallion.warehouse import Transaction, identifiers, warehouse
from medallion.warehouse.identifiers import quote, string_literal
from silver.expressions import ExpressionError, compile_expression
from silver.schemas import schema_columns
from silver.tables import physical_name
from tpa.services import get_tpa, require_active_tpa

MAPPING_COLUMNS = (
    "MAPPING_ID, SOURCE_FIELD, SOURCE_TABLE, TARGET_TABLE, TARGET_COLUMN, TPA, MAPPING_METHOD, TRANSFORMATION_LOGIC, "
    "CONFIDENCE_SCORE, APPROVED, APPROVED_BY, APPROVED_TIMESTAMP, DESCRIPTION, ACTIVE, CREATED_TIMESTAMP, "
    "UPDATED_TIMESTAMP"
)
SOURCE_TABLE = "RAW_DATA_TABLE"
MAX_SOURCE_FIELD = 500
SAMPLE_FIRST_ROWS_PER_FILE = 25
SAMPLE_RECORDS = 1000
SAMPLES_PER_FIELD = 20
CSV_HEADER = ("SOURCE_FIELD", "TARGET_TABLE", "TARGET_COLUMN", "TRANSFORMATION_LOGIC", "DESCRIPTION")
MAPPING_NAMESPACES = ("silver_mappings", "silver_tables")
INSERT_COLUMNS = (
    "TPA", "SOURCE_FIELD", "SOURCE_TABLE", "TARGET_TABLE", "TARGET_COLUMN", "MAPPING_METHOD", "TRANSFORMATION_LOGIC",
    "TRANSFORM_EXPRESSION", "CONFIDENCE_SCORE", "APPROVED", "APPROVED_BY", "APPROVED_TIMESTAMP", "DESCRIPTION",
    "CREATED_BY",
)  # fmt: skip


@cached("silver_mappings", ttl=300)
async def list_mappings(tpa: str | None = None, target_table: str | None = None) -> list[dict[str, Any]]:
    """API rows of active mappings, ordered by TARGET_TABLE then MAPPING_ID; filters are case-insensitive."""
    scoped, params = tpa_condition("TPA", tpa.strip() if tpa else None)
    conditions = ["ACTIVE = TRUE", *([scoped] if scoped else [])]
    if target_table:
        conditions.append("TARGET_TABLE = ?")
        params.append(target_table.strip().upper())
    return await warehouse().fetch_all(
        f"SELECT {MAPPING_COLUMNS} FROM SILVER.FIELD_MAPPINGS WHERE {' AND '.join(conditions)} "
        "ORDER BY TARGET_TABLE, MAPPING_ID",
        params,
    )


@cached("silver_mappings", ttl=300)
async def overview() -> list[dict[str, Any]]:
    """Active mappings per TPA (of the scope) and target table: total, approved, pending and mean confidence."""
    scoped, params = tpa_condition("TPA", None)
    return await warehouse().fetch_all(
        "SELECT TPA, TARGET_TABLE, COUNT(*) AS TOTAL, COUNT_IF(APPROVED) AS APPROVED, "
        "COUNT_IF(NOT APPROVED) AS PENDING, AVG(CONFIDENCE_SCORE) AS MEAN_CONFIDENCE "
        f"FROM SILVER.FIELD_MAPPINGS WHERE ACTIVE = TRUE{' AND ' + scoped if scoped else ''} "
        "GROUP BY TPA, TARGET_TABLE ORDER BY TPA, TARGET_TABLE",
        params,
    )


async def approved_mappings(tpa: str, schema_table: str) -> list[dict[str, Any]]:
    """Approved mappings of (TPA, schema table) with the validated TRANSFORM_EXPRESSION (None = the raw value)."""
    return await warehouse().fetch_all(
        "SELECT MAPPING_ID, SOURCE_FIELD, TARGET_COLUMN, TRANSFORM_EXPRESSION, MAPPING_METHOD "
        "FROM SILVER.FIELD_MAPPINGS WHERE TPA = ? AND TARGET_TABLE = ? AND APPROVED = TRUE AND ACTIVE = TRUE "
        "ORDER BY TARGET_COLUMN, MAPPING_ID",
        (tpa.upper(), schema_table.upper()),
    )


def annotate_duplicates(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Flag one source mapped to several targets and several sources mapped to one target (per TPA and table)."""
    sources = Counter((row["TPA"], row["TARGET_TABLE"], row["SOURCE_FIELD"]) for row in rows)
    targets = Counter((row["TPA"], row["TARGET_TABLE"], row["TARGET_COLUMN"]) for row in rows)
    return [
        {
            **row,
            "DUPLICATE_SOURCE": sources[(row["TPA"], row["TARGET_TABLE"], row["SOURCE_FIELD"])] > 1,
            "DUPLICATE_TARGET": targets[(row["TPA"], row["TARGET_TABLE"], row["TARGET_COLUMN"])] > 1,
        }
        for row in rows
    ]


async def source_samples(tpa: str) -> dict[str, list[str]]:
    """Bronze keys of the TPA with distinct sample values, from the first rows of its most recent files."""
    rows = await warehouse().fetch_all(
        "SELECT f.KEY AS SOURCE_FIELD, ARRAY_AGG(DISTINCT f.VALUE::VARCHAR) AS SAMPLES "
        "FROM (SELECT RAW_DATA FROM BRONZE.RAW_DATA_TABLE WHERE TPA = ? AND FILE_ROW_NUMBER <= ? "
        f"ORDER BY RECORD_ID DESC {identifiers.limit(SAMPLE_RECORDS)}) r, LATERAL FLATTEN(input => r.RAW_DATA) f "
        "GROUP BY f.KEY",
        (tpa, SAMPLE_FIRST_ROWS_PER_FILE),
        timeout=60,
    )
    samples = {row["SOURCE_FIELD"]: _json_list(row["SAMPLES"])[:SAMPLES_PER_FIELD] for row in rows}
    return dict(sorted(samples.items()))


async def source_layouts(tpa: str) -> list[dict[str, list[str]]]:
    """The distinct header layouts among the TPA's recent files (a TPA sends claims of several kinds and its
    eligibility in differently laid out files), each with sample values per field."""
    rows = await warehouse().fetch_all(
        "SELECT r.QUEUE_ID, r.SHEET_NAME, f.KEY AS SOURCE_FIELD, ARRAY_AGG(DISTINCT f.VALUE::VARCHAR) AS SAMPLES "
        "FROM (SELECT QUEUE_ID, SHEET_NAME, RAW_DATA FROM BRONZE.RAW_DATA_TABLE WHERE TPA = ? AND FILE_ROW_NUMBER <= ? "
        f"ORDER BY RECORD_ID DESC {identifiers.limit(SAMPLE_RECORDS)}) r, LATERAL FLATTEN(input => r.RAW_DATA) f "
        "GROUP BY r.QUEUE_ID, r.SHEET_NAME, f.KEY",
        (tpa, SAMPLE_FIRST_ROWS_PER_FILE),
        timeout=60,
    )
    files: dict[tuple[Any, Any], dict[str, list[str]]] = {}
    for row in rows:
        files.setdefault((row["QUEUE_ID"], row["SHEET_NAME"]), {})[row["SOURCE_FIELD"]] = _json_list(row["SAMPLES"])[
            :SAMPLES_PER_FIELD
        ]
    layouts: dict[frozenset[str], dict[str, list[str]]] = {}
    for fields in files.values():
        layouts.setdefault(frozenset(fields), fields)
    return [dict(sorted(fields.items())) for fields in layouts.values()]


def _json_list(value: Any) -> list[str]:
    values = json.loads(value) if isinstance(value, str) else value or []
    return [str(item) for item in values if item is not None]


async def require_source_data(tpa: str) -> dict[str, list[str]]:
    samples = await source_samples(tpa)
    if not samples:
        raise conflict("no_source_data", f"There are no Bronze raw records for TPA {tpa}; load a file first.")
    return samples


async def _source_field_exists(tpa: str, field: str) -> bool:
    if field in await source_samples(tpa):
        return True
    row = await warehouse().fetch_one(
        "SELECT 1 AS X FROM BRONZE.RAW_DATA_TABLE r, LATERAL FLATTEN(input => r.RAW_DATA) f "
        "WHERE r.TPA = ? AND f.KEY = ? LIMIT 1",
        (tpa, field),
        timeout=120,
    )
    return row is not None


def checked_source_field(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise validation_error("source_field", "This field is required.")
    if len(value) > MAX_SOURCE_FIELD:
        raise validation_error("source_field", f"Must be at most {MAX_SOURCE_FIELD} characters.")
    return value


def field_sql(field: str) -> str:
    """A raw record's field as text."""
    return f"RAW_DATA[{string_literal(field)}]::VARCHAR"


def expression_variables(source_field: str, record_fields: Iterable[str]) -> dict[str, str]:
    """What a mapping expression may name: `src`, the mapping's source field, and every field of the same record
    by its own name (double-quoted when it is not a plain name, e.g. "First Name"); names are case-insensitive,
    so a field whose name differs from another's only by case is left out."""
    variables, taken = {"src": field_sql(source_field)}, {"SRC"}
    for field in record_fields:
        if field.upper() not in taken:
            variables[field] = field_sql(field)
            taken.add(field.upper())
    return variables


def checked_expression(value: object, record_fields: Iterable[str] = ()) -> str | None:
    """The expression text after the allow-list check (`src` and the record's fields); None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise validation_error("transformation_logic", "Must be a string.", code="invalid_transformation_logic")
    try:
        compile_expression(value, variables=expression_variables("src", record_fields))
    except ExpressionError as error:
        raise validation_error("transformation_logic", str(error), code="invalid_transformation_logic") from None
    return value.strip()


def _target_column(columns: Iterable[Mapping[str, Any]], value: object, table: str) -> str:
    wanted = value.strip().upper() if isinstance(value, str) else ""
    if not wanted:
        raise validation_error("target_column", "This field is required.")
    if wanted not in {column["COLUMN_NAME"] for column in columns}:
        raise validation_error(
            "target_column", f"{table} has no column {wanted[:130]!r}.", code="target_column_not_found"
        )
    return wanted


def _required(body: Mapping[str, Any], *fields: str) -> None:
    for field in fields:
        value = body.get(field)
        if value is not None and not isinstance(value, str):
            raise validation_error(field, "Must be a string.")
        if value is None or not value.strip():
            raise validation_error(field, "This field is required.")


async def _checked_manual(body: Mapping[str, Any]) -> dict[str, Any]:
    _required(body, "source_field", "target_table", "target_column", "tpa")
    source_field = checked_source_field(body.get("source_field"))
    code = (await get_tpa(body["tpa"]))["TPA_CODE"]
    columns = await schema_columns(body["target_table"])
    table = columns[0]["TABLE_NAME"]
    await require_active_tpa(code)
    target = _target_column(columns, body["target_column"], table)
    expression = checked_expression(body.get("transformation_logic"), await source_fields(code))
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        raise validation_error("description", "Must be a string.")
    if not await _source_field_exists(code, source_field):
        raise validation_error("source_field", f"TPA {code} has no raw data with the field {source_field[:100]!r}.")
    return {
        "TPA": code,
        "SOURCE_FIELD": source_field,
        "TARGET_TABLE": table,
        "TARGET_COLUMN": target,
        "EXPRESSION": expression,
        "DESCRIPTION": (description or "").strip()[:2000] or None,
    }


def _manual_row(mapping: Mapping[str, Any], user: str | None, now: datetime) -> dict[str, Any]:
    return {
        "TPA": mapping["TPA"],
        "SOURCE_FIELD": mapping["SOURCE_FIELD"],
        "SOURCE_TABLE": SOURCE_TABLE,
        "TARGET_TABLE": mapping["TARGET_TABLE"],
        "TARGET_COLUMN": mapping["TARGET_COLUMN"],
        "MAPPING_METHOD": "MANUAL",
        "TRANSFORMATION_LOGIC": mapping["EXPRESSION"],
        "TRANSFORM_EXPRESSION": mapping["EXPRESSION"],
        "CONFIDENCE_SCORE": None,
        "APPROVED": True,
        "APPROVED_BY": user,
        "APPROVED_TIMESTAMP": now,
        "DESCRIPTION": mapping["DESCRIPTION"],
        "CREATED_BY": user,
    }


async def _insert_mappings(tx: Transaction, rows: Sequence[Mapping[str, Any]]) -> None:
    columns = [quote(column) for column in INSERT_COLUMNS]
    await tx.insert_rows(quote("SILVER", "FIELD_MAPPINGS"), columns, [[row[c] for c in INSERT_COLUMNS] for row in rows])


async def create_mapping(body: Mapping[str, Any], *, user: str | None) -> int:
    """A MANUAL mapping, approved at once by its creator."""
    mapping = await _checked_manual(body)
    key = (mapping["TPA"], mapping["TARGET_TABLE"], mapping["TARGET_COLUMN"])
    async with warehouse().transaction() as tx:
        await _refuse_duplicate_target(tx, key)
        row = _manual_row(mapping, user, utc_now())
        mapping_id = await tx.insert("SILVER.FIELD_MAPPINGS", row, id_column="MAPPING_ID")
        await audit.record(user, "CREATE", "FIELD_MAPPING", mapping_id, tpa=key[0], after=row, within=tx)
    await invalidate(*MAPPING_NAMESPACES)
    return mapping_id


async def _refuse_duplicate_target(tx: Transaction, key: tuple[str, str, str]) -> None:
    """A manual mapping (created, or edited onto another target column) may not take a target that an active
    mapping already has (auto-mapping's alternative suggestions are the only way to several): 409."""
    existing = await tx.fetch_one(
        "SELECT MAPPING_ID FROM SILVER.FIELD_MAPPINGS WHERE TPA = ? AND TARGET_TABLE = ? AND TARGET_COLUMN = ? "
        "AND ACTIVE = TRUE",
        key,
    )
    if existing:
        raise conflict(
            "mapping_exists",
            f"Mapping {existing['MAPPING_ID']} already targets {key[1]}.{key[2]} for {key[0]}; "
            "edit, approve or delete it instead.",
        )


async def _mapping(mapping_id: int) -> dict[str, Any]:
    row = await warehouse().fetch_one(
        f"SELECT {MAPPING_COLUMNS}, TRANSFORM_EXPRESSION FROM SILVER.FIELD_MAPPINGS "
        "WHERE MAPPING_ID = ? AND ACTIVE = TRUE",
        (mapping_id,),
    )
    if row is None or not in_scope(row["TPA"]):
        raise not_found("mapping_not_found", f"Mapping {mapping_id} not found.")
    return row


async def approve_mapping(mapping_id: int, *, user: str | None) -> None:
    """Approve a mapping, idempotent: the first approval records who and when."""
    current = await _mapping(mapping_id)
    if current["APPROVED"]:
        return
    async with warehouse().transaction() as tx:
        await tx.execute(
            "UPDATE SILVER.FIELD_MAPPINGS SET APPROVED = TRUE, APPROVED_BY = ?, APPROVED_TIMESTAMP = ?, "
            "UPDATED_TIMESTAMP = CURRENT_TIMESTAMP() WHERE MAPPING_ID = ?",
            (user, utc_now(), mapping_id),
        )
        await audit.record(user, "APPROVE", "FIELD_MAPPING", mapping_id, tpa=current["TPA"], before=current, within=tx)
    await invalidate(*MAPPING_NAMESPACES)


async def delete_mapping(mapping_id: int, *, user: str | None) -> None:
    """Decline a suggestion or delete a mapping, permanently."""
    current = await _mapping(mapping_id)
    async with warehouse().transaction() as tx:
        await tx.execute("DELETE FROM SILVER.FIELD_MAPPINGS WHERE MAPPING_ID = ?", (mapping_id,))
        await audit.record(user, "DELETE", "FIELD_MAPPING", mapping_id, tpa=current["TPA"], before=current, within=tx)
    await invalidate(*MAPPING_NAMESPACES)


async def update_mapping(mapping_id: int, body: Mapping[str, Any], *, user: str | None) -> dict[str, Any]:
    """Review edit: change the source field, target column, expression or description of a mapping."""
    current = await _mapping(mapping_id)
    columns = await schema_columns(current["TARGET_TABLE"])
    after = {
        "SOURCE_FIELD": current["SOURCE_FIELD"],
        "TARGET_COLUMN": current["TARGET_COLUMN"],
        "TRANSFORMATION_LOGIC": current["TRANSFORMATION_LOGIC"],
        "TRANSFORM_EXPRESSION": current["TRANSFORM_EXPRESSION"],
        "DESCRIPTION": current["DESCRIPTION"],
    }
    if "source_field" in body:
        after["SOURCE_FIELD"] = checked_source_field(body["source_field"])
        if not await _source_field_exists(current["TPA"], after["SOURCE_FIELD"]):
            raise validation_error("source_field", f"TPA {current['TPA']} has no raw data with that field.")
    if "target_column" in body:
        after["TARGET_COLUMN"] = _target_column(columns, body["target_column"], current["TARGET_TABLE"])
    if "transformation_logic" in body:
        expression = checked_expression(body["transformation_logic"], await source_fields(current["TPA"]))
        after["TRANSFORMATION_LOGIC"] = after["TRANSFORM_EXPRESSION"] = expression
    if "description" in body:
        if body["description"] is not None and not isinstance(body["description"], str):
            raise validation_error("description", "Must be a string.")
        after["DESCRIPTION"] = (body["description"] or "").strip()[:2000] or None
    async with warehouse().transaction() as tx:
        if after["TARGET_COLUMN"] != current["TARGET_COLUMN"]:
            await _refuse_duplicate_target(tx, (current["TPA"], current["TARGET_TABLE"], after["TARGET_COLUMN"]))
        await tx.execute(
            "UPDATE SILVER.FIELD_MAPPINGS SET SOURCE_FIELD = ?, TARGET_COLUMN = ?, TRANSFORMATION_LOGIC = ?, "
            "TRANSFORM_EXPRESSION = ?, DESCRIPTION = ?, UPDATED_TIMESTAMP = CURRENT_TIMESTAMP() WHERE MAPPING_ID = ?",
            (*after.values(), mapping_id),
        )
        await audit.record(
            user, "UPDATE", "FIELD_MAPPING", mapping_id, tpa=current["TPA"], before=current, after=after, within=tx
        )
    await invalidate(*MAPPING_NAMESPACES)
    return {**current, **after}


async def validate_mappings(tpa: object, target_table: object) -> dict[str, Any]:
    """Validate the approved mappings against the physical table's columns."""
    code = (await get_tpa(tpa))["TPA_CODE"]
    table = str(target_table).strip().upper()
    physical = physical_name(code, table)
    approved = [row for row in await list_mappings(code, table) if row["APPROVED"]]
    if not approved:
        return _validation_report(False, "No approved mappings found", [], [], 0, physical)
    rows = await warehouse().fetch_all(
        "SELECT COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'SILVER' AND TABLE_NAME = ?",
        (physical,),
    )
    present = {row["COLUMN_NAME"] for row in rows}
    errors = [
        {
            "mapping_id": row["MAPPING_ID"],
            "source_field": row["SOURCE_FIELD"],
            "target_column": row["TARGET_COLUMN"],
            "error": f"Column {row['TARGET_COLUMN']} does not exist in {physical}"
            if present
            else f"Physical table {physical} does not exist",
        }
        for row in approved
        if row["TARGET_COLUMN"] not in present
    ]
    per_target = Counter(row["TARGET_COLUMN"] for row in approved)
    warnings = [
        {"target_column": column, "warning": f"{count} source fields map to {column}"}
        for column, count in sorted(per_target.items())
        if count > 1
    ]
    message = "All approved mappings are valid" if not errors else f"{len(errors)} approved mapping(s) are invalid"
    return _validation_report(not errors, message, errors, warnings, len(approved), physical)


def _validation_report(
    valid: bool, message: str, errors: list[Any], warnings: list[Any], total: int, physical: str
) -> dict[str, Any]:
    return {
        "valid": valid,
        "message": message,
        "errors": errors,
        "warnings": warnings,
        "total_mappings": total,
        "physical_table": physical,
    }


async def replace_suggestions(
    tpa: str, schema_table: str, method: str, suggestions: Sequence[Mapping[str, Any]], *, user: str | None
) -> int:
    """Store unapproved suggestions of one method, replacing that method's earlier unapproved ones.

    Each suggestion has SOURCE_FIELD, TARGET_COLUMN, CONFIDENCE_SCORE, TRANSFORMATION_LOGIC, DESCRIPTION.
    Callers leave out targets and sources already covered by approved mappings."""
    rows = [
        {
            "TPA": tpa,
            "SOURCE_FIELD": item["SOURCE_FIELD"],
            "SOURCE_TABLE": SOURCE_TABLE,
            "TARGET_TABLE": schema_table,
            "TARGET_COLUMN": item["TARGET_COLUMN"],
            "MAPPING_METHOD": method,
            "TRANSFORMATION_LOGIC": (item.get("TRANSFORMATION_LOGIC") or "")[:2000] or None,
            "TRANSFORM_EXPRESSION": None,
            "CONFIDENCE_SCORE": item["CONFIDENCE_SCORE"],
            "APPROVED": False,
            "APPROVED_BY": None,
            "APPROVED_TIMESTAMP": None,
            "DESCRIPTION": (item.get("DESCRIPTION") or "")[:2000] or None,
            "CREATED_BY": user,
        }
        for item in suggestions
    ]
    async with warehouse().transaction() as tx:
        await tx.execute(
            "DELETE FROM SILVER.FIELD_MAPPINGS WHERE TPA = ? AND TARGET_TABLE = ? AND MAPPING_METHOD = ? "
            "AND APPROVED = FALSE",
            (tpa, schema_table, method),
        )
        await _insert_mappings(tx, rows)
        await audit.record(
            user,
            "AUTO_MAP",
            "FIELD_MAPPING",
            f"{tpa}/{schema_table}",
            tpa=tpa,
            after={"method": method, "created": len(rows)},
            within=tx,
        )
    await invalidate(*MAPPING_NAMESPACES)
    return len(rows)


async def covered_by_approved(tpa: str, schema_table: str) -> tuple[set[str], set[str]]:
    """(source fields, target columns) already used by approved mappings: auto-mapping leaves them alone."""
    approved = [row for row in await list_mappings(tpa, schema_table) if row["APPROVED"]]
    return {row["SOURCE_FIELD"] for row in approved}, {row["TARGET_COLUMN"] for row in approved}


async def export_csv(tpa: object, target_table: str | None = None) -> str:
    code = (await get_tpa(tpa))["TPA_CODE"]
    return safe_csv(
        (*CSV_HEADER, "MAPPING_METHOD", "CONFIDENCE_SCORE", "APPROVED"),
        (
            (
                row["SOURCE_FIELD"],
                row["TARGET_TABLE"],
                row["TARGET_COLUMN"],
                ("" if row["MAPPING_METHOD"] == "ML_AUTO" else row["TRANSFORMATION_LOGIC"]) or "",
                row["DESCRIPTION"] or "",
                row["MAPPING_METHOD"],
                "" if row["CONFIDENCE_SCORE"] is None else row["CONFIDENCE_SCORE"],
                "Y" if row["APPROVED"] else "N",
            )
            for row in await list_mappings(code, target_table)
        ),
    )


async def import_csv(tpa: object, text: str, *, user: str | None) -> dict[str, Any]:
    """Create MANUAL (approved) mappings from CSV rows; every row is checked like a single new
    mapping and errors name the line. Rows whose target already has an active mapping are skipped."""
    code = (await require_active_tpa(tpa))["TPA_CODE"]
    header, records = read_records(text)
    missing = [key for key in CSV_HEADER[:3] if key not in header]
    if missing:
        raise validation_error("file", f"The CSV header lacks {', '.join(missing)}.")
    taken = {(row["TARGET_TABLE"], row["TARGET_COLUMN"]) for row in await list_mappings(code)}
    mappings, skipped = [], 0
    for line, record in enumerate(records, start=2):
        body = {
            "tpa": code,
            "source_field": record.get("SOURCE_FIELD"),
            "target_table": record.get("TARGET_TABLE"),
            "target_column": record.get("TARGET_COLUMN"),
            "transformation_logic": record.get("TRANSFORMATION_LOGIC"),
            "description": record.get("DESCRIPTION"),
        }
        try:
            mapping = await _checked_manual(body)
        except ApiError as error:
            raise validation_error("file", f"Line {line}: {error.detail}", code=error.code) from None
        key = (mapping["TARGET_TABLE"], mapping["TARGET_COLUMN"])
        if key in taken:
            skipped += 1
            continue
        taken.add(key)
        mappings.append(mapping)
    now = utc_now()
    rows = [_manual_row(mapping, user, now) for mapping in mappings]
    if rows:
        async with warehouse().transaction() as tx:
            await _insert_mappings(tx, rows)
            await audit.record(user, "IMPORT", "FIELD_MAPPING", f"{len(rows)} mappings", tpa=code, within=tx)
        await invalidate(*MAPPING_NAMESPACES)
    return {"mappings_created": len(rows), "mappings_skipped": skipped}
