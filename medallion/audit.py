import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from asgiref.sync import async_to_sync
from django.http import HttpRequest

from medallion.http import encode_value
from medallion.warehouse import Transaction, warehouse

_request_id: ContextVar[str | None] = ContextVar("medallion_audit_request_id", default=None)


@contextmanager
def request_context(request: HttpRequest) -> Iterator[None]:
    """Audit rows written while the view runs carry the request's id."""
    reset = _request_id.set(getattr(request, "request_id", None))
    try:
        yield
    finally:
        _request_id.reset(reset)


async def record(
    user: str | None,
    action: str,
    entity_type: str,
    entity_id: object,
    *,
    tpa: str | None = None,
    before: Any = None,
    after: Any = None,
    request_id: str | None = None,
    within: Transaction | None = None,
) -> None:
    """Append to OPS.AUDIT_LOG; pass `within` to commit the entry with the change it describes."""
    target = within or warehouse()
    await target.execute(
        "INSERT INTO OPS.AUDIT_LOG (USER_NAME, ACTION, ENTITY_TYPE, ENTITY_ID, TPA_CODE, BEFORE_VALUE, AFTER_VALUE, "
        "REQUEST_ID) SELECT ?, ?, ?, ?, ?, PARSE_JSON(?), PARSE_JSON(?), ?",
        (user, action, entity_type, str(entity_id), tpa, _json(before), _json(after), request_id or _request_id.get()),
    )


record_sync = async_to_sync(record)
"""`record` for sync code (the Django admin, sign-in views), which runs in a worker thread under ASGI."""


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=encode_value)
