"""Business metrics: the catalogue lives in GOLD.BUSINESS_METRICS; after each refresh every active metric gets a
value per TPA and for ALL, appended to GOLD.BUSINESS_METRIC_VALUES (the history)."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from medallion.caching import cached
from medallion.warehouse import warehouse

# Per-TPA components, summed across TPAs for ALL; one query per Gold table.
COMPONENT_QUERIES = (
    "SELECT TPA, SUM(TOTAL_PAID) AS PAID, SUM(TOTAL_BILLED) AS BILLED, SUM(TOTAL_ALLOWED) AS ALLOWED "
    "FROM GOLD.CLAIMS_ANALYTICS GROUP BY TPA",
    "SELECT TPA, COUNT(*) AS MEMBERS, COUNT_IF(LIFETIME_CLAIMS > 0) AS ENGAGED, "
    "COUNT_IF(RISK_TIER = 'HIGH') AS HIGH_RISK, SUM(LIFETIME_PAID) AS MEMBER_PAID FROM GOLD.MEMBER_360 GROUP BY TPA",
)
Components = dict[str, float]


def _ratio(numerator: float, denominator: float, scale: float = 1.0) -> float | None:
    return None if not denominator else round(scale * numerator / denominator, 4)


FORMULAS: dict[str, Callable[[Components], float | None]] = {
    "TOTAL_SPEND": lambda c: round(c.get("PAID", 0.0), 2),
    "AVG_COST_PER_MEMBER": lambda c: _ratio(c.get("MEMBER_PAID", 0.0), c.get("MEMBERS", 0.0)),
    "ENGAGEMENT_RATE": lambda c: _ratio(c.get("ENGAGED", 0.0), c.get("MEMBERS", 0.0), 100.0),
    "NETWORK_DISCOUNT": lambda c: _ratio(c.get("BILLED", 0.0) - c.get("ALLOWED", 0.0), c.get("BILLED", 0.0), 100.0),
    "HIGH_RISK_MEMBERS": lambda c: c.get("HIGH_RISK", 0.0),
}
CATALOGUE_COLUMNS = (
    "m.METRIC_ID, m.TPA, m.METRIC_KEY, m.METRIC_NAME, m.METRIC_CATEGORY, m.METRIC_UNIT, m.CALCULATION_LOGIC, "
    "m.SOURCE_TABLES, m.REFRESH_FREQUENCY, m.METRIC_OWNER, m.DESCRIPTION, m.IS_ACTIVE, m.CREATED_AT, m.UPDATED_AT"
)


async def components_by_tpa() -> dict[str, Components]:
    wh = warehouse()
    found: dict[str, Components] = {}
    for sql in COMPONENT_QUERIES:
        for row in await wh.fetch_all(sql):
            values = found.setdefault(row.pop("TPA"), {})
            values.update({key: float(value or 0) for key, value in row.items()})
    combined: Components = {}
    for values in found.values():
        for key, value in values.items():
            combined[key] = combined.get(key, 0.0) + value
    return {**found, "ALL": combined}


async def compute_metrics(run_id: str) -> int:
    """Append the current value of every active metric for every TPA with Gold data, and for ALL."""
    wh = warehouse()
    catalogue = await wh.fetch_all("SELECT METRIC_ID, TPA, METRIC_KEY FROM GOLD.BUSINESS_METRICS WHERE IS_ACTIVE")
    components = await components_by_tpa()
    computed_at = datetime.now(UTC).replace(tzinfo=None)
    rows: list[tuple[Any, ...]] = []
    for metric in catalogue:
        formula = FORMULAS.get(metric["METRIC_KEY"])
        if formula is None:
            continue
        for tpa, values in components.items():
            if metric["TPA"] in ("ALL", tpa):
                rows.append((metric["METRIC_ID"], tpa, formula(values), run_id, computed_at))
    return await wh.insert_rows(
        '"GOLD"."BUSINESS_METRIC_VALUES"', ('"METRIC_ID"', '"TPA"', '"METRIC_VALUE"', '"RUN_ID"', '"COMPUTED_AT"'), rows
    )


@cached("gold", ttl=300)
async def list_metrics(tpa: str) -> list[dict[str, Any]]:
    """The metrics catalogue with the latest and previous value for this TPA (ALL: across TPAs)."""
    return await warehouse().fetch_all(
        "WITH ranked AS (SELECT METRIC_ID, METRIC_VALUE, COMPUTED_AT, ROW_NUMBER() OVER "
        "(PARTITION BY METRIC_ID ORDER BY COMPUTED_AT DESC, VALUE_ID DESC) AS POSITION "
        "FROM GOLD.BUSINESS_METRIC_VALUES WHERE TPA = ?) "
        f"SELECT {CATALOGUE_COLUMNS}, latest.METRIC_VALUE AS CURRENT_VALUE, latest.COMPUTED_AT AS VALUE_COMPUTED_AT, "
        "previous.METRIC_VALUE AS PREVIOUS_VALUE FROM GOLD.BUSINESS_METRICS AS m "
        "LEFT JOIN ranked AS latest ON latest.METRIC_ID = m.METRIC_ID AND latest.POSITION = 1 "
        "LEFT JOIN ranked AS previous ON previous.METRIC_ID = m.METRIC_ID AND previous.POSITION = 2 "
        "WHERE (? = 'ALL' OR m.TPA IN (?, 'ALL')) ORDER BY m.METRIC_CATEGORY, m.METRIC_NAME, m.METRIC_ID",
        (tpa, tpa, tpa),
    )


@cached("gold", ttl=300)
async def metric_history(tpa: str, points: int = 30) -> dict[int, list[dict[str, Any]]]:
    rows = await warehouse().fetch_all(
        "SELECT METRIC_ID, METRIC_VALUE, COMPUTED_AT FROM GOLD.BUSINESS_METRIC_VALUES WHERE TPA = ? "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY METRIC_ID ORDER BY COMPUTED_AT DESC, VALUE_ID DESC) <= ? "
        "ORDER BY METRIC_ID, COMPUTED_AT, VALUE_ID",
        (tpa, points),
    )
    history: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        history.setdefault(int(row["METRIC_ID"]), []).append(row)
    return history
