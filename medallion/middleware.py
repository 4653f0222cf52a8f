import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.security import SecurityMiddleware

from medallion.logbuffer import LogBuffer
from medallion.redaction import loggable_params
from medallion.tokens import user_for_token

UNLOGGED_PATHS = ("/api/health",)
TPA_PARAMETERS = ("tpa", "tpa_code")

api_request_log = LogBuffer(
    '"OPS"."API_REQUEST_LOG"',
    [
        "REQUEST_UUID",
        "REQUEST_TIMESTAMP",
        "REQUEST_METHOD",
        "REQUEST_PATH",
        "REQUEST_PARAMS",
        "RESPONSE_STATUS",
        "RESPONSE_TIME_MS",
        "CLIENT_IP",
        "USER_NAME",
        "USER_AGENT",
        "TPA_CODE",
    ],
    json_columns=["REQUEST_PARAMS"],
    capacity=settings.REQUEST_LOG_QUEUE_SIZE,
)


class AsyncMiddleware:
    async_capable = True
    sync_capable = False

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)


class RequestContextMiddleware(AsyncMiddleware):
    """Request id on every response, and the API audit trail (never headers, cookies, bodies or tokens)."""

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request.request_id = uuid.uuid4().hex
        started = time.perf_counter()
        response = await self.get_response(request)
        response["X-Request-ID"] = request.request_id
        if request.path.startswith("/api/") and not request.path.startswith(UNLOGGED_PATHS):
            api_request_log.add(_audit_row(request, response.status_code, time.perf_counter() - started))
        return response


def _audit_row(request: HttpRequest, status: int, elapsed: float) -> tuple[Any, ...]:
    user = getattr(request, "_acached_user", None)
    username = user.get_username() if user is not None and user.is_authenticated else None
    params = loggable_params(request.GET)
    tpa = next((params[name].upper()[:50] for name in TPA_PARAMETERS if params.get(name)), None)
    return (
        request.request_id,
        datetime.now(UTC).replace(tzinfo=None),
        request.method,
        request.path[:2000],
        params,
        status,
        int(elapsed * 1000),
        request.META.get("REMOTE_ADDR"),
        username,
        request.headers.get("User-Agent", "")[:500],
        tpa,
    )


class BearerTokenMiddleware(AsyncMiddleware):
    """`Authorization: Bearer <token>` wins over the session cookie and is exempt from CSRF."""

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            user = await user_for_token(header[7:].strip())
            request._dont_enforce_csrf_checks = True
            request.bearer_invalid = user is None
            resolved = user or AnonymousUser()
            request._acached_user = resolved
            request.user = resolved

            async def auser() -> Any:
                return resolved

            request.auser = auser
        return await self.get_response(request)


class CsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF check with axios's header name, Django's usual header as an alias, and the
    fetch-metadata fallback for same-origin API calls that carry no token header."""

    def process_view(self, request: HttpRequest, callback: Any, callback_args: Any, callback_kwargs: Any) -> Any:
        meta = request.META
        if "HTTP_X_XSRF_TOKEN" not in meta and "HTTP_X_CSRFTOKEN" in meta:
            meta["HTTP_X_XSRF_TOKEN"] = meta["HTTP_X_CSRFTOKEN"]
        elif "HTTP_X_XSRF_TOKEN" not in meta and request.path.startswith("/api/") and _same_origin_fetch(request):
            request._dont_enforce_csrf_checks = True
        return super().process_view(request, callback, callback_args, callback_kwargs)


def _same_origin_fetch(request: HttpRequest) -> bool:
    if request.headers.get("Sec-Fetch-Site") != "same-origin":
        return False
    origin = request.headers.get("Origin", "")
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    try:
        return (
            bool(origin) and urlsplit(origin).netloc == request.get_host() and origin.startswith(f"{request.scheme}://")
        )
    except Exception:
        return False


class DjangoEssentialsMiddleware(AsyncMiddleware):
    """Django's security, session, CSRF, auth, messages and clickjacking middleware, run inline.

    Under ASGI each sync middleware hook costs a thread hop. None of these hooks does I/O, except the
    session save after a change, which alone goes to a thread.
    """

    essentials = (
        SecurityMiddleware,
        SessionMiddleware,
        CsrfMiddleware,
        AuthenticationMiddleware,
        MessageMiddleware,
        XFrameOptionsMiddleware,
    )

    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        self.chain = [middleware(_never_called) for middleware in self.essentials]
        self.csrf = next(m for m in self.chain if isinstance(m, CsrfMiddleware))

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        for index, middleware in enumerate(self.chain):
            handle_request = getattr(middleware, "process_request", None)
            response = handle_request(request) if handle_request else None
            if response is not None:
                return await self._respond(request, response, self.chain[: index + 1])
        response = await self.get_response(request)
        return await self._respond(request, response, self.chain)

    async def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> Any:
        return self.csrf.process_view(request, view, args, kwargs)

    async def _respond(self, request: HttpRequest, response: HttpResponseBase, chain: list[Any]) -> HttpResponseBase:
        for middleware in reversed(chain):
            handle_response = getattr(middleware, "process_response", None)
            if handle_response is None:
                continue
            if isinstance(middleware, SessionMiddleware) and _session_needs_saving(request):
                response = await sync_to_async(handle_response)(request, response)
            else:
                response = handle_response(request, response)
        return response


def _session_needs_saving(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    return session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST)


def _never_called(request: HttpRequest) -> HttpResponseBase:
    raise AssertionError("the essentials chain is driven by DjangoEssentialsMiddleware")
