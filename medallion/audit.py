import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from asgiref.sync import async_to_sync
from django.http import HttpRequest

from medallion.http import encode_value
from medallion.warehouse import Transaction, warehouse
from medallion.warehouse.sql import Sql, insert_into

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
    entry = {
        "USER_NAME": user, "ACTION": action, "ENTITY_TYPE": entity_type, "ENTITY_ID": str(entity_id), "TPA_CODE": tpa,
        "BEFORE_VALUE": Sql("PARSE_JSON(?)", (_json(before),)), "AFTER_VALUE": Sql("PARSE_JSON(?)", (_json(after),)),
        "REQUEST_ID": request_id or _request_id.get(),
    }  # fmt: skip
    await target.execute(insert_into("OPS.AUDIT_LOG", entry))


record_sync = async_to_sync(record)
"""`record` for sync code (the Django admin, sign-in views), which runs in a worker thread under ASGI."""


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=encode_value)
