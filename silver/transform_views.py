from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from gold.charts import format_percent, line_chart
from medallion.api import api, body_or_query, boolean, created, integer, json_object, page_params, text
from medallion.csv_export import csv_response
from medallion.errors import ApiError, validation_error
from medallion.pages import page, render_page, selected_tpa
from silver import quality, quarantine, rules, transform, viewer
from silver.transform_catalog import PhysicalTable, approved_mappings, physical_table, schema_columns, tables_of
from tpa.services import get_tpa

HISTORY_LIMIT = 50


def _user(request: HttpRequest) -> str:
    return request.user.get_username()


def _browse(source: Any) -> viewer.Browse:
    return viewer.Browse(
        sort=text(source, "sort", max_length=130),
        descending=bool(boolean(source, "descending", default=False)),
        filter_column=text(source, "filter_column", max_length=130),
        filter_value=text(source, "filter_value", max_length=500),
        search=text(source, "search", max_length=200),
    )


def _required_pair(source: Any, table_key: str = "table_name") -> tuple[str, str]:
    return text(source, "tpa", required=True, max_length=60), text(source, table_key, required=True, max_length=210)


@api("operator")
async def run_transform(request: HttpRequest) -> dict[str, Any]:
    body = json_object(request)
    tpa, table = _required_pair(body, "target_table")
    if (text(body, "source_table", default="RAW_DATA_TABLE") or "").upper() != "RAW_DATA_TABLE":
        raise validation_error("source_table", "Must be RAW_DATA_TABLE.")
    if (text(body, "source_schema", default="BRONZE") or "").upper() != "BRONZE":
        raise validation_error("source_schema", "Must be BRONZE.")
    integer(body, "batch_size", default=10000, minimum=1, maximum=100000)
    outcome = await transform.transform(
        tpa,
        table,
        incremental=bool(boolean(body, "incremental", default=False)),
        apply_rules=bool(boolean(body, "apply_rules", default=True)),
        user=_user(request),
    )
    return outcome.as_response()


@api("viewer")
async def transform_history(request: HttpRequest) -> list[dict[str, Any]]:
    limit, offset = page_params(request, HISTORY_LIMIT, 1000)
    return await transform.history(request.GET.get("tpa"), request.GET.get("table_name"), limit, offset)


@api("viewer")
async def transform_batch(request: HttpRequest, batch_id: str) -> dict[str, Any]:
    return await transform.get_batch(batch_id)


@api("viewer")
async def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    return await rules.list_rules(request.GET.get("tpa") or None, request.GET.get("table_name") or None)


@api("operator")
async def create_rule(request: HttpRequest) -> HttpResponse:
    return created(await rules.create_rule(json_object(request), user=_user(request)))


@api("operator")
async def update_rule(request: HttpRequest, rule_id: int) -> dict[str, Any]:
    return await rules.update_rule(rule_id, json_object(request), user=_user(request))


@api("operator")
async def delete_rule(request: HttpRequest, rule_id: int) -> dict[str, Any]:
    await rules.delete_rule(rule_id, user=_user(request))
    return {"message": "Rule deleted successfully", "rule_id": rule_id}


@api("viewer")
async def silver_data(request: HttpRequest) -> dict[str, Any]:
    tpa, table = _required_pair(request.GET)
    limit, offset = page_params(request, 100, 5000)
    return await viewer.page(tpa, table, _browse(request.GET), limit, offset)


@api("viewer")
async def silver_data_export(request: HttpRequest) -> StreamingHttpResponse:
    tpa, table = _required_pair(request.GET)
    filename, chunks = await viewer.export(tpa, table, _browse(request.GET))
    return csv_response(chunks, filename)


@api("viewer")
async def silver_data_stats(request: HttpRequest) -> dict[str, Any]:
    return await quality.table_stats(*_required_pair(request.GET))


@api("operator")
async def quality_check(request: HttpRequest) -> dict[str, Any]:
    params = body_or_query(request)
    tpa, table = _required_pair(params)
    table_text = str(params["table_name"])
    physical, batch_id, score = await quality.check(tpa, table, text(params, "batch_id", max_length=40))
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
    tpa = text(params, "tpa", required=True, max_length=60)
    code, batch_id, checked = await quality.check_all(tpa, text(params, "batch_id", max_length=40))
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
    limit, offset = page_params(request, 100, 1000)
    return await quality.failures(request.GET.get("tpa") or None, request.GET.get("table_name") or None, limit, offset)


@api("viewer")
async def quality_trends(request: HttpRequest) -> list[dict[str, Any]]:
    tpa = text(request.GET, "tpa", required=True, max_length=60)
    limit, offset = page_params(request, 50, 1000)
    return await quality.trends(tpa, request.GET.get("table_name") or None, limit, offset)


@api("viewer")
async def quality_metrics(request: HttpRequest) -> dict[str, Any]:
    tpa, table = _required_pair(request.GET)
    physical = await physical_table(tpa, table)
    batch_id, metrics = await quality.run_metrics(tpa, table, text(request.GET, "batch_id", max_length=40))
    return {"success": True, "table_name": physical.name, "tpa": physical.tpa, "batch_id": batch_id, "metrics": metrics}


@api("viewer")
async def quarantine_records(request: HttpRequest) -> dict[str, Any]:
    tpa, table = _required_pair(request.GET)
    limit, offset = page_params(request, 100, 1000)
    return await quarantine.records(
        tpa, table, quarantine.status_filter(request.GET.get("status") or None), limit, offset
    )


@api("viewer")
async def quarantine_export(request: HttpRequest) -> StreamingHttpResponse:
    tpa, table = _required_pair(request.GET)
    status = quarantine.status_filter(request.GET.get("status") or None)
    filename, chunks = await quarantine.export(tpa, table, status)
    return csv_response(chunks, filename)


@api("operator")
async def quarantine_release(request: HttpRequest) -> dict[str, Any]:
    body = json_object(request)
    tpa, table = _required_pair(body)
    outcome = await quarantine.release(tpa, table, body.get("record_ids"), user=_user(request))
    return outcome.as_response()


async def _selection(request: HttpRequest) -> tuple[str | None, list[PhysicalTable], PhysicalTable | None]:
    """The globally selected TPA, its physical tables and the table picked with ?table=."""
    try:
        code = (await get_tpa(await selected_tpa(request)))["TPA_CODE"]
    except ApiError:
        return None, [], None
    tables = await tables_of(code)
    wanted = (request.GET.get("table") or "").upper()
    chosen = next((t for t in tables if wanted in (t.schema_table, t.name)), tables[0] if tables else None)
    return code, tables, chosen


@page("viewer")
async def transform_page(request: HttpRequest) -> HttpResponse:
    code, tables, chosen = await _selection(request)
    context: dict[str, Any] = {"tpa_code": code, "tables": tables, "chosen": chosen}
    if chosen:
        context |= {
            "mappings": await approved_mappings(chosen.tpa, chosen.schema_table),
            "rules": await rules.list_rules(chosen.tpa, chosen.schema_table),
            "columns": await schema_columns(chosen.schema_table),
            "history": await transform.history(chosen.tpa, chosen.schema_table, HISTORY_LIMIT, 0),
            "rule_types": rules.RULE_TYPES,
            "actions": rules.ACTIONS,
            "severities": rules.SEVERITIES,
        }
    return await render_page(request, "silver/transform.html", context)


@page("viewer")
async def data_page(request: HttpRequest) -> HttpResponse:
    code, tables, chosen = await _selection(request)
    context: dict[str, Any] = {"tpa_code": code, "tables": tables, "chosen": chosen}
    if chosen:
        limit = int(integer(request.GET, "limit", default=100, minimum=1, maximum=1000) or 100)
        offset = int(integer(request.GET, "offset", default=0, minimum=0) or 0)
        browse = _browse(request.GET)
        try:
            result = await viewer.page(chosen.tpa, chosen.schema_table, browse, limit, offset)
        except ApiError as error:
            result, context["error"] = None, error.detail
        context |= {"result": result, "browse": browse, "limit": limit, "offset": offset}
        if result:
            context |= {
                "rows": [[row[name] for name in result["columns"]] for row in result["data"]],
                "shown_to": offset + len(result["data"]),
                "previous_offset": max(offset - limit, 0) if offset else None,
                "next_offset": offset + limit if offset + limit < result["total_count"] else None,
            }
    return await render_page(request, "silver/data.html", context)


@page("viewer")
async def quality_page(request: HttpRequest) -> HttpResponse:
    code, tables, chosen = await _selection(request)
    context: dict[str, Any] = {"tpa_code": code, "tables": tables, "chosen": chosen}
    if code:
        context["summary"] = await quality.summary(code)
        context["failures"] = await quality.failures(code, chosen.name if chosen else None, 50, 0)
    if chosen:
        trend = await quality.trends(code, chosen.name, 60, 0)
        points = [
            (row["MEASURED_TIMESTAMP"].strftime("%m-%d %H:%M"), (row["QUALITY_SCORE"] or 0) / 100)
            for row in reversed(trend)
        ]
        batch_id, metrics = await quality.run_metrics(chosen.tpa, chosen.schema_table, None)
        context |= {
            "trend_chart": line_chart(points, title=f"Quality score · {chosen.name}", value_format=format_percent),
            "batch_id": batch_id,
            "rule_metrics": [m for m in metrics if m["metric_name"].startswith("RULE_PASS_RATE_")],
            "metrics": metrics,
        }
    return await render_page(request, "silver/quality.html", context)


@page("viewer")
async def quarantine_page(request: HttpRequest) -> HttpResponse:
    code, tables, chosen = await _selection(request)
    context: dict[str, Any] = {"tpa_code": code, "tables": tables, "chosen": chosen}
    if chosen:
        status = request.GET.get("status") or "QUARANTINED"
        offset = int(integer(request.GET, "offset", default=0, minimum=0) or 0)
        result = await quarantine.records(
            chosen.tpa, chosen.schema_table, quarantine.status_filter(status), 100, offset
        )
        context |= {
            "result": result,
            "status": status,
            "offset": offset,
            "previous_offset": max(offset - 100, 0) if offset else None,
            "next_offset": offset + 100 if offset + 100 < result["total_count"] else None,
        }
    return await render_page(request, "silver/quarantine.html", context)
