import asyncio
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse

from gold import forms, lineage, metrics, reconciliation, rules, services
from medallion import charts
from medallion.csv_export import csv_chunks, csv_lines, csv_response, safe_cell
from medallion.decorators import page
from medallion.paging import pager
from medallion.rendering import named_url, render_page, selected_tpa

UNIT_FORMATS = {"USD": charts.format_money, "COUNT": charts.format_count}


# --- JSON API (analytics, metrics, quality, rules and the Gold extras) ----------------------------------


# --- pages -------------------------------------------------------------------------------------------


async def _page_scope(request: HttpRequest) -> str:
    return (await selected_tpa(request) or rules.ALL_TPAS).upper()


def _page_table(value: str | None) -> str:
    table = (value or "CLAIMS_ANALYTICS").upper()
    if table not in rules.GOLD_TABLES:
        raise Http404("Unknown Gold table")
    return table


def dashboard_charts(data: dict[str, Any]) -> dict[str, str]:
    return {
        "monthly": charts.line_chart(
            [(f"{row['CLAIM_YEAR']}-{row['CLAIM_MONTH']:02d}", row["TOTAL_PAID"]) for row in data["monthly"]],
            title="Monthly paid",
        ),
        "mix": charts.donut_chart(
            [(row["CLAIM_TYPE"].title(), row["TOTAL_PAID"]) for row in data["mix"]], title="Paid by claim type"
        ),
        "providers": charts.bar_chart(
            [(row["PROVIDER_NAME"] or row["PROVIDER_ID"], row["TOTAL_PAID"]) for row in data["providers"]],
            title="Top providers by paid",
        ),
        "risk": charts.bar_chart(
            [(row["RISK_TIER"].title(), row["MEMBERS"]) for row in data["risk"]],
            title="Members by risk tier",
            horizontal=False,
            value_format=charts.format_count,
        ),
    }


@page("viewer")
async def analytics_page(request: HttpRequest) -> HttpResponse:
    scope = await _page_scope(request)
    table = _page_table(request.GET.get("table"))
    window = pager(request)
    data, rows, total, runs = await asyncio.gather(
        services.dashboard(scope),
        services.analytics_rows(table, scope, window.limit, window.offset),
        services.analytics_count(table, scope),
        services.refresh_runs(scope, 5),
    )
    kpis = data["kpis"]
    cards = [
        ("Total paid", charts.format_money(kpis["TOTAL_PAID"])),
        ("Claims", charts.format_count(kpis["CLAIMS"])),
        ("Members", charts.format_count(kpis["MEMBERS"])),
        ("Paid per member", charts.format_money(kpis["PAID_PER_MEMBER"])),
        ("Network discount", charts.format_percent(kpis["DISCOUNT_RATE"])),
        ("High-risk members", charts.format_count(kpis["HIGH_RISK"])),
    ]
    return await render_page(
        request,
        "gold/analytics.html",
        {
            "scope": scope,
            "cards": cards,
            "charts": dashboard_charts(data),
            "tables": rules.GOLD_TABLES,
            "table": table,
            "columns": list(rows[0]) if rows else [],
            "rows": [(list(row.values()), _lineage_link(table, row)) for row in rows],
            "pager": window.of(total),
            "runs": runs,
        },
    )


@page("viewer")
async def export_csv(request: HttpRequest, table_name: str) -> StreamingHttpResponse:
    table = _page_table(table_name)
    scope = (request.GET.get("tpa") or await _page_scope(request)).upper()

    return csv_response(f"{table.lower()}-{scope.lower()}.csv", csv_chunks(services.export_rows(table, scope)))


@page("viewer")
async def metrics_page(request: HttpRequest) -> HttpResponse:
    scope = await _page_scope(request)
    catalogue, history = await asyncio.gather(metrics.list_metrics(scope), metrics.metric_history(scope))
    cards = []
    for metric in catalogue:
        value_format = UNIT_FORMATS.get(metric["METRIC_UNIT"], _percent_points)
        points = [
            (f"{row['COMPUTED_AT']:%m-%d %H:%M}", row["METRIC_VALUE"]) for row in history.get(metric["METRIC_ID"], [])
        ]
        cards.append(
            {
                **metric,
                "value": value_format(metric["CURRENT_VALUE"]),
                "previous": value_format(metric["PREVIOUS_VALUE"]),
                "chart": charts.line_chart(points, title=metric["METRIC_NAME"], value_format=value_format, height=180),
            }
        )
    return await render_page(request, "gold/metrics.html", {"scope": scope, "metrics": cards})


def _percent_points(value: Any) -> str:
    return charts.format_percent(None if value is None else float(value) / 100)


@page("viewer")
async def quality_page(request: HttpRequest) -> HttpResponse:
    scope = await _page_scope(request)
    latest, stats, history = await asyncio.gather(
        services.latest_quality_results(scope), services.quality_stats(scope), services.quality_results(scope, 50, 0)
    )
    return await render_page(
        request, "gold/quality.html", {"scope": scope, "latest": latest, "stats": stats, "history": history}
    )


@page("viewer")
async def rules_page(request: HttpRequest) -> HttpResponse:
    scope = await _page_scope(request)
    transformation, quality_rules = await asyncio.gather(
        rules.list_rules("transformation", scope), rules.list_rules("quality", scope)
    )
    return await render_page(
        request,
        "gold/rules.html",
        {
            "scope": scope,
            "transformation_rules": transformation,
            "quality_rules": quality_rules,
            "gold_tables": rules.GOLD_TABLES,
            "rule_tables": (rules.CLAIMS_FEED, *rules.GOLD_TABLES),
            "quality_types": rules.QUALITY_RULE_TYPES,
            "severities": rules.SEVERITIES,
            "operators": rules.THRESHOLD_OPERATORS,
            "rule_columns": rules.RULE_COLUMNS,
        },
    )


@page("viewer")
async def file_reconciliation_page(request: HttpRequest, queue_id: int) -> HttpResponse:
    report = await reconciliation.file_reconciliation(queue_id)
    layers = reconciliation.layer_rows(report)
    return await render_page(request, "gold/file_reconciliation.html", {"file": report, "layers": layers})


@page("viewer")
async def monthly_reconciliation_page(request: HttpRequest) -> HttpResponse:
    tpa, month = await selected_tpa(request), reconciliation.month_of(request.GET.get("month"))
    report = await reconciliation.monthly_report(tpa, month) if tpa else None
    return await render_page(request, "gold/monthly_reconciliation.html", {"report": report, "month": month})


@page("viewer")
async def monthly_reconciliation_csv(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    if not tpa:
        return HttpResponse("Choose a TPA (?tpa=CODE).", status=400, content_type="text/plain")
    report = await reconciliation.monthly_report(tpa, reconciliation.month_of(request.GET.get("month")))
    columns = reconciliation.REPORT_COLUMNS
    lines = [list(columns)] + [[safe_cell(row[column]) for column in columns] for row in report["files"]]
    return csv_response(f"reconciliation-{report['tpa'].lower()}-{report['month']}.csv", csv_lines(lines))


def _lineage_link(table: str, row: dict[str, Any]) -> str | None:
    if table != lineage.GOLD_TABLE:
        return None
    return named_url(
        "gold-lineage", tpa=row["TPA"], year=row["CLAIM_YEAR"], month=row["CLAIM_MONTH"], claim_type=row["CLAIM_TYPE"]
    )


@page("viewer")
async def lineage_page(request: HttpRequest) -> HttpResponse:
    cell = forms.lineage_cell(request.GET)
    sources = await lineage.cell_sources(cell.tpa, cell.year, cell.month, cell.claim_type)
    return await render_page(request, "gold/lineage.html", {"sources": sources})
