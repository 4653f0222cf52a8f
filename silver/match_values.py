"""Value profiles for auto-mapping: the kinds a sample value looks like (dates, money, ICD or CPT codes, ...),
the kinds a target column expects, and how well a field's samples fit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache


class _ValueKind:
    """Kinds of sample value; plain strings so hashing stays cheap in the hot loop."""

    DATE = "date"
    TIMESTAMP = "timestamp"
    MONEY = "money"
    INTEGER = "integer"
    DECIMAL = "decimal"
    CPT = "cpt"
    HCPCS = "hcpcs"
    CDT = "cdt"
    ICD = "icd"
    NDC = "ndc"
    TEN_DIGITS = "ten_digits"
    PHONE = "phone"
    ZIP = "zip"
    STATE = "state"
    EMAIL = "email"
    GENDER = "gender"
    TOOTH = "tooth"
    SURFACE = "surface"
    YES_NO = "yes_no"
    STATUS_WORD = "status_word"
    SHORT_CODE = "short_code"
    PERSON_NAME = "person_name"
    DRUG_TEXT = "drug_text"
    ADDRESS = "address"
    TEXT = "text"
    IDENTIFIER = "identifier"


_DATE_PART = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"
    r"|\d{1,2}[- ]?[A-Za-z]{3}[- ]?\d{2,4}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4})"
)
_DATE_PATTERN = re.compile(rf"^{_DATE_PART}$")
_COMPACT_DATE_PATTERN = re.compile(r"^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$")
_TIMESTAMP_PATTERN = re.compile(
    rf"^(?:{_DATE_PART}|\d{{8}})[T ]\d{{1,2}}:\d{{2}}(?::\d{{2}}(?:\.\d{{1,9}})?)?"
    r"(?:\s{0,2}[AaPp][Mm])?\s{0,2}(?:Z|[+-]\d{2}:?\d{2})?$"
)
_MONEY_PATTERN = re.compile(r"^[-+(]?\$?\s?-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{2})?\)?$")
_INTEGER_PATTERN = re.compile(r"^-?\d+$")
_DECIMAL_PATTERN = re.compile(r"^-?\d*\.\d+$")
_CPT_PATTERN = re.compile(r"^\d{4}[0-9FTU](?:-?[0-9A-Z]{2})?$")
_HCPCS_PATTERN = re.compile(r"^[A-V]\d{4}(?:-?[0-9A-Z]{2})?$")
_CDT_PATTERN = re.compile(r"^D\d{4}$")
_ICD10_PATTERN = re.compile(r"^[A-TV-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")
# Numeric ICD-9 codes ("250.00") are indistinguishable from money, so only V/E codes count.
_ICD9_PATTERN = re.compile(r"^(?:V\d{2}|E\d{3})\.\d{1,2}$")
_NDC_PATTERN = re.compile(r"^(?:\d{11}|\d{4,5}-\d{3,4}-\d{1,2})$")
_PHONE_PATTERN = re.compile(
    r"^(?:\+?1[-. ]?)?(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}(?:\s{0,2}(?:x|ext\.?)\s{0,2}\d{1,6})?$"
)
_ZIP_PATTERN = re.compile(r"^\d{5}(?:-?\d{4})?$")
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_SURFACE_PATTERN = re.compile(r"^[MODBLFI]{1,5}$")
_PERSON_NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z'.\-]*(?:,? [A-Za-z][A-Za-z'.\-]*){0,3}$")
_DRUG_TEXT_PATTERN = re.compile(
    r"\d\s{0,2}(?:MG|MCG|ML|G|%|UNIT|IU|MEQ)\b|\b(?:TAB|TABS|CAP|CAPS|SOLN|SUSP|INJ|CREAM|OINT|ER|XR|HCL)\b",
    re.IGNORECASE,
)
_ADDRESS_PATTERN = re.compile(
    r"^(?:\d+[A-Za-z]?\s+\w+.*|.*\b(?:APT|SUITE|STE|UNIT|P\.?O\.? BOX|BLDG|FL)\b.*|#\s*\w+)$", re.IGNORECASE
)
_IDENTIFIER_PATTERN = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9\-_]{2,}$")
_US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR VI GU AS MP".split()
)
_GENDER_VALUES = frozenset({"m", "f", "u", "x", "male", "female", "unknown", "nonbinary", "non-binary"})
_YES_NO_VALUES = frozenset({"y", "n", "yes", "no", "true", "false", "t", "f", "0", "1"})
_STATUS_WORDS = frozenset(
    {
        "paid",
        "denied",
        "deny",
        "pending",
        "pend",
        "pended",
        "approved",
        "rejected",
        "reject",
        "reversed",
        "reversal",
        "adjusted",
        "void",
        "voided",
        "active",
        "inactive",
        "termed",
        "terminated",
        "cancelled",
        "canceled",
        "suspended",
        "open",
        "closed",
        "submitted",
        "processed",
        "hold",
        "on hold",
        "in process",
        "captured",
        "accepted",
        "finalized",
        "partial",
        "partially paid",
        "eligible",
        "ineligible",
        "cobra",
        "retired",
    }
)


_NOT_IDENTIFIERS = frozenset({_ValueKind.DATE, _ValueKind.TIMESTAMP, _ValueKind.MONEY, _ValueKind.PHONE})


# Claims values are short; a longer cell is free text and is never run through the patterns, so no
# value, however crafted, costs more than a bounded amount of matching.
_MAX_CLASSIFIED_LENGTH = 120
_LONG_TEXT = frozenset({_ValueKind.TEXT})


@lru_cache(maxsize=65536)
def classify_value(value: str) -> frozenset[str]:  # noqa: C901 (one pattern per value kind, first match wins)
    if len(value) > _MAX_CLASSIFIED_LENGTH:
        return _LONG_TEXT
    kinds: set[str] = set()
    upper = value.upper()
    lower = value.lower()
    if _TIMESTAMP_PATTERN.match(value):
        kinds.add(_ValueKind.TIMESTAMP)
    elif _DATE_PATTERN.match(value) or _COMPACT_DATE_PATTERN.match(value):
        kinds.add(_ValueKind.DATE)
    digits_only = value.isdigit()
    if _MONEY_PATTERN.match(value) and ("$" in value or "." in value or "," in value):
        kinds.add(_ValueKind.MONEY)
    if _INTEGER_PATTERN.match(value):
        kinds.add(_ValueKind.INTEGER)
        if digits_only and 1 <= int(value) <= 32 and len(value) <= 2:
            kinds.add(_ValueKind.TOOTH)
    elif _DECIMAL_PATTERN.match(value):
        kinds.add(_ValueKind.DECIMAL)
    if _CPT_PATTERN.match(upper):
        kinds.add(_ValueKind.CPT)
    if _HCPCS_PATTERN.match(upper):
        kinds.add(_ValueKind.HCPCS)
    if _CDT_PATTERN.match(upper):
        kinds.add(_ValueKind.CDT)
    if _ICD10_PATTERN.match(upper) or _ICD9_PATTERN.match(upper):
        kinds.add(_ValueKind.ICD)
    if _NDC_PATTERN.match(value):
        kinds.add(_ValueKind.NDC)
    if digits_only and len(value) == 10:
        kinds.add(_ValueKind.TEN_DIGITS)
    if _PHONE_PATTERN.match(value):
        kinds.add(_ValueKind.PHONE)
    if _ZIP_PATTERN.match(value):
        kinds.add(_ValueKind.ZIP)
    if upper in _US_STATES:
        kinds.add(_ValueKind.STATE)
    if _EMAIL_PATTERN.match(value):
        kinds.add(_ValueKind.EMAIL)
    if lower in _GENDER_VALUES:
        kinds.add(_ValueKind.GENDER)
    if len(value) == 1 and "A" <= upper <= "T":
        kinds.add(_ValueKind.TOOTH)
    if _SURFACE_PATTERN.match(value) and len(set(value)) == len(value):
        kinds.add(_ValueKind.SURFACE)
    if lower in _YES_NO_VALUES:
        kinds.add(_ValueKind.YES_NO)
    if lower in _STATUS_WORDS:
        kinds.add(_ValueKind.STATUS_WORD)
    if value.isalpha() and value.isupper() and len(value) <= 3:
        kinds.add(_ValueKind.SHORT_CODE)
    if _PERSON_NAME_PATTERN.match(value) and len(value) > 1:
        kinds.add(_ValueKind.PERSON_NAME)
    if _DRUG_TEXT_PATTERN.search(value) and any(char.isalpha() for char in value) and len(value) > 4:
        kinds.add(_ValueKind.DRUG_TEXT)
    if _ADDRESS_PATTERN.match(value) and any(char.isalpha() for char in value) and " " in value:
        kinds.add(_ValueKind.ADDRESS)
    if _IDENTIFIER_PATTERN.match(value) and not kinds & _NOT_IDENTIFIERS:
        kinds.add(_ValueKind.IDENTIFIER)
    if sum(char.isalpha() for char in value) >= 2:
        kinds.add(_ValueKind.TEXT)
    return frozenset(kinds)


Expectation = tuple[tuple[str, float], ...]
_NEUTRAL_PROFILE_FIT = 0.6
_PROVIDER_LIKE = frozenset({"provider", "dentist", "pharmacy", "prescriber"})


def expected_value_kinds(concepts: frozenset[str], data_type: str, storage: str) -> Expectation:  # noqa: C901 (one branch per target type family)
    """What sample values a target column should see, with how telling each kind is."""
    kind = _ValueKind
    if storage == "temporal":
        if data_type.strip().upper().startswith(("TIMESTAMP", "DATETIME")):
            return ((kind.TIMESTAMP, 1.0), (kind.DATE, 0.8))
        return ((kind.DATE, 1.0), (kind.TIMESTAMP, 0.8))
    if storage == "numeric":
        if "quantity" in concepts or "supply" in concepts or "days" in concepts:
            return ((kind.INTEGER, 1.0), (kind.DECIMAL, 0.9), (kind.MONEY, 0.6))
        scale = re.search(r",\s*(\d+)\s*\)", data_type)
        if scale is not None and scale.group(1) == "0":
            return ((kind.INTEGER, 1.0), (kind.DECIMAL, 0.4))
        return ((kind.MONEY, 1.0), (kind.DECIMAL, 0.9), (kind.INTEGER, 0.8))
    if storage == "bool":
        return ((kind.YES_NO, 1.0),)
    if storage == "any":
        return ()
    semantic_expectations: tuple[tuple[str, Expectation], ...] = (
        ("ndc", ((kind.NDC, 1.0),)),
        ("diagnosis", ((kind.ICD, 1.0),)),
        ("procedure", ((kind.CPT, 1.0), (kind.HCPCS, 1.0), (kind.CDT, 1.0))),
        ("surface", ((kind.SURFACE, 1.0),)),
        ("tooth", ((kind.TOOTH, 1.0),)),
        ("gender", ((kind.GENDER, 1.0),)),
        ("zip", ((kind.ZIP, 1.0),)),
        ("state", ((kind.STATE, 1.0), (kind.PERSON_NAME, 0.4))),
        ("email", ((kind.EMAIL, 1.0),)),
        ("phone", ((kind.PHONE, 1.0), (kind.TEN_DIGITS, 0.9))),
        ("status", ((kind.STATUS_WORD, 1.0), (kind.SHORT_CODE, 0.8))),
        ("address", ((kind.ADDRESS, 1.0), (kind.TEXT, 0.5))),
        ("drug", ((kind.DRUG_TEXT, 1.0), (kind.TEXT, 0.8), (kind.PERSON_NAME, 0.7))),
    )
    for concept, expectation in semantic_expectations:
        if concept in concepts:
            return expectation
    if concepts & {"name", "desc", "city", "first", "last"}:
        return ((kind.PERSON_NAME, 1.0), (kind.TEXT, 0.7))
    # Almost anything looks like a generic identifier, so that evidence is weaker than a specific kind.
    if concepts & {"id", "code"}:
        if concepts & _PROVIDER_LIKE:
            return ((kind.TEN_DIGITS, 1.0), (kind.IDENTIFIER, 0.6), (kind.INTEGER, 0.6))
        return ((kind.IDENTIFIER, 0.7), (kind.INTEGER, 0.6), (kind.TEN_DIGITS, 0.5), (kind.SHORT_CODE, 0.4))
    return ()


def profile_fit(value_kinds: Sequence[frozenset[str]], expectation: Expectation) -> float:
    if not expectation:
        return _NEUTRAL_PROFILE_FIT
    total = 0.0
    for kinds in value_kinds:
        total += max((weight for kind, weight in expectation if kind in kinds), default=0.0)
    return total / len(value_kinds)
