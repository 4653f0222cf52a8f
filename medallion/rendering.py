"""Server-rendered pages: the shared page context (apps add to it through `page_context`) and rendering."""

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from medallion.hooks import Hook
from medallion.scope import in_scope

PageView = Callable[..., Awaitable[HttpResponse]]
PageContext = Callable[[], Awaitable[dict[str, Any]]]
SELECTED_TPA_KEY = "selected_tpa"
page_context: Hook[PageContext] = Hook("page_context")

_ERROR_TITLES = {404: "Not found", 409: "Not possible right now", 413: "Too large"}


def named_url(name: str, *args: object, **query: object) -> str:
    """The URL named `name` (of its arguments), with `query` as its query string."""
    url = reverse(name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


async def request_error(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    """A page answering what the request got wrong, with the status the API would give."""
    title = _ERROR_TITLES.get(status, "The request cannot be answered")
    return await render_page(request, "request_error.html", {"title": title, "detail": detail}, status=status)


async def selected_tpa(request: HttpRequest) -> str | None:
    """The TPA asked for with ?tpa= or picked in the selector; none outside the request's TPA scope."""
    chosen = request.GET.get("tpa") or await request.session.aget(SELECTED_TPA_KEY)
    if not chosen or not in_scope(chosen):
        return None
    return chosen.upper()


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
    if fragment and wants_fragment(request):
        template = fragment
    user = await request.auser()
    full_context: dict[str, Any] = {"user": user, "role": getattr(request, "role", None)}
    for provide in page_context:
        full_context.update(await provide())
    full_context["selected_tpa"] = await selected_tpa(request)
    full_context.update(context or {})
    return render(request, template, full_context, status=status)
