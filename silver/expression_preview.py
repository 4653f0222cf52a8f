"""A mapping expression tried on the TPA's own raw values before anyone saves it: what it gives for each sample,
whether it failed to convert a value, and what the target column's type makes of the result."""

from typing import Any

from bronze.raw import source_fields
from medallion.errors import validation_error
from medallion.warehouse import identifiers, warehouse
from medallion.warehouse.identifiers import string_literal
from silver.expressions import ExpressionError, compile_guarded_conversion
from silver.mappings import checked_source_field, expression_variables, field_sql
from silver.transform_catalog import schema_columns
from silver.transform_sql import converted
from tpa.conversions import conversions_of
from tpa.services import get_tpa

MAX_SAMPLES = 50


async def preview(
    tpa: object, source_field: object, expression: object, target_table: object = None, target_column: object = None,
    samples: int = 10,
) -> dict[str, Any]:  # fmt: skip
    code = (await get_tpa(tpa))["TPA_CODE"]
    field = checked_source_field(source_field)
    fields = await source_fields(code)
    if field not in fields:
        raise validation_error("source_field", f"TPA {code} has no raw data with the field {field[:100]!r}.")
    text = expression.strip() if isinstance(expression, str) and expression.strip() else "src"
    try:
        guarded = compile_guarded_conversion(text, variables=expression_variables(field, fields))
    except ExpressionError as error:
        raise validation_error("transformation_logic", str(error), code="invalid_transformation_logic") from None
    data_type = await _target_type(target_table, target_column)
    typed = converted('"RESULT"', data_type, await conversions_of(code)) if data_type else "NULL"
    rows = await warehouse().fetch_all(
        f'SELECT "RECORD_ID", "SOURCE_VALUE", "RESULT", "CONVERSION_FAILED", CAST({typed} AS VARCHAR) AS "TYPED" '
        f'FROM (SELECT RECORD_ID AS "RECORD_ID", {field_sql(field)} AS "SOURCE_VALUE", '
        f"NULLIF(CAST({guarded.sql} AS VARCHAR), '') AS \"RESULT\", "
        f'COALESCE({guarded.conversion_failed or "FALSE"}, FALSE) AS "CONVERSION_FAILED" '
        f"FROM BRONZE.RAW_DATA_TABLE WHERE TPA = ? AND RAW_DATA[{string_literal(field)}] IS NOT NULL "
        f"ORDER BY RECORD_ID {identifiers.limit(max(1, min(samples, MAX_SAMPLES)))}) AS s",
        (code,),
    )
    return {
        "tpa": code,
        "source_field": field,
        "transformation_logic": text,
        "target_type": data_type,
        "samples": [_described(row, data_type) for row in rows],
    }


async def _target_type(target_table: object, target_column: object) -> str | None:
    if not target_table or not target_column:
        return None
    wanted = str(target_column).strip().upper()
    column = next((c for c in await schema_columns(str(target_table)) if c.name == wanted), None)
    if column is None:
        raise validation_error("target_column", f"{str(target_table).upper()} has no column {wanted[:130]!r}.")
    return column.data_type


def _described(row: dict[str, Any], data_type: str | None) -> dict[str, Any]:
    if row["CONVERSION_FAILED"] and row["RESULT"] is None:
        problem = "the expression could not convert this value (the record would be quarantined)"
    elif data_type and row["RESULT"] is not None and row["TYPED"] is None:
        problem = f"the result does not convert to {data_type} (the record would be quarantined)"
    else:
        problem = None
    return {
        "record_id": row["RECORD_ID"],
        "source_value": row["SOURCE_VALUE"],
        "result": row["RESULT"],
        "typed_value": row["TYPED"],
        "problem": problem,
    }
