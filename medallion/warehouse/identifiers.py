import re

_PLAIN_IDENTIFIER = re.compile(r"^[A-Z_][A-Z0-9_$]{0,254}$")
_TPA_CODE = re.compile(r"^[A-Z0-9_]{1,50}$")
_TABLE_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,99}$")
_COLUMN_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,127}$")
STAGES = ("SRC", "PROCESSING", "COMPLETED", "ERROR", "ARCHIVE")
APP_SCHEMAS = ("OPS", "BRONZE", "SILVER", "GOLD")


class InvalidIdentifier(ValueError):
    pass


def _match(pattern: re.Pattern[str], value: object, kind: str) -> str:
    if not isinstance(value, str):
        raise InvalidIdentifier(f"{kind} must be text")
    candidate = value.strip().upper()
    if not pattern.fullmatch(candidate):
        raise InvalidIdentifier(f"{kind} {value[:60]!r} is not valid")
    return candidate


def tpa_code(value: object) -> str:
    return _match(_TPA_CODE, value, "TPA code")


def table_name(value: object) -> str:
    return _match(_TABLE_NAME, value, "Table name")


def column_name(value: object) -> str:
    return _match(_COLUMN_NAME, value, "Column name")


def stage_name(value: object) -> str:
    name = _match(_PLAIN_IDENTIFIER, value, "Stage name")
    if name not in STAGES:
        raise InvalidIdentifier(f"Stage {name} does not exist")
    return name


def quote(*parts: str) -> str:
    """Quote a validated (possibly qualified) identifier: quote("SILVER", "A_B") -> "SILVER"."A_B"."""
    quoted = []
    for part in parts:
        if not _PLAIN_IDENTIFIER.fullmatch(part):
            raise InvalidIdentifier(f"Identifier {part[:60]!r} is not valid")
        quoted.append(f'"{part}"')
    return ".".join(quoted)


MAX_ROW_COUNT = 10_000_000


def limit(count: object, offset: object = 0) -> str:
    """LIMIT/OFFSET with validated integers inlined: Snowflake takes only a constant row count there."""
    values = []
    for name, value in (("limit", count), ("offset", offset)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ROW_COUNT:
            raise InvalidIdentifier(f"{name} must be a whole number from 0 to {MAX_ROW_COUNT}")
        values.append(value)
    return f"LIMIT {values[0]} OFFSET {values[1]}" if values[1] else f"LIMIT {values[0]}"


def string_literal(value: str) -> str:
    """For the few places Snowflake takes no bind parameter (stage paths in PUT/LIST/COPY)."""
    if "\x00" in value:
        raise InvalidIdentifier("NUL characters are not allowed")
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
