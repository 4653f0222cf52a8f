from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse

from bronze import cleanup, layouts, processing, queue, raw, stages, uploads
from bronze.forms import QueueFilterForm, RawFilterForm, StageFileForm
from medallion.decorators import api
from medallion.errors import ApiError, validation_error
from medallion.http import accepted, created, json_body, json_object, username
from medallion.paging import window
from tpa.forms import tpa_param

MAX_BULK_DELETE = 500


@api("viewer")
async def source_fields(request: HttpRequest) -> list[str]:
    return await raw.source_fields(tpa_param(request.GET))


@api("operator")
async def upload(request: HttpRequest) -> HttpResponse:
    received = await uploads.receive(request)
    try:
        if received.rejection is not None:
            return received.rejection
        tpa = tpa_param(received.fields)
        if len(received.files) != 1:
            raise validation_error("file", "Send exactly one file." if received.files else "This field is required.")
        file = received.files[0]
        result = await queue.register_upload(
            tpa,
            file.received_name,
            Path(file.temporary_file_path()),
            file.size,
            file.sha256.hexdigest(),
            user=username(request),
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
async def list_queue(request: HttpRequest) -> list[dict[str, Any]]:
    rows = window(request)
    queue_filter = QueueFilterForm.parse(request.GET)
    return await queue.list_queue(
        queue_filter["tpa"], queue_filter["status"], queue_filter["file_type"], rows.limit, rows.offset
    )


@api("viewer")
async def status(request: HttpRequest) -> list[dict[str, Any]]:
    return await queue.status_summary(request.GET.get("tpa") or None)


@api("viewer")
async def stats(request: HttpRequest) -> dict[str, Any]:
    return await raw.raw_stats(request.GET.get("tpa") or None)


@api("viewer")
async def raw_data(request: HttpRequest) -> list[dict[str, Any]]:
    rows = window(request)
    raw_filter = RawFilterForm.parse(request.GET)
    return await raw.raw_records(
        raw_filter["tpa"], raw_filter["file_name"], raw_filter["search"], rows.limit, rows.offset
    )


@api("viewer")
async def stage_files(request: HttpRequest, stage_name: str) -> list[dict[str, Any]]:
    return await stages.list_stage(stage_name)


@api("operator")
async def delete_stage_file(request: HttpRequest, stage_name: str) -> dict[str, Any]:
    stage = stages.checked_stage(stage_name)
    file_path = StageFileForm.parse(request.GET)["file_path"]
    return await stages.delete_stage_file(stage, file_path, user=username(request))


@api("operator")
async def bulk_delete_stage_files(request: HttpRequest, stage_name: str) -> dict[str, Any]:
    stage = stages.checked_stage(stage_name)
    body = json_body(request)
    paths = body.get("file_paths") if isinstance(body, dict) else body
    if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
        raise ApiError(400, "malformed_request", "Send a JSON array of file paths.")
    if not 1 <= len(paths) <= MAX_BULK_DELETE:
        raise validation_error("file_paths", f"Send between 1 and {MAX_BULK_DELETE} file paths.")
    return await stages.bulk_delete_stage_files(stage, paths, user=username(request))


@api("operator")
async def discover(request: HttpRequest) -> HttpResponse:
    if queue.background_running():
        return accepted(
            {"message": "Discovery is already running.", "status": "already_running", "note": "Nothing new started."}
        )
    user = username(request)
    queue.run_in_background(lambda: queue.discover_files(user=user))
    return accepted(
        {
            "message": "File discovery started.",
            "status": "discovering",
            "note": "Files found in SRC without a queue entry are queued as PENDING.",
        }
    )


@api("operator")
async def reset_stuck(request: HttpRequest) -> dict[str, Any]:
    reset = await queue.reset_stuck(user=username(request))
    return {"message": f"Reset {reset} stuck files to PENDING status", "files_reset": reset}


@api("operator")
async def reprocess(request: HttpRequest, queue_id: int) -> dict[str, Any]:
    entry = await queue.reprocess(queue_id, user=username(request))
    return {
        "message": f"File {entry['FILE_NAME']} reset to PENDING status for reprocessing",
        "queue_id": queue_id,
        "file_name": entry["FILE_NAME"],
        "previous_status": entry["STATUS"],
    }


@api("operator")
async def process(request: HttpRequest) -> HttpResponse:
    counts = await queue.queue_counts()
    running = queue.background_running() or counts["PROCESSING"] > 0
    if not queue.background_running():
        queue.run_in_background(processing.discover_and_process)
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
    return await cleanup.clear_all_data(user=username(request))


@api("admin")
async def delete_file_data(request: HttpRequest, file_name: str) -> dict[str, Any]:
    return await cleanup.delete_file_data(file_name, tpa_param(request.GET), user=username(request))


@api("viewer")
async def list_layouts(request: HttpRequest) -> list[dict[str, Any]]:
    return await layouts.list_layouts(tpa_param(request.GET))


@api("operator")
async def save_layout(request: HttpRequest) -> HttpResponse:
    body = json_object(request)
    return created(await layouts.save_layout(tpa_param(body), body, user=username(request)))


@api("operator")
async def delete_layout(request: HttpRequest, layout_name: str) -> dict[str, Any]:
    await layouts.delete_layout(tpa_param(request.GET), layout_name, user=username(request))
    return {"message": f"Layout {layout_name} deleted", "layout_name": layout_name}
