"""Views for Silver definitions: target schemas, physical tables and field mappings (S1-S11, S14-S20), and pages."""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from medallion.api import api, body_or_query, created, integer, json_object, text
from medallion.csv_export import csv_response
from medallion.errors import ApiError, validation_error
from medallion.pages import page, render_page, selected_tpa
from silver import automap, llm, mappings, schemas, tables
from tpa.services import get_tpa

MAX_CSV_BYTES = 5 * 1024 * 1024

DATA_TYPE_CHOICES = (
    "VARCHAR(100)", "VARCHAR(500)", "NUMBER(18,2)", "NUMBER(38,0)", "INTEGER", "FLOAT", "BOOLEAN", "DATE",
    "TIMESTAMP_NTZ", "VARIANT",
)  # fmt: skip


def _user(request: HttpRequest) -> str:
    return request.user.get_username()


# Schema definitions


@api("viewer")
async def list_schemas(request: HttpRequest) -> list[dict[str, Any]]:
    return await schemas.list_schema_columns(text(request.GET, "table_name", max_length=200))


@api("operator")
async def create_schema_column(request: HttpRequest) -> HttpResponse:
    result = await schemas.create_column(json_object(request), user=_user(request))
    return created({"message": "Target schema created successfully", **result})


@api("viewer")
async def schema_column_names(request: HttpRequest, table_name: str) -> list[str]:
    return [column["COLUMN_NAME"] for column in await schemas.schema_columns(table_name)]


@api("viewer")
async def cortex_models(request: HttpRequest) -> list[str]:
    return llm.available_models()


@api("operator")
async def update_schema_column(request: HttpRequest, schema_id: int) -> dict[str, Any]:
    result = await schemas.update_column(schema_id, json_object(request), user=_user(request))
    return {"message": "Target schema updated successfully", **result}


@api("operator")
async def delete_schema_column(request: HttpRequest, schema_id: int) -> dict[str, Any]:
    deleted = await schemas.delete_column(schema_id, user=_user(request))
    return {"message": "Target schema column deleted successfully", "mappings_deleted": deleted}


@api("operator")
async def delete_schema_table(request: HttpRequest, table_name: str) -> dict[str, Any]:
    counts = await schemas.delete_schema_table(table_name, user=_user(request))
    name = table_name.strip().upper()
    return {
        "message": f"Table schema '{name}' and all associated mappings and rules deleted successfully",
        **counts,
    }


# Physical tables


def _table_and_tpa(source: Any) -> tuple[str, str]:
    table = text(source, "table_name", required=True, max_length=200)
    tpa = text(source, "tpa", required=True, max_length=200)
    return str(table), str(tpa)


@api("viewer")
async def list_tables(request: HttpRequest) -> list[dict[str, Any]]:
    return await tables.list_tables(text(request.GET, "tpa", max_length=200))


@api("viewer")
async def table_exists(request: HttpRequest) -> dict[str, Any]:
    table, tpa = _table_and_tpa(request.GET)
    return await tables.table_exists(tpa, table)


@api("operator")
async def create_table(request: HttpRequest) -> HttpResponse:
    table, tpa = _table_and_tpa(body_or_query(request))
    return created(await tables.create_table(tpa, table, user=_user(request)))


@api("admin")
async def delete_table(request: HttpRequest) -> dict[str, Any]:
    table, tpa = _table_and_tpa(request.GET)
    name = await tables.delete_table(tpa, table, user=_user(request))
    return {
        "message": f"Table {name} and associated mappings and rules deleted successfully",
        "physical_table_name": name,
    }


# Field mappings


@api("viewer")
async def list_mappings(request: HttpRequest) -> list[dict[str, Any]]:
    source = request.GET
    return await mappings.list_mappings(
        text(source, "tpa", max_length=200), text(source, "target_table", max_length=200)
    )


@api("viewer")
async def validate_mappings(request: HttpRequest) -> dict[str, Any]:
    tpa = text(request.GET, "tpa", required=True, max_length=200)
    table = text(request.GET, "target_table", required=True, max_length=200)
    return await mappings.validate_mappings(tpa, table)


@api("operator")
async def create_mapping(request: HttpRequest) -> HttpResponse:
    mapping_id = await mappings.create_mapping(json_object(request), user=_user(request))
    return created({"message": "Field mapping created successfully", "mapping_id": mapping_id})


def _auto_map_target(body: dict[str, Any]) -> tuple[str, str]:
    source_table = text(body, "source_table", default=mappings.SOURCE_TABLE, max_length=200)
    if str(source_table).strip().upper() != mappings.SOURCE_TABLE:
        raise validation_error("source_table", f"Must be {mappings.SOURCE_TABLE}.")
    table = text(body, "target_table", required=True, max_length=200)
    tpa = text(body, "tpa", required=True, max_length=200)
    return str(tpa), str(table)


def _confidence(body: dict[str, Any]) -> float:
    value = body.get("min_confidence", 0.6)
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        raise validation_error("min_confidence", "Must be a number from 0 to 1.") from None
    if not 0 <= number <= 1:
        raise validation_error("min_confidence", "Must be a number from 0 to 1.")
    return number


@api("operator")
async def auto_map_ml(request: HttpRequest) -> dict[str, Any]:
    body = json_object(request)
    tpa, table = _auto_map_target(body)
    top_n = integer(body, "top_n", default=3, minimum=1, maximum=10)
    return await automap.auto_map_ml(
        tpa, table, top_n=int(top_n or 3), min_confidence=_confidence(body), user=_user(request)
    )


@api("operator")
async def auto_map_llm(request: HttpRequest) -> dict[str, Any]:
    body = json_object(request)
    tpa, table = _auto_map_target(body)
    model = text(body, "model_name", max_length=200)
    return await llm.auto_map_llm(tpa, table, model_name=model, user=_user(request))


@api("operator")
async def approve_mapping(request: HttpRequest, mapping_id: int) -> dict[str, Any]:
    await mappings.approve_mapping(mapping_id, user=_user(request))
    return {"message": "Mapping approved successfully", "mapping_id": mapping_id}


@api("operator")
async def delete_mapping(request: HttpRequest, mapping_id: int) -> dict[str, Any]:
    await mappings.delete_mapping(mapping_id, user=_user(request))
    return {"message": "Mapping declined and deleted successfully", "mapping_id": mapping_id}


@api("operator")
async def update_mapping(request: HttpRequest, mapping_id: int) -> dict[str, Any]:
    body = json_object(request)
    await mappings.update_mapping(mapping_id, body, user=_user(request))
    return {"message": "Mapping updated successfully", "mapping_id": mapping_id}


# Pages


def _uploaded_text(request: HttpRequest) -> str:
    upload = request.FILES.get("file")
    if upload is None:
        raise validation_error("file", "Choose a CSV file.")
    if upload.size > MAX_CSV_BYTES:
        raise validation_error("file", "The CSV file is larger than 5 MiB.")
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise validation_error("file", "The CSV file must be UTF-8 text.") from None


@page("viewer")
async def schemas_page(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for column in await schemas.list_schema_columns():
        grouped.setdefault(column["TABLE_NAME"], []).append(column)
    physical = await tables.list_tables(tpa)
    return await render_page(
        request,
        "silver/schemas.html",
        {
            "schema_tables": grouped,
            "physical_tables": physical,
            "physical_by_schema": {row["SCHEMA_TABLE"] for row in physical},
            "data_types": DATA_TYPE_CHOICES,
        },
    )


@page("viewer")
async def export_schemas(request: HttpRequest) -> HttpResponse:
    return csv_response(await schemas.export_csv(), "target_schemas.csv")


@page("operator")
async def import_schemas(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            columns = schemas.parse_csv(_uploaded_text(request))
            result = await schemas.import_columns(columns, user=_user(request))
            messages.success(
                request,
                f"Imported {result['columns_created']} column(s), skipped {result['columns_skipped']} existing; "
                f"physical tables altered: {', '.join(result['physical_tables_updated']) or 'none'}.",
            )
        except ApiError as error:
            messages.error(request, error.detail)
    return HttpResponseRedirect("/silver/schemas")


@page("viewer")
async def mappings_page(request: HttpRequest) -> HttpResponse:
    tpa_code = await selected_tpa(request)
    tables_available = await schemas.schema_tables()
    table = (request.GET.get("table") or "").upper()
    if table not in tables_available:
        table = tables_available[0] if tables_available else ""
    context: dict[str, Any] = {
        "table": table,
        "schema_table_names": tables_available,
        "llm_available": llm.llm_available(),
        "models": llm.available_models(),
        "rows": [],
        "source_fields": {},
        "target_columns": await schemas.list_schema_columns(table) if table else [],
    }
    if tpa_code and table:
        try:
            code = (await get_tpa(tpa_code))["TPA_CODE"]
        except ApiError as error:
            messages.error(request, error.detail)
        else:
            context.update(
                tpa=code,
                rows=mappings.annotate_duplicates(await mappings.list_mappings(code, table)),
                source_fields=await mappings.source_samples(code),
                table_state=await tables.table_exists(code, table),
            )
    if getattr(request, "role", None) == "admin":
        context["prompt_template"] = await llm.prompt_template() or llm.DEFAULT_TEMPLATE
    return await render_page(request, "silver/mappings.html", context)


@page("viewer")
async def export_mappings(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    if not tpa:
        return HttpResponseRedirect("/silver/mappings")
    content = await mappings.export_csv(tpa, request.GET.get("table") or None)
    return csv_response(content, f"mappings_{tpa}.csv")


@page("operator")
async def import_mappings(request: HttpRequest) -> HttpResponse:
    tpa = request.POST.get("tpa", "")
    table = request.POST.get("table", "")
    if request.method == "POST":
        try:
            result = await mappings.import_csv(tpa, _uploaded_text(request), user=_user(request))
            messages.success(
                request,
                f"Imported {result['mappings_created']} mapping(s); skipped {result['mappings_skipped']} "
                "whose target column was already mapped.",
            )
        except ApiError as error:
            messages.error(request, error.detail)
    return HttpResponseRedirect(f"/silver/mappings?{urlencode({'tpa': tpa, 'table': table})}")


@page("admin")
async def save_prompt_template(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            await llm.save_prompt_template(request.POST.get("template"), user=_user(request))
            messages.success(request, "LLM prompt template saved.")
        except ApiError as error:
            messages.error(request, error.detail)
    return HttpResponseRedirect("/silver/mappings")
