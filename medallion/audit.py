import json
from typing import Any

from medallion.http import encode_value
from medallion.warehouse import Transaction, warehouse


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
        (user, action, entity_type, str(entity_id), tpa, _json(before), _json(after), request_id),
    )


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, default=encode_value)
