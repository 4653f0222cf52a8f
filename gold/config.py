import json
from dataclasses import dataclass

from django.conf import settings

from medallion.warehouse.core import Queries

RISK_TIERS_KEY = "RISK_TIERS"
# Paid amount over the 12 months up to the TPA's latest service date at which a member enters a tier.
DEFAULT_RISK_TIERS = {"MEDIUM": 1000.0, "HIGH": 5000.0}


@dataclass(frozen=True)
class RiskTiers:
    medium: float
    high: float

    @classmethod
    def from_mapping(cls, values: dict[str, object]) -> "RiskTiers":
        medium, high = float(values["MEDIUM"]), float(values["HIGH"])  # type: ignore[arg-type]
        if not 0 <= medium <= high:
            raise ValueError("Risk tiers need 0 <= MEDIUM <= HIGH")
        return cls(medium, high)


async def risk_tiers(db: Queries) -> RiskTiers:
    """GOLD.CONFIG row RISK_TIERS, else the GOLD_RISK_TIERS setting, else the defaults."""
    stored = await db.fetch_value("SELECT CONFIG_VALUE FROM GOLD.CONFIG WHERE CONFIG_KEY = ?", (RISK_TIERS_KEY,))
    if stored is not None:
        return RiskTiers.from_mapping(json.loads(stored) if isinstance(stored, str) else stored)
    return RiskTiers.from_mapping(getattr(settings, "GOLD_RISK_TIERS", DEFAULT_RISK_TIERS))
