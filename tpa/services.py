from collections.abc import Awaitable, Callable
from typing import Any, TypedDict

from medallion import audit
from medallion.caching import cached, invalidate, invalidate_every_namespace
from medallion.errors import ApiError, conflict, not_found
from medallion.hooks import Hook
from medallion.scope import visible
from medallion.warehouse import Transaction, warehouse
from medallion.warehouse.identifiers import InvalidIdentifier, tpa_code

TPA_COLUMNS = "TPA_CODE, TPA_NAME, TPA_DESCRIPTION, ACTIVE, CREATED_TIMESTAMP, UPDATED_TIMESTAMP"

PurgeInTransaction = Callable[[Transaction, str], Awaitable[Any]]
PurgeAfterCommit = Callable[[str], Awaitable[int]]
purge_in_transaction: Hook[PurgeInTransaction] = Hook("tpa.purge_in_transaction")
purge_after_commit: Hook[PurgeAfterCommit] = Hook("tpa.purge_after_commit")
busy_checks: Hook[Callable[[str], Awaitable[bool]]] = Hook("tpa.busy_checks")


class TpaChanges(TypedDict, total=False):
    """Validated changes to a TPA (tpa/forms.py); a key left out stays as it is."""

    tpa_code: str
    tpa_name: str
    tpa_description: str | None
    active: bool


@cached("tpas", ttl=300)
async def list_tpas(active: bool | None = None) -> list[dict[str, Any]]:
    where = "" if active is None else "WHERE ACTIVE = ?"
    rows = await warehouse().fetch_all(
        f"SELECT {TPA_COLUMNS} FROM BRONZE.TPA_MASTER {where} ORDER BY ACTIVE DESC, CREATED_TIMESTAMP DESC, TPA_CODE",
        None if active is None else (active,),
    )
    return visible(rows, "TPA_CODE")


async def get_tpa(code: object) -> dict[str, Any]:
    """The TPA for a code in any case; 404 when unknown."""
    try:
        canonical = tpa_code(code)
    except InvalidIdentifier:
        raise not_found("tpa_not_found", "TPA not found.") from None
    row = next((t for t in await list_tpas() if t["TPA_CODE"] == canonical), None)
    if row is None:
        raise not_found("tpa_not_found", f"TPA {canonical} not found.")
    return row


async def require_active_tpa(code: object) -> dict[str, Any]:
    tpa = await get_tpa(code)
    if not tpa["ACTIVE"]:
        raise conflict("tpa_inactive", f"TPA {tpa['TPA_CODE']} is inactive; activate it first.")
    return tpa


async def create_tpa(
    code: str, name: str, description: str | None = None, active: bool = True, *, user: str | None = None
) -> str:
    canonical = tpa_code(code)
    values = (canonical, name, description or "", active)
    async with warehouse().transaction() as tx:
        if await tx.fetch_one("SELECT 1 AS X FROM BRONZE.TPA_MASTER WHERE TPA_CODE = ?", (canonical,)):
            raise conflict("tpa_exists", f"TPA {canonical} already exists.")
        await tx.execute(
            "INSERT INTO BRONZE.TPA_MASTER (TPA_CODE, TPA_NAME, TPA_DESCRIPTION, ACTIVE) VALUES (?, ?, ?, ?)", values
        )
        await audit.record(
            user,
            "CREATE",
            "TPA",
            canonical,
            tpa=canonical,
            after=dict(zip(("TPA_CODE", "TPA_NAME", "TPA_DESCRIPTION", "ACTIVE"), values, strict=True)),
            within=tx,
        )
    await invalidate("tpas")
    return canonical


async def update_tpa(code: object, changes: TpaChanges, *, user: str | None = None) -> dict[str, Any]:
    current = await get_tpa(code)
    canonical = current["TPA_CODE"]
    if "tpa_code" in changes and changes["tpa_code"].upper() != canonical:
        raise ApiError(422, "tpa_code_immutable", "A TPA code cannot be changed; create a new TPA instead.")
    updated = {
        "TPA_NAME": changes.get("tpa_name", current["TPA_NAME"]),
        "TPA_DESCRIPTION": changes.get("tpa_description", current["TPA_DESCRIPTION"]) or "",
        "ACTIVE": changes.get("active", current["ACTIVE"]),
    }
    async with warehouse().transaction() as tx:
        await tx.execute(
            "UPDATE BRONZE.TPA_MASTER SET TPA_NAME = ?, TPA_DESCRIPTION = ?, ACTIVE = ?, "
            "UPDATED_TIMESTAMP = CURRENT_TIMESTAMP() WHERE TPA_CODE = ?",
            (updated["TPA_NAME"], updated["TPA_DESCRIPTION"], updated["ACTIVE"], canonical),
        )
        before = {key: current[key] for key in updated}
        await audit.record(user, "UPDATE", "TPA", canonical, tpa=canonical, before=before, after=updated, within=tx)
    await invalidate("tpas")
    return {**current, **updated}


async def delete_tpa(code: object, *, user: str | None = None) -> int:
    """Remove the TPA and everything loaded for it; returns the number of physical tables dropped."""
    current = await get_tpa(code)
    canonical = current["TPA_CODE"]
    for is_busy in busy_checks:
        if await is_busy(canonical):
            raise conflict("operation_in_progress", f"A transform or auto-mapping run for {canonical} is in progress.")
    async with warehouse().transaction(timeout=600) as tx:
        for step in purge_in_transaction:
            await step(tx, canonical)
        await tx.execute("DELETE FROM BRONZE.TPA_MASTER WHERE TPA_CODE = ?", (canonical,))
        await audit.record(user, "DELETE", "TPA", canonical, tpa=canonical, before=current, within=tx)
    tables_dropped = 0
    for step in purge_after_commit:
        tables_dropped += await step(canonical)
    await invalidate_every_namespace()  # the purge reached into every layer's tables
    return tables_dropped
