"""The Silver inputs of Gold as SQL: one UNION ALL over every registered claims table, normalised to common
columns, and one over the eligibility tables. Table names come from SILVER.CREATED_TABLES and are validated
and quoted; values (the TPA codes) are bound parameters."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from medallion.warehouse.core import Queries
from medallion.warehouse.identifiers import quote, table_name, tpa_code
from medallion.warehouse.sql import Sql, in_, join

ELIGIBILITY_TABLE = "MEMBER_ELIGIBILITY"


@dataclass(frozen=True)
class ClaimSource:
    claim_type: str
    columns: dict[str, str]


# Feed column -> physical column of each Silver claims schema table.
CLAIM_SOURCES: dict[str, ClaimSource] = {
    "MEDICAL_CLAIMS": ClaimSource(
        "MEDICAL",
        {"PROVIDER_ID": "PROVIDER_ID", "PROVIDER_NAME": "PROVIDER_NAME", "SERVICE_DATE": "SERVICE_DATE",
         "DIAGNOSIS_CODE": "DIAGNOSIS_CODE", "MEMBER_RESPONSIBILITY": "MEMBER_RESPONSIBILITY"},
    ),
    "DENTAL_CLAIMS": ClaimSource(
        "DENTAL",
        {"PROVIDER_ID": "DENTIST_ID", "PROVIDER_NAME": "DENTIST_NAME", "SERVICE_DATE": "SERVICE_DATE",
         "MEMBER_RESPONSIBILITY": "MEMBER_RESPONSIBILITY"},
    ),
    "PHARMACY_CLAIMS": ClaimSource(
        "PHARMACY",
        {"PROVIDER_ID": "PHARMACY_ID", "PROVIDER_NAME": "PHARMACY_NAME", "SERVICE_DATE": "FILL_DATE",
         "MEMBER_RESPONSIBILITY": "MEMBER_COPAY"},
    ),
}  # fmt: skip
CLAIM_TYPES = tuple(source.claim_type for source in CLAIM_SOURCES.values())

FEED_TYPES: dict[str, str] = {
    "CLAIM_ID": "VARCHAR",
    "MEMBER_ID": "VARCHAR",
    "PROVIDER_ID": "VARCHAR",
    "PROVIDER_NAME": "VARCHAR",
    "SERVICE_DATE": "DATE",
    "DIAGNOSIS_CODE": "VARCHAR",
    "BILLED_AMOUNT": "NUMBER(18, 2)",
    "ALLOWED_AMOUNT": "NUMBER(18, 2)",
    "PAID_AMOUNT": "NUMBER(18, 2)",
    "MEMBER_RESPONSIBILITY": "NUMBER(18, 2)",
    "CLAIM_STATUS": "VARCHAR",
    "BATCH_ID": "VARCHAR",
    "RECORD_ID": "INTEGER",
}
ELIGIBILITY_TYPES: dict[str, str] = {
    "MEMBER_ID": "VARCHAR",
    "FIRST_NAME": "VARCHAR",
    "LAST_NAME": "VARCHAR",
    "DATE_OF_BIRTH": "DATE",
    "GENDER": "VARCHAR",
    "ZIP_CODE": "VARCHAR",
    "PLAN_ID": "VARCHAR",
    "EFFECTIVE_DATE": "DATE",
    "TERMINATION_DATE": "DATE",
    "BATCH_ID": "VARCHAR",
    "LOAD_TIMESTAMP": "TIMESTAMP_NTZ",
}
_METADATA_COLUMNS = {"BATCH_ID": "_BATCH_ID", "LOAD_TIMESTAMP": "_LOAD_TIMESTAMP", "RECORD_ID": "_RECORD_ID"}


@dataclass(frozen=True)
class SilverTable:
    tpa: str
    physical: str
    schema_table: str
    columns: frozenset[str]


@dataclass
class TpaSources:
    tpa: str
    claims: list[SilverTable] = field(default_factory=list)
    eligibility: list[SilverTable] = field(default_factory=list)


async def discover(db: Queries, tpa: str | None = None) -> dict[str, TpaSources]:
    """Registered Silver claims and eligibility tables that physically exist, per TPA."""
    wanted = in_("SCHEMA_TABLE", (*CLAIM_SOURCES, ELIGIBILITY_TABLE))
    registered = await db.fetch_all(
        "SELECT TABLE_NAME, SCHEMA_TABLE, TPA FROM SILVER.CREATED_TABLES WHERE "
        + wanted
        + (Sql(" AND TPA = ?", (tpa,)) if tpa else "")
        + " ORDER BY TPA, SCHEMA_TABLE, TABLE_NAME"
    )
    if not registered:
        return {}
    names = [row["TABLE_NAME"] for row in registered]
    columns: dict[str, set[str]] = defaultdict(set)
    for row in await db.fetch_all(
        "SELECT TABLE_NAME, COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'SILVER' AND "
        + in_("TABLE_NAME", names)
    ):
        columns[row["TABLE_NAME"]].add(row["COLUMN_NAME"].upper())
    found: dict[str, TpaSources] = {}
    for row in registered:
        if not columns[row["TABLE_NAME"]]:
            continue
        table = SilverTable(
            tpa_code(row["TPA"]),
            table_name(row["TABLE_NAME"]),
            row["SCHEMA_TABLE"],
            frozenset(columns[row["TABLE_NAME"]]),
        )
        sources = found.setdefault(table.tpa, TpaSources(table.tpa))
        (sources.eligibility if table.schema_table == ELIGIBILITY_TABLE else sources.claims).append(table)
    return found


def claims_feed(tables: Iterable[SilverTable]) -> Sql:
    """TPA, CLAIM_TYPE, SOURCE_TABLE and the FEED_TYPES columns of every row of the given claims tables."""
    selects = []
    for table in tables:
        source = CLAIM_SOURCES[table.schema_table]
        mapped = {"CLAIM_ID": "CLAIM_ID", "MEMBER_ID": "MEMBER_ID", "BILLED_AMOUNT": "BILLED_AMOUNT",
                  "ALLOWED_AMOUNT": "ALLOWED_AMOUNT", "PAID_AMOUNT": "PAID_AMOUNT", "CLAIM_STATUS": "CLAIM_STATUS",
                  **source.columns, **_METADATA_COLUMNS}  # fmt: skip
        selects.append(
            Sql(
                "SELECT CAST(? AS VARCHAR) AS TPA, CAST(? AS VARCHAR) AS CLAIM_TYPE, "
                "CAST(? AS VARCHAR) AS SOURCE_TABLE, "
                + _typed_columns(FEED_TYPES, mapped, table.columns)
                + f" FROM {quote('SILVER', table.physical)}",
                (table.tpa, source.claim_type, table.physical),
            )
        )
    if not selects:
        return Sql(
            "SELECT CAST(NULL AS VARCHAR) AS TPA, CAST(NULL AS VARCHAR) AS CLAIM_TYPE, "
            "CAST(NULL AS VARCHAR) AS SOURCE_TABLE, " + _typed_columns(FEED_TYPES, {}, frozenset()) + " WHERE 1 = 0"
        )
    return join(" UNION ALL ", selects)


def eligibility_feed(tables: Iterable[SilverTable]) -> Sql:
    selects = []
    for table in tables:
        mapped = {name: name for name in ELIGIBILITY_TYPES} | _METADATA_COLUMNS
        selects.append(
            Sql(
                "SELECT CAST(? AS VARCHAR) AS TPA, CAST(? AS VARCHAR) AS SOURCE_TABLE, "
                + _typed_columns(ELIGIBILITY_TYPES, mapped, table.columns)
                + f" FROM {quote('SILVER', table.physical)}",
                (table.tpa, table.physical),
            )
        )
    if not selects:
        return Sql(
            "SELECT CAST(NULL AS VARCHAR) AS TPA, CAST(NULL AS VARCHAR) AS SOURCE_TABLE, "
            + _typed_columns(ELIGIBILITY_TYPES, {}, frozenset())
            + " WHERE 1 = 0"
        )
    return join(" UNION ALL ", selects)


def _typed_columns(types: dict[str, str], mapped: dict[str, str], present: frozenset[str]) -> str:
    """Each feed column cast to its type; NULL when the physical table lacks the column."""
    return ", ".join(
        f"CAST({quote(mapped[name]) if mapped.get(name) in present else 'NULL'} AS {sql_type}) AS {quote(name)}"
        for name, sql_type in types.items()
    )
