"""HTTP plumbing for JSON views: the contract's error shape, value encoding and the JSON body (fields are parsed
by the forms in medallion/forms.py)."""

import asyncio
import json
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from medallion.errors import ApiError

LARGE_RESPONSE_ITEMS = 500
_encoding_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="json")


def username(request: HttpRequest) -> str:
    return request.user.get_username()


def encode_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"Cannot encode {type(value).__name__}")


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> HttpResponse:
    body = json.dumps(data, default=encode_value, ensure_ascii=False, allow_nan=False)
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8", headers=headers)


async def encoded_off_the_loop(data: Any) -> HttpResponse:
    """Large results are encoded on a thread, so the event loop keeps its turns while thousands of rows encode."""
    if _items(data) < LARGE_RESPONSE_ITEMS:
        return json_response(data)
    return await asyncio.get_running_loop().run_in_executor(_encoding_executor, json_response, data)


def _items(data: Any) -> int:
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):
        return sum(len(value) for value in data.values() if isinstance(value, list))
    return 0


def error_response(
    request: HttpRequest | None,
    status: int,
    code: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    if status >= 500 and request is not None:
        body["request_id"] = getattr(request, "request_id", "")
    return json_response(body, status, headers)


def created(data: Any) -> HttpResponse:
    return json_response(data, 201)


def accepted(data: Any) -> HttpResponse:
    return json_response(data, 202)


def json_body(request: HttpRequest) -> Any:
    """The parsed JSON body; None for no body, an empty body or the literal null."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ApiError(413, "payload_too_large", "The JSON body is larger than 1 MiB.") from None
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "malformed_request", "The request body is not valid JSON.") from None
    except RecursionError:
        raise ApiError(400, "malformed_request", "The JSON body is nested too deeply.") from None


def json_object(request: HttpRequest) -> dict[str, Any]:
    """A JSON object body with null values removed ({} when there is no body)."""
    body = json_body(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "malformed_request", "The request body must be a JSON object.")
    return {key: value for key, value in body.items() if value is not None}


def body_or_query(request: HttpRequest) -> dict[str, Any]:
    """Parameters from the query string, overridden by a JSON object body (table creation and quality checks)."""
    merged: dict[str, Any] = {key: value for key, value in request.GET.items() if value != ""}
    merged.update(json_object(request))
    return merged
