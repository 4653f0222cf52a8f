import asyncio

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from medallion import openapi, scope, stream
from medallion.clock import iso_now
from medallion.decorators import api
from medallion.errors import ApiError, validation_error
from medallion.http import json_response, username
from medallion.warehouse import WarehouseError, warehouse

HEALTH_DB_TIMEOUT = 10.0
READY_WAREHOUSE_TIMEOUT = 3.0  # a probe must answer quickly; a busy pool counts as not ready


async def health(request: HttpRequest) -> HttpResponse:
    return json_response({"status": "healthy", "service": "running", "timestamp": iso_now()})


async def health_db(request: HttpRequest) -> HttpResponse:
    try:
        info = await warehouse().ping(timeout=HEALTH_DB_TIMEOUT)
    except WarehouseError as error:
        return json_response(
            {
                "status": "unhealthy",
                "service": "running",
                "database": "disconnected",
                "error": str(error)[:200],
                "timestamp": iso_now(),
            },
            status=503,
        )
    return json_response(
        {
            "status": "healthy",
            "service": "running",
            "database": "connected",
            "version": info.version,
            "warehouse": info.warehouse,
            "database_name": info.database,
            "timestamp": iso_now(),
        }
    )


def _django_database_ready() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def health_ready(request: HttpRequest) -> HttpResponse:
    """Ready when the application database and the warehouse both answer, the warehouse within a short time."""
    try:
        await sync_to_async(_django_database_ready, thread_sensitive=False)()
    except Exception as error:
        return _not_ready(f"application database: {type(error).__name__}")
    try:
        async with asyncio.timeout(READY_WAREHOUSE_TIMEOUT):
            await warehouse().ping(timeout=READY_WAREHOUSE_TIMEOUT)
    except TimeoutError:
        return _not_ready(f"warehouse: no answer within {READY_WAREHOUSE_TIMEOUT:g} s")
    except WarehouseError as error:
        return _not_ready(f"warehouse: {type(error).__name__}")
    return json_response({"status": "ready", "service": "running", "timestamp": iso_now()})


def _not_ready(reason: str) -> HttpResponse:
    return json_response(
        {"status": "not_ready", "service": "running", "timestamp": iso_now(), "reason": reason}, status=503
    )


@api("authenticated")
async def current_user(request: HttpRequest) -> dict[str, object]:
    user = request.user
    info = warehouse().info
    return {
        "username": user.get_username(),
        "role": request.role,
        "warehouse": info.warehouse if info.kind == "snowflake" else "embedded",
        "database": info.database,
        "schema": info.schema,
        "account": info.account,
        "region": info.region,
        "snowflake_role": info.role,
    }


@api("viewer")
async def openapi_json(request: HttpRequest) -> dict[str, object]:
    """The OpenAPI 3.1 description of every /api route"""
    return openapi.document()


@api("viewer")
async def events(request: HttpRequest) -> HttpResponseBase:
    """Server-Sent Events: pipeline changes as they happen (topics: queue, load, transform, refresh, task, error)"""
    asked = {topic.strip() for topic in (request.GET.get("topics") or "").split(",") if topic.strip()}
    unknown = asked - set(stream.TOPICS)
    if unknown:
        raise validation_error("topics", f"Unknown topic {sorted(unknown)[0][:30]}; use {', '.join(stream.TOPICS)}.")
    last_event_id = request.headers.get("Last-Event-ID", "")
    user = username(request)
    subscriber = stream.bus.open_stream(user, frozenset(asked or stream.TOPICS), scope.allowed_tpas())
    if subscriber is None:
        raise ApiError(
            429,
            "too_many_streams",
            f"You already hold {settings.EVENT_STREAMS_PER_USER} event streams open; close a tab and retry.",
        )
    stream.bus.ensure_relay()
    body = stream.stream(user, subscriber, int(last_event_id) if last_event_id.isdigit() else None)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    response._resource_closers.append(lambda: stream.bus.close_stream(user, subscriber))
    return response
