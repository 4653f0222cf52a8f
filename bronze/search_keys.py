"""What raw-data search reads: the values of a record's id, number, name and code fields, lowercased, in one
column (RAW_DATA_TABLE.SEARCH_KEYS) filled at load.

Users look records up by a claim or member number, a provider's name or NPI, a diagnosis or procedure code, never
by an amount or a date. Searching a few key fields, not the text of the whole VARIANT, makes a search of
2,000,000 records one scan of a narrow text column instead of serialising every record (seconds per search).
A field is a key when its name, split into words (`Claim Number`, `ClaimID`, `MBR_ID`, `provider_npi`), holds
one of KEY_WORDS.
"""

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from medallion.warehouse import DelimitedSource

SEARCH_COLUMN = '"SEARCH_KEYS"'
KEY_WORDS = frozenset(
    {"id", "number", "num", "no", "nbr", "npi", "name", "nm", "code", "cd", "dx", "cpt", "hcpcs", "icd", "ndc",
     "mrn", "tin", "ein", "provider"}
)  # fmt: skip
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def name_words(field: str) -> list[str]:
    """`ClaimID` -> claim, id; `CPT/HCPCS` -> cpt, hcpcs; `MBR_ID` -> mbr, id."""
    return [word.lower() for word in _WORDS.findall(field)]


@functools.lru_cache(maxsize=4096)
def is_key_field(field: str) -> bool:
    return any(word in KEY_WORDS for word in name_words(field))


def key_fields(fields: Iterable[str]) -> tuple[str, ...]:
    return tuple(field for field in fields if is_key_field(field))


def search_text(record: Mapping[str, Any]) -> str | None:
    """The record's key values as SEARCH_KEYS holds them (what the warehouse computes for a delimited load)."""
    fields = key_fields(record)
    if not fields:
        return None
    values = ("" if record.get(field) is None else str(record[field]) for field in fields)
    return DelimitedSource.SEARCH_SEPARATOR.join(values).lower()
