"""Reconciliation: per-file control totals (JSON and page), verdicts for the status page, the monthly report per
TPA (JSON, page and CSV)."""

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

from gold import reconciliation
from medallion.api import api, text
from medallion.csv_export import csv_lines, safe_cell
from medallion.errors import validation_error
from medallion.pages import page, render_page, selected_tpa

MAX_VERDICT_FILES = 200


@api("viewer")
async def file_reconciliation(request: HttpRequest, queue_id: int) -> dict[str, Any]:
    return await reconciliation.file_reconciliation(queue_id)


@api("viewer")
async def file_verdicts(request: HttpRequest) -> dict[str, dict[str, Any]]:
    ids = [part for part in (request.GET.get("ids") or "").split(",") if part.strip()]
    if len(ids) > MAX_VERDICT_FILES or not all(part.strip().isdigit() for part in ids):
        raise validation_error("ids", f"Give up to {MAX_VERDICT_FILES} queue ids separated by commas.")
    return await reconciliation.verdicts([int(part) for part in ids])


def _month(request: HttpRequest) -> str:
    return str(text(request.GET, "month", max_length=7) or f"{datetime.now(UTC):%Y-%m}")


@api("viewer")
async def monthly_report(request: HttpRequest) -> dict[str, Any]:
    tpa = str(text(request.GET, "tpa", required=True, max_length=100))
    return await reconciliation.monthly_report(tpa, _month(request))


@page("viewer")
async def file_page(request: HttpRequest, queue_id: int) -> HttpResponse:
    report = await reconciliation.file_reconciliation(queue_id)
    return await render_page(request, "gold/file_reconciliation.html", {"file": report, "layers": _layers(report)})


@page("viewer")
async def monthly_page(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    month = _month(request)
    report = await reconciliation.monthly_report(tpa, month) if tpa else None
    return await render_page(request, "gold/monthly_reconciliation.html", {"report": report, "month": month})


@page("viewer")
async def monthly_csv(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    if not tpa:
        return HttpResponse("Choose a TPA (?tpa=CODE).", status=400, content_type="text/plain")
    report = await reconciliation.monthly_report(tpa, _month(request))
    columns = reconciliation.REPORT_COLUMNS
    lines = [list(columns)] + [[safe_cell(row[column]) for column in columns] for row in report["files"]]
    response = HttpResponse(csv_lines(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="reconciliation-{report["tpa"].lower()}-{report["month"]}.csv"'
    )
    return response


def _layers(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per layer for the page's table."""
    rows = (
        ("File", report["rows_in_file"], None),
        ("Bronze", report["bronze_rows"], "bronze"),
        ("Silver", report["silver_rows"], "silver"),
        ("Quarantined", report["quarantined_rows"], "quarantined"),
        ("Gold", report["gold_rows"], "gold"),
        ("Excluded by Gold filters", report["gold_excluded_rows"], "gold_excluded"),
    )
    return [
        {
            "layer": name,
            "rows": rows_count,
            **{amount: report.get(f"{key}_{amount}") if key else None for amount in reconciliation.AMOUNTS},
        }
        for name, rows_count, key in rows
    ]
