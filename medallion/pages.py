"""Server-rendered pages: login and role checks for async views, and the shared page context."""

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from medallion.errors import ApiError
from medallion.roles import has_role, role_of
from medallion.sessions import idle_session_ended, protect
from medallion.warehouse import WarehouseError
from medallion.warehouse.identifiers import InvalidIdentifier

PageView = Callable[..., Awaitable[HttpResponse]]
SELECTED_TPA_KEY = "selected_tpa"


def page(role: str = "viewer") -> Callable[[PageView], PageView]:
    def decorate(view: PageView) -> PageView:
        @functools.wraps(view)
        async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return protect(await answer(request, *args, **kwargs), page=True)

        async def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = await request.auser()
            request.user = user
            if await idle_session_ended(request) or not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            request.role = await role_of(user)
            if not has_role(request.role, role):
                return render(request, "403.html", {"user": user, "role": request.role, "required": role}, status=403)
            try:
                return await view(request, *args, **kwargs)
            except ApiError as error:
                return await request_error(request, error.status, error.detail)
            except InvalidIdentifier as error:
                return await request_error(request, 422, str(error))
            except RequestDataTooBig:
                return await request_error(request, 413, "The request body is too large.")
            except SuspiciousOperation:
                return await request_error(request, 400, "The request was refused as malformed.")
            except WarehouseError as error:
                return await render_page(request, "warehouse_error.html", {"error": str(error)}, status=503)

        return wrapper

    return decorate


_ERROR_TITLES = {404: "Not found", 409: "Not possible right now", 413: "Too large"}


async def request_error(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    """A page answering what the request got wrong, with the status the API would give."""
    title = _ERROR_TITLES.get(status, "The request cannot be answered")
    return await render_page(request, "request_error.html", {"title": title, "detail": detail}, status=status)


async def selected_tpa(request: HttpRequest) -> str | None:
    explicit = request.GET.get("tpa")
    if explicit:
        return explicit.upper()
    return await request.session.aget(SELECTED_TPA_KEY)


async def render_page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    from tpa.services import list_tpas

    user = await request.auser()
    try:
        tpas = await list_tpas()
    except WarehouseError:
        tpas = []
    full_context = {
        "user": user,
        "role": getattr(request, "role", None),
        "tpas": tpas,
        "selected_tpa": await selected_tpa(request),
        **(context or {}),
    }
    return render(request, template, full_context, status=status)
