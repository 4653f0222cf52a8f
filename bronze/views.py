import json
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse

from bronze import processing, services, uploads
from medallion.api import MAX_INTEGER, accepted, api, created, integer, json_body, json_object, page_params, text
from medallion.errors import ApiError, validation_error
from medallion.pages import page, render_page, selected_tpa
from medallion.warehouse.identifiers import STAGES

MAX_BULK_DELETE = 500
DATA_PAGE_SIZE = 50


def _user(request: HttpRequest) -> str:
    return request.user.get_username()


def _statuses(value: str | None) -> list[str] | None:
    if not value:
        return None
    statuses = [part.strip().upper() for part in value.split(",") if part.strip()]
    unknown = [status for status in statuses if status not in services.STATUSES]
    if unknown:
        raise validation_error("status", f"Unknown status {unknown[0][:30]}; use {', '.join(services.STATUSES)}.")
    return statuses


def _file_type(value: str | None) -> str | None:
    if value and value.upper() not in services.FILE_TYPES:
        raise validation_error("file_type", f"Use one of {', '.join(services.FILE_TYPES)}.")
    return value.upper() if value else None


@api("viewer")
async def source_fields(request: HttpRequest) -> list[str]:
    return await services.source_fields(text(request.GET, "tpa", required=True, max_length=100))


@api("operator")
async def upload(request: HttpRequest) -> HttpResponse:
    received = await uploads.receive(request)
    try:
        if received.rejection is not None:
            return received.rejection
        tpa = text(received.fields, "tpa", required=True, max_length=100)
        if len(received.files) != 1:
            raise validation_error("file", "Send exactly one file." if received.files else "This field is required.")
        file = received.files[0]
        result = await services.register_upload(
            str(tpa),
            file.received_name,
            Path(file.temporary_file_path()),
            file.size,
            file.sha256.hexdigest(),
            user=_user(request),
        )
    finally:
        received.close()
    return created(
        {
            "message": f"File uploaded successfully to SRC/{result['tpa']}/",
            "file_name": result["file_name"],
            "tpa": result["tpa"],
            "size": result["size"],
        }
    )


@api("viewer")
async def queue(request: HttpRequest) -> list[dict[str, Any]]:
    limit, offset = page_params(request)
    return await services.list_queue(
        request.GET.get("tpa") or None,
        _statuses(request.GET.get("status")),
        _file_type(request.GET.get("file_type")),
        limit,
        offset,
    )


@api("viewer")
async def status(request: HttpRequest) -> list[dict[str, Any]]:
    return await services.status_summary(request.GET.get("tpa") or None)


@api("viewer")
async def stats(request: HttpRequest) -> dict[str, Any]:
    return await services.raw_stats(request.GET.get("tpa") or None)


@api("viewer")
async def raw_data(request: HttpRequest) -> list[dict[str, Any]]:
    limit, offset = page_params(request)
    return await services.raw_records(
        request.GET.get("tpa") or None,
        text(request.GET, "file_name", max_length=500),
        text(request.GET, "search", max_length=200),
        limit,
        offset,
    )


@api("viewer")
async def stage_files(request: HttpRequest, stage_name: str) -> list[dict[str, Any]]:
    return await services.list_stage(stage_name)


@api("operator")
async def delete_stage_file(request: HttpRequest, stage_name: str) -> dict[str, Any]:
    stage = services.checked_stage(stage_name)
    file_path = text(request.GET, "file_path", required=True, max_length=1000)
    return await services.delete_stage_file(stage, file_path, user=_user(request))


@api("operator")
async def bulk_delete_stage_files(request: HttpRequest, stage_name: str) -> dict[str, Any]:
    stage = services.checked_stage(stage_name)
    body = json_body(request)
    paths = body.get("file_paths") if isinstance(body, dict) else body
    if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
        raise ApiError(400, "malformed_request", "Send a JSON array of file paths.")
    if not 1 <= len(paths) <= MAX_BULK_DELETE:
        raise validation_error("file_paths", f"Send between 1 and {MAX_BULK_DELETE} file paths.")
    return await services.bulk_delete_stage_files(stage, paths, user=_user(request))


@api("operator")
async def discover(request: HttpRequest) -> HttpResponse:
    if services.background_running():
        return accepted(
            {"message": "Discovery is already running.", "status": "already_running", "note": "Nothing new started."}
        )
    user = _user(request)
    services.run_in_background(lambda: services.discover_files(user=user))
    return accepted(
        {
            "message": "File discovery started.",
            "status": "discovering",
            "note": "Files found in SRC without a queue entry are queued as PENDING.",
        }
    )


@api("operator")
async def reset_stuck(request: HttpRequest) -> dict[str, Any]:
    reset = await services.reset_stuck(user=_user(request))
    return {"message": f"Reset {reset} stuck files to PENDING status", "files_reset": reset}


@api("operator")
async def reprocess(request: HttpRequest, queue_id: int) -> dict[str, Any]:
    entry = await services.reprocess(queue_id, user=_user(request))
    return {
        "message": f"File {entry['FILE_NAME']} reset to PENDING status for reprocessing",
        "queue_id": queue_id,
        "file_name": entry["FILE_NAME"],
        "previous_status": entry["STATUS"],
    }


@api("operator")
async def process(request: HttpRequest) -> HttpResponse:
    counts = await services.queue_counts()
    running = services.background_running() or counts["PROCESSING"] > 0
    if not services.background_running():
        services.run_in_background(processing.discover_and_process)
    return accepted(
        {
            "message": f"Discovery and processing started. {counts['PENDING']} pending file(s) in queue.",
            "pending_count": counts["PENDING"],
            "processing_count": counts["PROCESSING"],
            "status": "already_running" if running else "discovering_and_processing",
            "note": "Files are loaded by the worker; follow them on the processing status page.",
        }
    )


@api("admin")
async def clear_all_data(request: HttpRequest) -> dict[str, Any]:
    confirm = json_object(request).get("confirm")
    uses_token = request.headers.get("Authorization", "")[:7].lower() == "bearer "
    if (uses_token or confirm is not None) and confirm != "DELETE":
        raise validation_error("confirm", 'Send {"confirm": "DELETE"} to clear all data.', code="confirmation_required")
    return await services.clear_all_data(user=_user(request))


@api("admin")
async def delete_file_data(request: HttpRequest, file_name: str) -> dict[str, Any]:
    tpa = text(request.GET, "tpa", required=True, max_length=100)
    return await services.delete_file_data(file_name, str(tpa), user=_user(request))


# --------------------------------------------------------------------------- pages


@page("operator")
async def upload_page(request: HttpRequest) -> HttpResponse:
    return await render_page(request, "bronze/upload.html")


@page("viewer")
async def status_page(request: HttpRequest) -> HttpResponse:
    tpa = await selected_tpa(request)
    filters = {"tpa": tpa or "", "status": request.GET.get("status", ""), "file_type": request.GET.get("file_type", "")}
    try:
        rows = await services.list_queue(tpa, _statuses(filters["status"]), _file_type(filters["file_type"]), 100, 0)
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
