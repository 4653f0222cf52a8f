"""Silver pages: target schemas, mappings, transform, data viewer, quality and quarantine."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from medallion.charts import format_percent, line_chart
from medallion.csv_export import csv_response
from medallion.decorators import page, page_action
from medallion.errors import ApiError, validation_error
from medallion.http import username
from medallion.paging import Pager, pager
from medallion.rendering import render_page, selected_tpa
from silver import (
    flags,
    forms,
    lineage,
    llm,
    mappings,
    quality,
    quarantine,
    rules,
    schema_csv,
    schemas,
    tables,
    transform,
    viewer,
)
from silver.transform_catalog import PhysicalTable, approved_mappings, schema_columns, tables_of
from tpa.forms import tpa_param
from tpa.services import get_tpa

MAX_CSV_BYTES = 5 * 1024 * 1024

DATA_TYPE_CHOICES = (
    "VARCHAR(100)", "VARCHAR(500)", "NUMBER(18,2)", "NUMBER(38,0)", "INTEGER", "FLOAT", "BOOLEAN", "DATE",
    "TIMESTAMP_NTZ", "VARIANT",
)  # fmt: skip


# Schema definitions


# Physical tables


# Field mappings


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
    return csv_response("target_schemas.csv", await schema_csv.export_csv())


@page_action("operator", back="silver-schemas")
async def import_schemas(request: HttpRequest) -> str:
    columns = schema_csv.parse_csv(_uploaded_text(request))
    result = await schema_csv.import_columns(columns, user=username(request))
    return (
        f"Imported {result['columns_created']} column(s), skipped {result['columns_skipped']} existing; "
        f"physical tables altered: {', '.join(result['physical_tables_updated']) or 'none'}."
    )


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


OVERVIEW_STATES = {"pending": "PENDING", "approved": "APPROVED"}


@page("viewer")
async def mappings_overview_page(request: HttpRequest) -> HttpResponse:
    tpa_code = await selected_tpa(request)
    search = request.GET.get("q", "").strip().upper()[:100]
    state = request.GET.get("state", "")
    rows = [
        row
        for row in await mappings.overview()
        if (not tpa_code or row["TPA"] == tpa_code)
        and (not search or search in row["TPA"] or search in row["TARGET_TABLE"])
        and (state not in OVERVIEW_STATES or row[OVERVIEW_STATES[state]])
    ]
    window = pager(request).of(len(rows))
    return await render_page(
        request,
        "silver/mappings_overview.html",
        {
            "rows": rows[window.offset : window.offset + window.limit],
            "pager": window,
            "totals": {key: sum(row[key] for row in rows) for key in ("TOTAL", "APPROVED", "PENDING")},
            "filters": {"q": search, "state": state},
        },
    )


@page("viewer")
async def export_mappings(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    if not tpa:
        return HttpResponseRedirect(reverse("silver-mappings"))
    content = await mappings.export_csv(tpa, request.GET.get("table") or None)
    return csv_response(f"mappings_{tpa}.csv", content)


@page_action("operator", back="silver-mappings")
async def import_mappings(request: HttpRequest) -> str:
    """The page posts here with its ?tpa=&table= so that the browser returns to the same mappings."""
    result = await mappings.import_csv(tpa_param(request.POST), _uploaded_text(request), user=username(request))
    return (
        f"Imported {result['mappings_created']} mapping(s); skipped {result['mappings_skipped']} "
        "whose target column was already mapped."
    )


@page_action("admin", back="silver-mappings")
async def save_prompt_template(request: HttpRequest) -> str:
    await llm.save_prompt_template(request.POST.get("template"), user=username(request))
    return "LLM prompt template saved."


@dataclass(frozen=True)
class TableSelection:
    """What every Silver table page starts from: the globally selected TPA, its physical tables, the table picked
    with ?table= (the first when none is), and the page of rows asked for."""

    code: str | None
    tables: list[PhysicalTable]
    chosen: PhysicalTable | None
    window: Pager

    @property
    def context(self) -> dict[str, Any]:
        return {"tpa_code": self.code, "tables": self.tables, "chosen": self.chosen}


async def _selection(request: HttpRequest) -> TableSelection:
    window = pager(request, 100)
    try:
        code = (await get_tpa(await selected_tpa(request)))["TPA_CODE"]
    except ApiError:
        return TableSelection(None, [], None, window)
    tables = await tables_of(code)
    wanted = (request.GET.get("table") or "").upper()
    chosen = next((t for t in tables if wanted in (t.schema_table, t.name)), tables[0] if tables else None)
    return TableSelection(code, tables, chosen, window)


@page("viewer")
async def transform_page(request: HttpRequest) -> HttpResponse:
    selection = await _selection(request)
    chosen = selection.chosen
    context = selection.context
    if chosen:
        context |= {
            "mappings": await approved_mappings(chosen.tpa, chosen.schema_table),
            "rules": await rules.list_rules(chosen.tpa, chosen.schema_table),
            "columns": await schema_columns(chosen.schema_table),
            "history": await transform.history(chosen.tpa, chosen.schema_table, transform.HISTORY_LIMIT, 0),
            "rule_types": rules.RULE_TYPES,
            "actions": rules.ACTIONS,
            "severities": rules.SEVERITIES,
        }
    return await render_page(request, "silver/transform.html", context)


@page("viewer")
async def data_page(request: HttpRequest) -> HttpResponse:
    selection = await _selection(request)
    chosen, window = selection.chosen, selection.window
    context = selection.context
    if chosen:
        browse = forms.browse_options(request.GET)
        try:
            result = await viewer.page(chosen.tpa, chosen.schema_table, browse, window.limit, window.offset)
        except ApiError as error:
            result, context["error"] = None, error.detail
        context |= {"result": result, "browse": browse}
        if result:
            marks = await flags.rules_by_record(chosen, [row["_RECORD_ID"] for row in result["data"]])
            context |= {
                "rows": [
                    (row.get("_RECORD_ID"), [row[name] for name in result["columns"]], marks.get(row["_RECORD_ID"], []))
                    for row in result["data"]
                ],
                "pager": window.of(result["total_count"]),
            }
    return await render_page(request, "silver/data.html", context)


@page("viewer")
async def quality_page(request: HttpRequest) -> HttpResponse:
    selection = await _selection(request)
    code, chosen = selection.code, selection.chosen
    context = selection.context
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
async def flags_page(request: HttpRequest) -> HttpResponse:
    selection = await _selection(request)
    chosen, window = selection.chosen, selection.window
    context = selection.context | {"actions": flags.ACTIONS}
    if chosen:
        rule_name = request.GET.get("rule_name") or None
        try:
            action = flags.action_filter(request.GET.get("action"))
        except ApiError as error:
            context["error"], action = error.detail, None
        result = await flags.records(chosen.tpa, chosen.schema_table, rule_name, action, window.limit, window.offset)
        context |= {
            "result": result,
            "rule_name": rule_name or "",
            "action": action or "",
            "pager": window.of(result["total_count"]),
        }
    return await render_page(request, "silver/flags.html", context)


@page("viewer")
async def quarantine_page(request: HttpRequest) -> HttpResponse:
    selection = await _selection(request)
    chosen, window = selection.chosen, selection.window
    context = selection.context
    if chosen:
        status = request.GET.get("status") or "QUARANTINED"
        result = await quarantine.records(
            chosen.tpa, chosen.schema_table, quarantine.status_filter(status), window.limit, window.offset
        )
        context |= {"result": result, "status": status, "pager": window.of(result["total_count"])}
    return await render_page(request, "silver/quarantine.html", context)


@page("viewer")
async def lineage_page(request: HttpRequest, record_id: int) -> HttpResponse:
    return await render_page(request, "silver/lineage.html", {"lineage": await lineage.record_lineage(record_id)})
