"""Server-rendered pages: login and role checks for async views, and the shared page context."""

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from medallion.roles import has_role, role_of
from medallion.warehouse import WarehouseError

PageView = Callable[..., Awaitable[HttpResponse]]
SELECTED_TPA_KEY = "selected_tpa"


def page(role: str = "viewer") -> Callable[[PageView], PageView]:
    def decorate(view: PageView) -> PageView:
        @functools.wraps(view)
        async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = await request.auser()
            request.user = user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            request.role = await role_of(user)
            if not has_role(request.role, role):
                return render(request, "403.html", {"user": user, "role": request.role, "required": role}, status=403)
            try:
                return await view(request, *args, **kwargs)
            except WarehouseError as error:
                return await render_page(request, "warehouse_error.html", {"error": str(error)}, status=503)

        wrapper.page_role = role  # type: ignore[attr-defined]
        return wrapper

    return decorate


async def selected_tpa(request: HttpRequest) -> str | None:
    explicit = request.GET.get("tpa")
    if explicit:
        return explicit.upper()
    return await request.session.aget(SELECTED_TPA_KEY)


def wants_fragment(request: HttpRequest) -> bool:
    """htmx asks for the live part of a page only (the same template the page includes)."""
    return request.headers.get("HX-Request") == "true"


async def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
    *,
    fragment: str | None = None,
) -> HttpResponse:
    """The page, or only `fragment` (a template the page includes) when htmx refreshes it live."""
    from tpa.services import list_tpas

    if fragment and wants_fragment(request):
        template = fragment

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
