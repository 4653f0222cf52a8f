"""View decorators: sign-in, roles and the error contract for JSON views (`api`) and pages (`page`); method dispatch."""

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse

from medallion import audit
from medallion.access import audit_refused_token, resolve_access
from medallion.errors import ApiError
from medallion.http import encoded_off_the_loop, error_response
from medallion.rendering import PageView, render_page, request_error
from medallion.roles import has_role
from medallion.scope import tpa_scope
from medallion.sessions import idle_session_ended, protect
from medallion.warehouse import QueryError, WarehouseError, WarehouseTimeout, WarehouseUnavailable
from medallion.warehouse.identifiers import InvalidIdentifier

log = logging.getLogger("medallion.api")
View = Callable[..., Awaitable[Any]]


def api(role: str | None = "viewer") -> Callable[[View], View]:  # noqa: C901 (one branch per failure kind of the error contract)
    """Authenticate, authorize, run the view and turn every failure into the contract's error shape.

    `role` is viewer, operator or admin; "authenticated" admits any signed-in user; None admits everyone."""

    def decorate(view: View) -> View:  # noqa: C901 (see api)
        @functools.wraps(view)
        async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            return protect(await answer(request, *args, **kwargs), page=False)

        async def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:  # noqa: C901 (see api)
            user = await request.auser()
            request.user = user
            if role is not None and await idle_session_ended(request):
                return error_response(
                    request, 401, "not_authenticated", "The session ended after a period without activity; sign in."
                )
            if role is not None:
                if getattr(request, "bearer_invalid", False):
                    await audit_refused_token(request)
                    return error_response(
                        request,
                        401,
                        "invalid_token",
                        "The API token is unknown, revoked or expired.",
                        headers={"WWW-Authenticate": "Bearer"},
                    )
                if not user.is_authenticated:
                    return error_response(request, 401, "not_authenticated", "Authentication is required.")
                await resolve_access(request, user)
                if not has_role(request.role, role):
                    return error_response(
                        request,
                        403,
                        "permission_denied",
                        f"This action needs the {role} role; you have {request.role or 'no role'}.",
                    )
            if request.method == "GET" and getattr(request, "bearer_invalid", None) is None:
                get_token(request)  # the browser's CSRF cookie; a bearer token is exempt from CSRF
            try:
                with tpa_scope(getattr(request, "tpa_scope", None)), audit.request_context(request):
                    result = await view(request, *args, **kwargs)
            except ApiError as error:
                return error_response(request, error.status, error.code, error.detail, error.errors)
            except InvalidIdentifier as error:
                return error_response(request, 422, "validation_error", str(error))
            except RequestDataTooBig:
                return error_response(request, 413, "payload_too_large", "The request body is too large.")
            except SuspiciousOperation as error:
                return error_response(request, 400, "malformed_request", _suspicious_detail(error))
            except WarehouseUnavailable as error:
                return error_response(request, 503, "upstream_unavailable", str(error))
            except WarehouseTimeout as error:
                return error_response(request, 504, "upstream_timeout", str(error))
            except QueryError as error:
                log.error("warehouse error request_id=%s: %s", getattr(request, "request_id", ""), error.detail)
                return error_response(
                    request,
                    502,
                    "upstream_error",
                    "The warehouse could not complete the request. Quote the request id to support.",
                )
            except WarehouseError as error:
                return error_response(request, 502, "upstream_error", str(error))
            except Exception:
                log.exception("unhandled error request_id=%s", getattr(request, "request_id", ""))
                return error_response(
                    request, 500, "internal_error", "Something went wrong on our side. Quote the request id to support."
                )
            if isinstance(result, HttpResponseBase):
                return result
            return await encoded_off_the_loop(result)

        wrapper.api_role = role  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _suspicious_detail(error: SuspiciousOperation) -> str:
    """Django's messages for too many fields or files are safe to show; anything else stays generic."""
    if type(error).__name__ in {"TooManyFieldsSent", "TooManyFilesSent"}:
        return str(error)
    return "The request was refused as malformed."


def dispatch(**views: View) -> View:
    """One URL, several methods: dispatch(GET=list_things, POST=create_thing)."""
    allowed = ", ".join(sorted(views))

    async def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        handler = views.get(request.method or "")
        if handler is None:
            return error_response(
                request,
                405,
                "method_not_allowed",
                f"Method {request.method} is not allowed here.",
                headers={"Allow": allowed},
            )
        return await handler(request, *args, **kwargs)

    view.methods = views  # type: ignore[attr-defined]
    return view


PageAction = Callable[..., Awaitable[str]]


def page_action(role: str, back: str) -> Callable[[PageAction], PageView]:
    """A page form's one write action: POST only; the view returns the message to show, an ApiError's detail is
    shown as the error; either way the browser goes back to the page named `back`, with the query string the form
    was posted with (the page's tab or filter)."""

    def decorate(action: PageAction) -> PageView:
        @page(role)
        @functools.wraps(action)
        async def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            try:
                messages.success(request, await action(request, *args, **kwargs))
            except ApiError as error:
                messages.error(request, error.detail)
            query = request.GET.urlencode()
            return HttpResponseRedirect(reverse(back) + (f"?{query}" if query else ""))

        return view

    return decorate


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
            await resolve_access(request, user)
            if not has_role(request.role, role):
                return render(request, "403.html", {"user": user, "role": request.role, "required": role}, status=403)
            with tpa_scope(request.tpa_scope):  # error pages too: their menu lists the TPAs of the scope
                try:
                    with audit.request_context(request):
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

        wrapper.page_role = role  # type: ignore[attr-defined]
        return wrapper

    return decorate
