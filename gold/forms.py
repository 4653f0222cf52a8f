"""Input parsing for Gold views."""

from dataclasses import dataclass
from typing import Any

from medallion.http import integer, text


@dataclass(frozen=True)
class LineageCell:
    tpa: str
    year: int
    month: int
    claim_type: str | None


def lineage_cell(source: Any) -> LineageCell:
    return LineageCell(
        tpa=str(text(source, "tpa", required=True, max_length=100)),
        year=int(integer(source, "year", required=True, minimum=1900, maximum=2999) or 0),
        month=int(integer(source, "month", required=True, minimum=1, maximum=12) or 0),
        claim_type=text(source, "claim_type", max_length=20),
    )
