import json
from typing import Any

from django.http import HttpRequest, HttpResponse

from bronze import forms, services
from medallion.decorators import page
from medallion.errors import ApiError
from medallion.http import MAX_INTEGER, integer
from medallion.rendering import render_page, selected_tpa
from medallion.warehouse.identifiers import STAGES

DATA_PAGE_SIZE = 50


# --------------------------------------------------------------------------- pages


@page("operator")
async def upload_page(request: HttpRequest) -> HttpResponse:
    return await render_page(request, "bronze/upload.html")


@page("viewer")
async def status_page(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    filters = {"tpa": tpa or "", "status": request.GET.get("status", ""), "file_type": request.GET.get("file_type", "")}
    try:
        statuses, file_type = forms.statuses(filters["status"]), forms.file_type(filters["file_type"])
        rows = await services.list_queue(tpa, statuses, file_type, 100, 0)
    except ApiError:
        filters.update(status="", file_type="")
        rows = await services.list_queue(tpa, None, None, 100, 0)
    counts = await services.queue_counts(tpa)
    finished = counts["SUCCESS"] + counts["FAILED"]
    return await render_page(
        request,
        "bronze/status.html",
        {
            "counts": counts,
            "total": sum(counts.values()),
            "success_rate": round(100 * counts["SUCCESS"] / finished, 1) if finished else None,
            "rows": rows,
            "filters": filters,
            "statuses": services.STATUSES,
            "file_types": services.FILE_TYPES,
        },
    )


@page("viewer")
async def stages_page(request: HttpRequest) -> HttpResponse:
    stage = (request.GET.get("stage") or "SRC").upper()
    if stage not in STAGES:
        stage = "SRC"
    files = [
        {**staged, "tpa": staged["name"].rpartition("/")[0], "file": staged["name"].rpartition("/")[2]}
        for staged in await services.list_stage(stage)
    ]
    return await render_page(
        request, "bronze/stages.html", {"stage": stage, "totals": await services.stage_totals(), "files": files}
    )


@page("viewer")
async def data_page(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    file_name = request.GET.get("file", "").strip()[:500] or None
    search = request.GET.get("q", "").strip()[:200] or None
    page_number = int(integer(request.GET, "page", default=1, minimum=1, maximum=MAX_INTEGER // DATA_PAGE_SIZE) or 1)
    offset = (page_number - 1) * DATA_PAGE_SIZE
    rows = await services.raw_records(tpa, file_name, search, DATA_PAGE_SIZE, offset)
    for row in rows:
        row["PRETTY"] = json.dumps(row["RAW_DATA"], indent=2, ensure_ascii=False)
    matching = await services.raw_count(tpa, file_name, search)
    return await render_page(
        request,
        "bronze/data.html",
        {
            "rows": rows,
            "stats": await services.raw_stats(tpa),
            "matching": matching,
            "page_number": page_number,
            "has_next": offset + DATA_PAGE_SIZE < matching,
            "first_row": offset + 1 if rows else 0,
            "last_row": offset + len(rows),
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
            fields = await services.field_profile(tpa)
        except ApiError as failure:
            error = failure.detail
    return await render_page(request, "bronze/fields.html", {"fields": fields, "tpa": tpa, "error": error})
