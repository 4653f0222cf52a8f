"""How a TPA writes dates and numbers: day-month order, decimal comma, accounting negatives "(100.00)". Stored
with the TPA; the Silver transform converts the TPA's text values by them."""

from dataclasses import asdict, dataclass
from typing import Any

from medallion import audit
from medallion.caching import cached, invalidate
from medallion.clock import utc_now
from medallion.warehouse import Transaction, warehouse
from tpa.services import get_tpa

DATE_ORDERS = {"MDY": "month before day (01/31/2024)", "DMY": "day before month (31/01/2024)"}
TABLE = "BRONZE.TPA_CONVERSIONS"


@dataclass(frozen=True)
class Conversions:
    date_order: str = "MDY"
    decimal_comma: bool = False
    accounting_negatives: bool = False


@cached("tpas", ttl=300)
async def _stored() -> dict[str, dict[str, Any]]:
    rows = await warehouse().fetch_all(f"SELECT TPA_CODE, DATE_ORDER, DECIMAL_COMMA, ACCOUNTING_NEGATIVES FROM {TABLE}")
    return {
        row["TPA_CODE"]: {
            "date_order": row["DATE_ORDER"],
            "decimal_comma": bool(row["DECIMAL_COMMA"]),
            "accounting_negatives": bool(row["ACCOUNTING_NEGATIVES"]),
        }
        for row in rows
    }


async def conversions_of(tpa_code: str) -> Conversions:
    return Conversions(**(await _stored()).get(tpa_code, {}))


async def every_tpa_conversions() -> dict[str, Conversions]:
    return {code: Conversions(**values) for code, values in (await _stored()).items()}


async def set_conversions(tpa: object, updated: Conversions, *, user: str | None) -> Conversions:
    code = (await get_tpa(tpa))["TPA_CODE"]
    current = await conversions_of(code)
    async with warehouse().transaction() as tx:
        await purge_conversions(tx, code)
        await tx.execute(
            f"INSERT INTO {TABLE} (TPA_CODE, DATE_ORDER, DECIMAL_COMMA, ACCOUNTING_NEGATIVES, UPDATED_BY, UPDATED_AT) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (code, updated.date_order, updated.decimal_comma, updated.accounting_negatives, user, utc_now()),
        )
        await audit.record(
            user, "UPDATE", "TPA_CONVERSIONS", code, tpa=code, before=asdict(current), after=asdict(updated), within=tx
        )
    await invalidate("tpas")
    return updated


async def purge_conversions(tx: Transaction, tpa: str) -> None:
    await tx.execute(f"DELETE FROM {TABLE} WHERE TPA_CODE = ?", (tpa,))
