from typing import Any

from django.http import HttpRequest, HttpResponse

from bronze import forms, queue, raw, stages
from medallion.decorators import page
from medallion.errors import ApiError
from medallion.paging import pager
from medallion.rendering import render_page, selected_tpa
from medallion.warehouse.identifiers import STAGES


@page("operator")
async def upload_page(request: HttpRequest) -> HttpResponse:
    return await render_page(request, "bronze/upload.html")


@page("viewer")
async def status_page(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    filters = {"tpa": tpa or "", "status": request.GET.get("status", ""), "file_type": request.GET.get("file_type", "")}
    try:
        statuses, file_type = forms.statuses(filters["status"]), forms.file_type(filters["file_type"])
    except ApiError:
        filters.update(status="", file_type="")
        statuses, file_type = None, None
    window = pager(request).of(await queue.queue_total(tpa, statuses, file_type))
    rows = await queue.list_queue(tpa, statuses, file_type, window.limit, window.offset)
    counts = await queue.queue_counts(tpa)
    finished = counts["SUCCESS"] + counts["FAILED"]
    return await render_page(
        request,
        "bronze/status.html",
        {
            "counts": counts,
            "total": sum(counts.values()),
            "success_rate": round(100 * counts["SUCCESS"] / finished, 1) if finished else None,
            "rows": rows,
            "pager": window,
            "filters": filters,
            "statuses": queue.STATUSES,
            "file_types": queue.FILE_TYPES,
        },
        fragment="bronze/_queue.html",
    )


@page("viewer")
async def stages_page(request: HttpRequest) -> HttpResponse:
    stage = (request.GET.get("stage") or "SRC").upper()
    if stage not in STAGES:
        stage = "SRC"
    tpa = await selected_tpa(request)
    files = [
        {**staged, "tpa": staged["name"].rpartition("/")[0], "file": staged["name"].rpartition("/")[2]}
        for staged in await stages.list_stage(stage)
    ]
    files = [staged for staged in files if not tpa or staged["tpa"].upper() == tpa]
    window = pager(request).of(len(files))
    return await render_page(
        request,
        "bronze/stages.html",
        {
            "stage": stage,
            "tpa": tpa,
            "totals": await stages.stage_totals(),
            "files": files[window.offset : window.offset + window.limit],
            "pager": window,
        },
    )


@page("viewer")
async def data_page(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    file_name = request.GET.get("file", "").strip()[:500] or None
    search = request.GET.get("q", "").strip()[:200] or None
    window = pager(request).of(await raw.raw_count(tpa, file_name, search))
    return await render_page(
        request,
        "bronze/data.html",
        {
            "rows": await raw.raw_records(tpa, file_name, search, window.limit, window.offset),
            "stats": await raw.raw_stats(tpa),
            "pager": window,
            "filters": {"tpa": tpa or "", "file": file_name or "", "q": search or ""},
        },
    )


@page("viewer")
async def fields_page(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    fields: list[dict[str, Any]] = []
    error = None
    if tpa:
        try:
            fields = await raw.field_profile(tpa)
        except ApiError as failure:
            error = failure.detail
    return await render_page(request, "bronze/fields.html", {"fields": fields, "tpa": tpa, "error": error})
