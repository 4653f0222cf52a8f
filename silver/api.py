"""JSON views of Silver: target schemas, physical tables, mappings, transform, rules, data, quality, quarantine."""

from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from medallion.csv_export import csv_response
from medallion.decorators import api
from medallion.http import body_or_query, created, json_object, username
from medallion.paging import window
from silver import (
    automap,
    claim_versions,
    expression_preview,
    flags,
    lineage,
    llm,
    mappings,
    quality,
    quarantine,
    rules,
    schemas,
    tables,
    transform,
    viewer,
)
from silver.forms import (
    AutoMapForm,
    BatchForm,
    FlagFilterForm,
    MappingFilterForm,
    PreviewForm,
    TpaTargetForm,
    TransformForm,
    browse_options,
    tpa_and_table,
)
from silver.transform_catalog import physical_table
from silver.x12_mapping import apply_837_mapping
from tpa.forms import tpa_filter, tpa_param


@api("viewer")
async def list_schemas(request: HttpRequest) -> list[dict[str, Any]]:
    return await schemas.list_schema_columns(
        MappingFilterForm.parse({"target_table": request.GET.get("table_name")})["target_table"]
    )


@api("operator")
async def create_schema_column(request: HttpRequest) -> HttpResponse:
    result = await schemas.create_column(json_object(request), user=username(request))
    return created({"message": "Target schema created successfully", **result})


@api("viewer")
async def schema_column_names(request: HttpRequest, table_name: str) -> list[str]:
    return [column["COLUMN_NAME"] for column in await schemas.schema_columns(table_name)]


@api("viewer")
async def cortex_models(request: HttpRequest) -> list[str]:
    return llm.available_models()


@api("operator")
async def update_schema_column(request: HttpRequest, schema_id: int) -> dict[str, Any]:
    result = await schemas.update_column(schema_id, json_object(request), user=username(request))
    return {"message": "Target schema updated successfully", **result}


@api("operator")
async def delete_schema_column(request: HttpRequest, schema_id: int) -> dict[str, Any]:
    deleted = await schemas.delete_column(schema_id, user=username(request))
    return {"message": "Target schema column deleted successfully", "mappings_deleted": deleted}


@api("operator")
async def delete_schema_table(request: HttpRequest, table_name: str) -> dict[str, Any]:
    counts = await schemas.delete_schema_table(table_name, user=username(request))
    name = table_name.strip().upper()
    return {
        "message": f"Table schema '{name}' and all associated mappings and rules deleted successfully",
        **counts,
    }


@api("viewer")
async def list_tables(request: HttpRequest) -> list[dict[str, Any]]:
    return await tables.list_tables(tpa_filter(request.GET))


@api("viewer")
async def table_exists(request: HttpRequest) -> dict[str, Any]:
    tpa, table = tpa_and_table(request.GET)
    return await tables.table_exists(tpa, table)


@api("operator")
async def create_table(request: HttpRequest) -> HttpResponse:
    tpa, table = tpa_and_table(body_or_query(request))
    return created(await tables.create_table(tpa, table, user=username(request)))


@api("admin")
async def delete_table(request: HttpRequest) -> dict[str, Any]:
    tpa, table = tpa_and_table(request.GET)
    name = await tables.delete_table(tpa, table, user=username(request))
    return {
        "message": f"Table {name} and associated mappings and rules deleted successfully",
        "physical_table_name": name,
    }


@api("viewer")
async def list_mappings(request: HttpRequest) -> list[dict[str, Any]]:
    chosen = MappingFilterForm.parse(request.GET)
    return await mappings.list_mappings(chosen["tpa"], chosen["target_table"])


@api("viewer")
async def validate_mappings(request: HttpRequest) -> dict[str, Any]:
    chosen = TpaTargetForm.parse(request.GET)
    return await mappings.validate_mappings(chosen["tpa"], chosen["target_table"])


@api("operator")
async def create_mapping(request: HttpRequest) -> HttpResponse:
    mapping_id = await mappings.create_mapping(json_object(request), user=username(request))
    return created({"message": "Field mapping created successfully", "mapping_id": mapping_id})


@api("operator")
async def auto_map_ml(request: HttpRequest) -> dict[str, Any]:
    chosen = AutoMapForm.parse(json_object(request))
    return await automap.auto_map_ml(
        chosen["tpa"],
        chosen["target_table"],
        top_n=chosen["top_n"],
        min_confidence=chosen["min_confidence"],
        user=username(request),
    )


@api("operator")
async def auto_map_llm(request: HttpRequest) -> dict[str, Any]:
    chosen = AutoMapForm.parse(json_object(request))
    return await llm.auto_map_llm(
        chosen["tpa"], chosen["target_table"], model_name=chosen["model_name"], user=username(request)
    )


@api("operator")
async def approve_mapping(request: HttpRequest, mapping_id: int) -> dict[str, Any]:
    await mappings.approve_mapping(mapping_id, user=username(request))
    return {"message": "Mapping approved successfully", "mapping_id": mapping_id}


@api("operator")
async def delete_mapping(request: HttpRequest, mapping_id: int) -> dict[str, Any]:
    await mappings.delete_mapping(mapping_id, user=username(request))
    return {"message": "Mapping declined and deleted successfully", "mapping_id": mapping_id}


@api("operator")
async def update_mapping(request: HttpRequest, mapping_id: int) -> dict[str, Any]:
    body = json_object(request)
    await mappings.update_mapping(mapping_id, body, user=username(request))
    return {"message": "Mapping updated successfully", "mapping_id": mapping_id}


@api("operator")
async def run_transform(request: HttpRequest) -> dict[str, Any]:
    chosen = TransformForm.parse(json_object(request))
    outcome = await transform.transform(
        chosen["tpa"],
        chosen["target_table"],
        incremental=chosen["incremental"],
        apply_rules=chosen["apply_rules"],
        user=username(request),
    )
    return outcome.as_response()


@api("viewer")
async def transform_history(request: HttpRequest) -> list[dict[str, Any]]:
    rows = window(request, transform.HISTORY_LIMIT, 1000)
    return await transform.history(request.GET.get("tpa"), request.GET.get("table_name"), rows.limit, rows.offset)


@api("viewer")
async def transform_batch(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    return await transform.get_batch(batch_id)


@api("viewer")
async def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    return await rules.list_rules(request.GET.get("tpa") or None, request.GET.get("table_name") or None)


@api("operator")
async def create_rule(request: HttpRequest) -> HttpResponse:
    return created(await rules.create_rule(json_object(request), user=username(request)))


@api("operator")
async def update_rule(request: HttpRequest, rule_id: int) -> dict[str, Any]:
    return await rules.update_rule(rule_id, json_object(request), user=username(request))


@api("operator")
async def delete_rule(request: HttpRequest, rule_id: int) -> dict[str, Any]:
    await rules.delete_rule(rule_id, user=username(request))
    return {"message": "Rule deleted successfully", "rule_id": rule_id}


@api("viewer")
async def silver_data(request: HttpRequest) -> dict[str, Any]:
    tpa, table = tpa_and_table(request.GET)
    rows = window(request, 100, 5000)
    return await viewer.page(tpa, table, browse_options(request.GET), rows.limit, rows.offset)


@api("viewer")
async def silver_data_export(request: HttpRequest) -> StreamingHttpResponse:
    tpa, table = tpa_and_table(request.GET)
    return csv_response(*await viewer.export(tpa, table, browse_options(request.GET)))


@api("viewer")
async def silver_data_stats(request: HttpRequest) -> dict[str, Any]:
    return await quality.table_stats(*tpa_and_table(request.GET))


@api("operator")
async def quality_check(request: HttpRequest) -> dict[str, Any]:
    params = body_or_query(request)
    tpa, table = tpa_and_table(params)
    table_text = str(params["table_name"])
    physical, batch_id, score = await quality.check(tpa, table, BatchForm.parse(params)["batch_id"])
    return {
        "success": True,
        "message": f"Data quality check complete for {physical.name}. Score: {score:.1f}%. Batch ID: {batch_id}",
        "table_name": table_text,
        "physical_table_name": physical.name,
        "tpa": physical.tpa,
        "batch_id": batch_id,
        "quality_score": score,
    }


@api("operator")
async def quality_check_all(request: HttpRequest) -> dict[str, Any]:
    params = body_or_query(request)
    code, batch_id, checked = await quality.check_all(tpa_param(params), BatchForm.parse(params)["batch_id"])
    return {
        "success": True,
        "message": f"Data Quality Checks Complete. Checked {checked} tables for TPA: {code}. Batch ID: {batch_id}",
        "tpa": code,
        "batch_id": batch_id,
        "tables_checked": checked,
    }


@api("viewer")
async def quality_summary(request: HttpRequest) -> list[dict[str, Any]]:
    return await quality.summary(request.GET.get("tpa") or None)


@api("viewer")
async def quality_failures(request: HttpRequest) -> list[dict[str, Any]]:
    rows = window(request, 100, 1000)
    return await quality.failures(
        request.GET.get("tpa") or None, request.GET.get("table_name") or None, rows.limit, rows.offset
    )


@api("viewer")
async def quality_trends(request: HttpRequest) -> list[dict[str, Any]]:
    tpa = tpa_param(request.GET)
    rows = window(request, 50, 1000)
    return await quality.trends(tpa, request.GET.get("table_name") or None, rows.limit, rows.offset)


@api("viewer")
async def quality_metrics(request: HttpRequest) -> dict[str, Any]:
    tpa, table = tpa_and_table(request.GET)
    physical = await physical_table(tpa, table)
    batch_id, metrics = await quality.run_metrics(tpa, table, BatchForm.parse(request.GET)["batch_id"])
    return {"success": True, "table_name": physical.name, "tpa": physical.tpa, "batch_id": batch_id, "metrics": metrics}


@api("viewer")
async def quarantine_records(request: HttpRequest) -> dict[str, Any]:
    tpa, table = tpa_and_table(request.GET)
    rows = window(request, 100, 1000)
    return await quarantine.records(
        tpa, table, quarantine.status_filter(request.GET.get("status") or None), rows.limit, rows.offset
    )


@api("viewer")
async def preview_expression(request: HttpRequest) -> dict[str, Any]:
    body = json_object(request)
    samples = PreviewForm.parse(body)["samples"]
    return await expression_preview.preview(
        body.get("tpa"), body.get("source_field"), body.get("transformation_logic"), body.get("target_table"),
        body.get("target_column"), samples,
    )  # fmt: skip


@api("viewer")
async def flagged_records(request: HttpRequest) -> dict[str, Any]:
    tpa, table = tpa_and_table(request.GET)
    rows = window(request, 100, 1000)
    rule_name = FlagFilterForm.parse(request.GET)["rule_name"]
    return await flags.records(
        tpa, table, rule_name, flags.action_filter(request.GET.get("action")), rows.limit, rows.offset
    )


@api("viewer")
async def quarantine_export(request: HttpRequest) -> StreamingHttpResponse:
    tpa, table = tpa_and_table(request.GET)
    status = quarantine.status_filter(request.GET.get("status") or None)
    return csv_response(*await quarantine.export(tpa, table, status))


@api("operator")
async def quarantine_release(request: HttpRequest) -> dict[str, Any]:
    body = json_object(request)
    tpa, table = tpa_and_table(body)
    outcome = await quarantine.release(tpa, table, body.get("record_ids"), user=username(request))
    return outcome.as_response()


@api("operator")
async def builtin_837_mapping(request: HttpRequest) -> dict[str, Any]:
    return await apply_837_mapping(tpa_param(json_object(request)), user=username(request))


@api("viewer")
async def claim_history(request: HttpRequest, claim_id: str) -> list[dict[str, Any]]:
    tpa, table_name = tpa_and_table({"table_name": "MEDICAL_CLAIMS", **request.GET.dict()})
    table = await physical_table(tpa, table_name)
    return await claim_versions.claim_history(table.tpa, table.schema_table, claim_id[:100])


@api("viewer")
async def record_lineage(request: HttpRequest, record_id: int) -> dict[str, Any]:
    return await lineage.record_lineage(record_id)
