from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from medallion.decorators import page
from medallion.http import error_response
from medallion.rendering import SELECTED_TPA_KEY, render_page


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


async def api_not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    return error_response(request, 404, "not_found", f"No API endpoint at {request.path}.")


MOVED_PAGES = {
    "tpas": "tpa-manage",
    "tasks": "ops-tasks",
    "logs": "ops-logs",
    "audit": "ops-audit",
    "system": "ops-system",
    "schema": "ops-schema",
    "clear-data": "ops-clear-data",
}


def moved_to_operations(request: HttpRequest, page: str) -> HttpResponse:
    """The operations pages lived under /admin/, easily confused with the Django admin; old links still work."""
    query = request.META.get("QUERY_STRING", "")
    moved = reverse(MOVED_PAGES[page]) + (f"?{query}" if query else "")
    return HttpResponsePermanentRedirect(moved, status=308)


@page("viewer")
async def api_docs(request: HttpRequest) -> HttpResponse:
    return await render_page(request, "api_docs.html")
