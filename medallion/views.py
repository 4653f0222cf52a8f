from datetime import UTC, datetime

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from medallion import openapi
from medallion.api import api, error_response, json_response
from medallion.pages import SELECTED_TPA_KEY, page, render_page
from medallion.warehouse import WarehouseError, warehouse

HEALTH_DB_TIMEOUT = 10.0


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


async def health(request: HttpRequest) -> HttpResponse:
    return json_response({"status": "healthy", "service": "running", "timestamp": _now()})


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
                "timestamp": _now(),
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
            "timestamp": _now(),
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
                "timestamp": _now(),
                "reason": f"application database: {type(error).__name__}",
            },
            status=503,
        )
    return json_response({"status": "ready", "service": "running", "timestamp": _now()})


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


@page("viewer")
async def api_docs(request: HttpRequest) -> HttpResponse:
    return await render_page(request, "api_docs.html")


@page("viewer")
async def home(request: HttpRequest) -> HttpResponse:
    return await render_page(request, "home.html")


@page("viewer")
async def select_tpa(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        await request.session.aset(SELECTED_TPA_KEY, (request.POST.get("tpa") or "").upper() or None)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return HttpResponseRedirect(target)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if request.path.startswith("/api/"):
        return error_response(request, 403, "csrf_failed", "CSRF verification failed. Reload the page and try again.")
    from django.views.csrf import csrf_failure as default_failure

    return default_failure(request, reason)


async def api_not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    return error_response(request, 404, "not_found", f"No API endpoint at {request.path}.")


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return error_response(request, 404, "not_found", f"No API endpoint at {request.path}.")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Exception())


def handler500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return error_response(request, 500, "internal_error", "Something went wrong on our side.")
    from django.views.defaults import server_error

    return server_error(request)
