
from asgiref.sync import sync_to_async
from django.db import connection
from django.http import HttpRequest, HttpResponse

from medallion.clock import iso_now
from medallion.decorators import api
from medallion.http import json_response
from medallion.warehouse import WarehouseError, warehouse

HEALTH_DB_TIMEOUT = 10.0



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
    try:
        await sync_to_async(_django_database_ready, thread_sensitive=False)()
    except Exception as error:
        return json_response(
            {
                "status": "not_ready",
                "service": "running",
                "timestamp": iso_now(),
                "reason": f"application database: {type(error).__name__}",
            },
            status=503,
        )
    return json_response({"status": "ready", "service": "running", "timestamp": iso_now()})


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
