"""Application events, file-processing stages and errors, written in batches to the OPS schema.

Callers never wait for the warehouse. Never pass request headers, cookies, tokens or raw claim rows.
"""

import traceback
from datetime import datetime
from typing import Any

from medallion import stream
from medallion.clock import utc_now
from medallion.logbuffer import LogBuffer

application_log = LogBuffer(
    '"OPS"."APPLICATION_LOG"',
    ["LOG_TIMESTAMP", "LOG_LEVEL", "LOG_SOURCE", "LOG_MESSAGE", "LOG_DETAILS", "USER_NAME", "TPA_CODE"],
    json_columns=["LOG_DETAILS"],
)
file_processing_log = LogBuffer(
    '"OPS"."FILE_PROCESSING_LOG"',
    [
        "QUEUE_ID",
        "FILE_NAME",
        "TPA_CODE",
        "PROCESSING_STAGE",
        "STAGE_STATUS",
        "STAGE_START",
        "STAGE_END",
        "STAGE_DURATION_MS",
        "ROWS_PROCESSED",
        "ROWS_FAILED",
        "ERROR_MESSAGE",
        "STAGE_DETAILS",
    ],
    json_columns=["STAGE_DETAILS"],
)
error_log = LogBuffer(
    '"OPS"."ERROR_LOG"',
    [
        "ERROR_TIMESTAMP",
        "ERROR_LEVEL",
        "ERROR_SOURCE",
        "ERROR_TYPE",
        "ERROR_MESSAGE",
        "ERROR_STACK_TRACE",
        "ERROR_CONTEXT",
        "USER_NAME",
        "TPA_CODE",
    ],
    json_columns=["ERROR_CONTEXT"],
)
buffers = (application_log, file_processing_log, error_log)


def log_event(
    level: str,
    source: str,
    message: str,
    *,
    user: str | None = None,
    tpa: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    application_log.add((utc_now(), level, source, message[:4000], details, user, tpa))


def log_file_stage(
    queue_id: int | None,
    file_name: str,
    tpa: str | None,
    stage: str,
    status: str,
    *,
    started: datetime | None = None,
    rows_processed: int | None = None,
    rows_failed: int | None = None,
    error: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    ended = utc_now()
    started = started or ended
    duration = int((ended - started).total_seconds() * 1000)
    file_processing_log.add(
        (queue_id, file_name, tpa, stage, status, started, ended, duration, rows_processed, rows_failed, error, details)
    )


def log_error(
    source: str,
    error: BaseException | str,
    *,
    level: str = "ERROR",
    user: str | None = None,
    tpa: str | None = None,
    context: dict[str, Any] | None = None,
) -> None:
    if isinstance(error, BaseException):
        error_type, message = type(error).__name__, str(error)
        stack = "".join(traceback.format_exception(error))[-16000:]
    else:
        error_type, message, stack = "Error", error, None
    error_log.add((utc_now(), level, source, error_type, message[:4000], stack, context, user, tpa))
    stream.publish("error", level=level, source=source, error_type=error_type, message=message[:300], tpa=tpa)


async def flush_all() -> None:
    from medallion.middleware import api_request_log

    for buffer in (*buffers, api_request_log):
        await buffer.drain()
