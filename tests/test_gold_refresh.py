"""Gold numbers against hand-computed expectations, incremental refresh and idempotency, quality rules catching
planted bad rows. The dataset below is small enough to check every figure on paper; the expected values are
written out literally."""

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from medallion.warehouse import warehouse
from medallion.warehouse.identifiers import quote

pytestmark = pytest.mark.django_db(transaction=True)

D = dt.date
SILVER_COLUMNS = {
    "MEDICAL_CLAIMS": (
        "CLAIM_ID", "MEMBER_ID", "PROVIDER_ID", "PROVIDER_NAME", "SERVICE_DATE", "DIAGNOSIS_CODE",
        "BILLED_AMOUNT", "ALLOWED_AMOUNT", "PAID_AMOUNT", "MEMBER_RESPONSIBILITY", "CLAIM_STATUS",
    ),
    "DENTAL_CLAIMS": (
        "CLAIM_ID", "MEMBER_ID", "DENTIST_ID", "DENTIST_NAME", "SERVICE_DATE", "BILLED_AMOUNT",
        "ALLOWED_AMOUNT", "PAID_AMOUNT", "MEMBER_RESPONSIBILITY", "CLAIM_STATUS",
    ),
    "PHARMACY_CLAIMS": (
        "CLAIM_ID", "MEMBER_ID", "PHARMACY_ID", "PHARMACY_NAME", "FILL_DATE", "BILLED_AMOUNT",
        "ALLOWED_AMOUNT", "PAID_AMOUNT", "MEMBER_COPAY", "CLAIM_STATUS",
    ),
    "MEMBER_ELIGIBILITY": (
        "MEMBER_ID", "FIRST_NAME", "LAST_NAME", "DATE_OF_BIRTH", "GENDER", "ZIP_CODE", "PLAN_ID",
        "EFFECTIVE_DATE", "TERMINATION_DATE",
    ),
}  # fmt: skip
TYPES = {
    "SERVICE_DATE": "DATE", "FILL_DATE": "DATE", "DATE_OF_BIRTH": "DATE", "EFFECTIVE_DATE": "DATE",
    "TERMINATION_DATE": "DATE", "BILLED_AMOUNT": "NUMBER(18, 2)", "ALLOWED_AMOUNT": "NUMBER(18, 2)",
    "PAID_AMOUNT": "NUMBER(18, 2)", "MEMBER_RESPONSIBILITY": "NUMBER(18, 2)", "MEMBER_COPAY": "NUMBER(18, 2)",
}  # fmt: skip
METADATA = "_RECORD_ID INTEGER, _FILE_NAME VARCHAR, _FILE_ROW_NUMBER INTEGER, _TPA VARCHAR, _BATCH_ID VARCHAR, "
METADATA += "_LOAD_TIMESTAMP TIMESTAMP_NTZ, _LOADED_BY VARCHAR"

MEDICAL = [
    ("C1", "A", "P1", "Dr One", D(2026, 1, 10), "E11.9", 100, 80, 60, 20, "PAID"),
    ("C2", "B", "P1", "Dr One", D(2026, 1, 20), "I10", 200, 150, 120, 30, "PAID"),
    ("C3", "A", "P2", "Clinic Two", D(2026, 2, 5), "J06.9", 300, 240, 200, 40, "ADJUSTED"),
    ("C4", "C", "P2", "Clinic Two", D(2026, 2, 15), "E11.65", 50, 0, 0, 0, "DENIED"),
    ("C5", "A", "P1", "Dr One", D(2025, 11, 3), "I50.9", 8000, 7000, 6000, 1000, "PAID"),
]
DENTAL = [("D1", "B", "D9", "Smile Dental", D(2026, 1, 15), 150, 100, 80, 20, "PAID")]
PHARMACY = [("R1", "A", "PH1", "Corner Pharmacy", D(2026, 2, 1), 40, 30, 25, 5, "PAID")]
ELIGIBILITY = [
    ("A", "Ann", "Archer", D(1980, 3, 15), "F", "02134", "GOLD", D(2025, 1, 1), None),
    ("B", "Ben", "Baker", D(2000, 12, 31), "M", "10001", "SILVER", D(2026, 1, 1), D(2026, 1, 31)),
    ("D", "Dee", "Dunn", D(1975, 7, 4), "F", "60601", "GOLD", D(2025, 6, 1), None),
]
DATASET = {"MEDICAL_CLAIMS": MEDICAL, "DENTAL_CLAIMS": DENTAL, "PHARMACY_CLAIMS": PHARMACY,
           "MEMBER_ELIGIBILITY": ELIGIBILITY}  # fmt: skip


async def create_silver_table(tpa: str, schema_table: str) -> str:
    physical = f"{tpa}_{schema_table}"
    columns = ", ".join(f"{name} {TYPES.get(name, 'VARCHAR')}" for name in SILVER_COLUMNS[schema_table])
    wh = warehouse()
    await wh.execute(f"CREATE TABLE IF NOT EXISTS {quote('SILVER', physical)} ({columns}, {METADATA})")
    await wh.execute(
        "INSERT INTO SILVER.CREATED_TABLES (TABLE_NAME, SCHEMA_TABLE, TPA, CREATED_BY) VALUES (?, ?, ?, 'test')",
        (physical, schema_table, tpa),
    )
    return physical


async def load_rows(tpa: str, schema_table: str, rows: list[tuple[Any, ...]], batch: str) -> None:
    physical = f"{tpa}_{schema_table}"
    names = [*SILVER_COLUMNS[schema_table], "_TPA", "_BATCH_ID", "_LOAD_TIMESTAMP"]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    await warehouse().insert_rows(
        quote("SILVER", physical), [quote(name) for name in names], [(*row, tpa, batch, now) for row in rows]
    )


async def load_dataset(tpa: str, dataset: dict[str, list[tuple[Any, ...]]] = DATASET, batch: str = "B1") -> None:
    for schema_table, rows in dataset.items():
        await create_silver_table(tpa, schema_table)
        await load_rows(tpa, schema_table, rows, batch)


async def gold_rows(table: str, tpa: str, order: str) -> list[dict[str, Any]]:
    return await warehouse().fetch_all(f"SELECT * FROM GOLD.{table} WHERE TPA = ? ORDER BY {order}", (tpa,))


def pick(rows: list[dict[str, Any]], *keys: str) -> list[tuple[Any, ...]]:
    return [tuple(_plain(row[key]) for key in keys) for row in rows]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 4)
    return value


CLAIMS_KEYS = (
    "CLAIM_YEAR", "CLAIM_MONTH", "CLAIM_TYPE", "CLAIM_COUNT", "UNIQUE_MEMBERS", "TOTAL_BILLED", "TOTAL_ALLOWED",
    "TOTAL_PAID", "TOTAL_MEMBER_RESPONSIBILITY", "AVG_PAID_PER_CLAIM", "AVG_PAID_PER_MEMBER", "DISCOUNT_RATE",
    "TOTAL_BILLED_AMOUNT", "TOTAL_PAID_AMOUNT",
)  # fmt: skip
EXPECTED_CLAIMS = [
    (2025, 11, "MEDICAL", 1, 1, 8000.0, 7000.0, 6000.0, 1000.0, 6000.0, 6000.0, 0.125, 8000.0, 6000.0),
    (2026, 1, "DENTAL", 1, 1, 150.0, 100.0, 80.0, 20.0, 80.0, 80.0, 0.3333, 150.0, 80.0),
    (2026, 1, "MEDICAL", 2, 2, 300.0, 230.0, 180.0, 50.0, 90.0, 90.0, 0.2333, 300.0, 180.0),
    (2026, 2, "MEDICAL", 1, 1, 300.0, 240.0, 200.0, 40.0, 200.0, 200.0, 0.2, 300.0, 200.0),
    (2026, 2, "PHARMACY", 1, 1, 40.0, 30.0, 25.0, 5.0, 25.0, 25.0, 0.25, 40.0, 25.0),
]
FINANCIAL_KEYS = (
    "FISCAL_YEAR", "FISCAL_MONTH", "FISCAL_QUARTER", "CLAIM_TYPE", "TOTAL_BILLED", "TOTAL_ALLOWED", "TOTAL_PAID",
    "TOTAL_MEMBER_RESPONSIBILITY", "CLAIM_COUNT", "MEMBER_COUNT", "MEMBER_MONTHS", "PMPM", "MEDICAL_LOSS_RATIO",
)  # fmt: skip
EXPECTED_FINANCIAL = [
    (2025, 11, 4, "MEDICAL", 8000.0, 7000.0, 6000.0, 1000.0, 1, 2, 2, 3000.0, None),
    (2026, 1, 1, "DENTAL", 150.0, 100.0, 80.0, 20.0, 1, 3, 3, 26.67, None),
    (2026, 1, 1, "MEDICAL", 300.0, 230.0, 180.0, 50.0, 2, 3, 3, 60.0, None),
    (2026, 2, 1, "MEDICAL", 300.0, 240.0, 200.0, 40.0, 1, 2, 2, 100.0, None),
    (2026, 2, 1, "PHARMACY", 40.0, 30.0, 25.0, 5.0, 1, 2, 2, 12.5, None),
]
PROVIDER_KEYS = (
    "PROVIDER_ID", "PROVIDER_NAME", "PROVIDER_TYPE", "MEASUREMENT_PERIOD", "UNIQUE_MEMBERS", "TOTAL_CLAIMS",
    "TOTAL_BILLED", "TOTAL_ALLOWED", "TOTAL_PAID", "AVG_COST_PER_MEMBER", "AVG_COST_PER_CLAIM", "DISCOUNT_RATE",
)  # fmt: skip
EXPECTED_PROVIDERS = [
    ("D9", "Smile Dental", "DENTAL", "2026-Q1", 1, 1, 150.0, 100.0, 80.0, 80.0, 80.0, 0.3333),
    ("P1", "Dr One", "MEDICAL", "2025-Q4", 1, 1, 8000.0, 7000.0, 6000.0, 6000.0, 6000.0, 0.125),
    ("P1", "Dr One", "MEDICAL", "2026-Q1", 2, 2, 300.0, 230.0, 180.0, 90.0, 90.0, 0.2333),
    ("P2", "Clinic Two", "MEDICAL", "2026-Q1", 1, 1, 300.0, 240.0, 200.0, 200.0, 200.0, 0.2),
    ("PH1", "Corner Pharmacy", "PHARMACY", "2026-Q1", 1, 1, 40.0, 30.0, 25.0, 25.0, 25.0, 0.25),
]
MEMBER_KEYS = (
    "MEMBER_ID", "MEMBER_NAME", "DATE_OF_BIRTH", "AGE", "GENDER", "ENROLLMENT_DATE", "TERMINATION_DATE",
    "IS_ACTIVE", "HAS_ELIGIBILITY", "AS_OF_DATE", "MEDICAL_CLAIMS_YTD", "MEDICAL_PAID_YTD", "DENTAL_CLAIMS_YTD",
    "DENTAL_PAID_YTD", "PHARMACY_CLAIMS_YTD", "PHARMACY_PAID_YTD", "TOTAL_CLAIMS_YTD", "TOTAL_PAID_YTD",
    "LIFETIME_CLAIMS", "LIFETIME_PAID", "PAID_LAST_12_MONTHS", "PRIMARY_CARE_PROVIDER", "LAST_VISIT_DATE",
    "RISK_TIER", "RISK_SCORE", "TOTAL_CLAIMS", "TOTAL_PAID",
)  # fmt: skip
AS_OF = D(2026, 2, 5)
EXPECTED_MEMBERS = [
    ("A", "Ann Archer", D(1980, 3, 15), 45, "F", D(2025, 1, 1), None, True, True, AS_OF,
     2, 260.0, 0, 0.0, 1, 25.0, 3, 285.0, 4, 6285.0, 6285.0, "Dr One", D(2026, 2, 5), "HIGH", 5.0, 3, 285.0),
    ("B", "Ben Baker", D(2000, 12, 31), 25, "M", D(2026, 1, 1), D(2026, 1, 31), False, True, AS_OF,
     1, 120.0, 1, 80.0, 0, 0.0, 2, 200.0, 2, 200.0, 200.0, "Dr One", D(2026, 1, 20), "LOW", 3.0, 2, 200.0),
    ("D", "Dee Dunn", D(1975, 7, 4), 50, "F", D(2025, 6, 1), None, True, True, AS_OF,
     0, 0.0, 0, 0.0, 0, 0.0, 0, 0.0, 0, 0.0, 0.0, None, None, "LOW", 1.0, 0, 0.0),
]  # fmt: skip
EXPECTED_CONDITIONS = {"A": ["Diabetes", "Heart failure"], "B": ["Hypertension"], "D": []}
EXPECTED_METRICS = {
    "TOTAL_SPEND": 6485.0,
    "AVG_COST_PER_MEMBER": 2161.6667,
    "ENGAGEMENT_RATE": 66.6667,
    "NETWORK_DISCOUNT": 13.5381,
    "HIGH_RISK_MEMBERS": 1.0,
}


async def assert_expected_gold(tpa: str) -> None:
    claims = await gold_rows("CLAIMS_ANALYTICS", tpa, "CLAIM_YEAR, CLAIM_MONTH, CLAIM_TYPE")
    assert pick(claims, *CLAIMS_KEYS) == EXPECTED_CLAIMS
    financial = await gold_rows("FINANCIAL_SUMMARY", tpa, "FISCAL_YEAR, FISCAL_MONTH, CLAIM_TYPE")
    assert pick(financial, *FINANCIAL_KEYS) == EXPECTED_FINANCIAL
    assert all("premium" in row["NOTES"] for row in financial)
    providers = await gold_rows("PROVIDER_PERFORMANCE", tpa, "PROVIDER_ID, MEASUREMENT_PERIOD")
    assert pick(providers, *PROVIDER_KEYS) == EXPECTED_PROVIDERS
    members = await gold_rows("MEMBER_360", tpa, "MEMBER_ID")
    assert pick(members, *MEMBER_KEYS) == EXPECTED_MEMBERS
    assert {row["MEMBER_ID"]: json.loads(row["CHRONIC_CONDITIONS"]) for row in members} == EXPECTED_CONDITIONS


async def metric_values(tpa: str) -> dict[str, float]:
    rows = await warehouse().fetch_all(
        "SELECT m.METRIC_KEY, v.METRIC_VALUE FROM GOLD.BUSINESS_METRIC_VALUES v JOIN GOLD.BUSINESS_METRICS m "
        "ON m.METRIC_ID = v.METRIC_ID WHERE v.TPA = ? QUALIFY ROW_NUMBER() OVER (PARTITION BY v.METRIC_ID "
        "ORDER BY v.VALUE_ID DESC) = 1",
        (tpa,),
    )
    return {row["METRIC_KEY"]: round(row["METRIC_VALUE"], 4) for row in rows}


async def test_full_refresh_matches_hand_computed_numbers(tpa: str) -> None:
    from gold.refresh import refresh

    await load_dataset(tpa)
    run = await refresh(tpa, full=True, user="tester")

    assert run["STATUS"] == "SUCCESS"
    assert run["REFRESH_MODE"] == "FULL"
    assert (run["TPAS_REFRESHED"], run["MONTHS_REFRESHED"], run["BATCHES_PROCESSED"]) == (1, 3, 4)
    assert (run["CLAIMS_ANALYTICS_ROWS"], run["FINANCIAL_SUMMARY_ROWS"]) == (5, 5)
    assert (run["PROVIDER_PERFORMANCE_ROWS"], run["MEMBER_360_ROWS"]) == (5, 3)
    assert run["DURATION_MS"] >= 0 and run["FINISHED_AT"] >= run["STARTED_AT"]
    await assert_expected_gold(tpa)
    assert await metric_values(tpa) == EXPECTED_METRICS


async def test_refresh_is_idempotent_and_incremental(tpa: str) -> None:
    from gold.refresh import refresh

    await load_dataset(tpa)
    await refresh(tpa, full=True)
    before = await gold_rows("CLAIMS_ANALYTICS", tpa, "CLAIM_YEAR, CLAIM_MONTH, CLAIM_TYPE")

    unchanged = await refresh(tpa)
    assert (unchanged["REFRESH_MODE"], unchanged["TPAS_REFRESHED"], unchanged["BATCHES_PROCESSED"]) == (
        "INCREMENTAL", 0, 0,
    )  # fmt: skip
    assert await gold_rows("CLAIMS_ANALYTICS", tpa, "CLAIM_YEAR, CLAIM_MONTH, CLAIM_TYPE") == before

    again = await refresh(tpa, full=True)
    assert again["BATCHES_PROCESSED"] == 4
    await assert_expected_gold(tpa)

    new_claim = ("C6", "B", "P2", "Clinic Two", D(2026, 2, 20), "I10", 100, 90, 70, 20, "PAID")
    await load_rows(tpa, "MEDICAL_CLAIMS", [new_claim], "B2")
    incremental = await refresh(tpa)
    assert (incremental["MONTHS_REFRESHED"], incremental["BATCHES_PROCESSED"]) == (1, 1)
    assert incremental["CLAIMS_ANALYTICS_ROWS"] == 2
    assert incremental["PROVIDER_PERFORMANCE_ROWS"] == 4

    claims = await gold_rows("CLAIMS_ANALYTICS", tpa, "CLAIM_YEAR, CLAIM_MONTH, CLAIM_TYPE")
    assert pick(claims, *CLAIMS_KEYS)[3] == (
        2026, 2, "MEDICAL", 2, 2, 400.0, 330.0, 270.0, 60.0, 135.0, 135.0, 0.175, 400.0, 270.0,
    )  # fmt: skip
    untouched = {row["CLAIM_MONTH"]: row["REFRESH_RUN_ID"] for row in claims if row["CLAIM_YEAR"] == 2025}
    assert untouched == {11: again["RUN_ID"]}
    members = {row["MEMBER_ID"]: row for row in await gold_rows("MEMBER_360", tpa, "MEMBER_ID")}
    assert members["B"]["AS_OF_DATE"] == D(2026, 2, 20)
    assert (members["B"]["MEDICAL_CLAIMS_YTD"], float(members["B"]["TOTAL_PAID_YTD"])) == (2, 270.0)
    financial = await gold_rows("FINANCIAL_SUMMARY", tpa, "FISCAL_YEAR, FISCAL_MONTH, CLAIM_TYPE")
    assert pick(financial, "FISCAL_MONTH", "CLAIM_TYPE", "TOTAL_PAID", "MEMBER_MONTHS", "PMPM")[3] == (
        2, "MEDICAL", 270.0, 2, 135.0,
    )  # fmt: skip


async def test_transformation_filter_rules_change_the_build(tpa: str) -> None:
    from gold.forms import rule_columns
    from gold.refresh import refresh
    from gold.rules import create_rule, set_rule_active

    await load_dataset(tpa)
    definition = {"tpa": tpa, "rule_name": "Only 2026", "rule_logic": "YEAR(SERVICE_DATE) >= 2026",
                  "target_table": "CLAIMS_ANALYTICS"}  # fmt: skip
    rule = await create_rule("transformation", rule_columns("transformation", definition), user="tester")
    await refresh(tpa, full=True)
    claims = await gold_rows("CLAIMS_ANALYTICS", tpa, "CLAIM_YEAR, CLAIM_MONTH, CLAIM_TYPE")
    assert pick(claims, *CLAIMS_KEYS) == EXPECTED_CLAIMS[1:]
    providers = await gold_rows("PROVIDER_PERFORMANCE", tpa, "PROVIDER_ID, MEASUREMENT_PERIOD")
    assert pick(providers, *PROVIDER_KEYS) == EXPECTED_PROVIDERS

    await set_rule_active("transformation", rule["RULE_ID"], False, user="tester")
    await refresh(tpa, full=True)
    await assert_expected_gold(tpa)


BAD_MEDICAL = [
    ("X1", "M1", "P1", "Dr One", D(2026, 3, 1), "I10", 100, 80, 60, 20, "PAID"),
    ("X2", "M1", "P1", "Dr One", D(2026, 3, 2), "I10", 100, 80, 150, 20, "PAID"),
    ("X3", None, "P1", "Dr One", D(2026, 3, 3), "I10", 100, 80, 60, 20, "PAID"),
    ("X4", "M2", "P1", "Dr One", D(2099, 1, 1), "I10", 100, 80, 60, 20, "PAID"),
    ("X5", "M2", "P1", "Dr One", D(2026, 3, 5), "I10", -100, 80, 60, 20, "PAID"),
    ("X1", "M2", "P1", "Dr One", D(2026, 3, 6), "I10", 100, 80, 60, 20, "PAID"),
    ("X7", "M3", "P1", "Dr One", None, "I10", 100, 120, 60, 20, "PAID"),
]


async def test_quality_rules_catch_planted_bad_rows(tpa: str) -> None:
    from gold.refresh import refresh

    await load_dataset(tpa, {"MEDICAL_CLAIMS": BAD_MEDICAL})
    run = await refresh(tpa, full=True)
    results = await warehouse().fetch_all(
        "SELECT r.RULE_NAME, q.CHECK_STATUS, q.RECORDS_CHECKED, q.RECORDS_FAILED, q.PASS_RATE, q.DETAILS "
        "FROM GOLD.QUALITY_CHECK_RESULTS q JOIN GOLD.QUALITY_RULES r ON r.QUALITY_RULE_ID = q.QUALITY_RULE_ID "
        "WHERE q.TPA = ? AND q.RUN_ID = ?",
        (tpa, run["RUN_ID"]),
    )
    by_rule = {row["RULE_NAME"]: row for row in results}
    expected = {
        "Claims have a member id": ("FAILED", 7, 1),
        "Service date present and not in the future": ("FAILED", 7, 2),
        "Amounts are not negative": ("FAILED", 7, 1),
        "Paid does not exceed billed": ("FAILED", 7, 2),
        "Allowed does not exceed billed": ("WARNING", 7, 2),
        "Claim ids are unique": ("FAILED", 7, 2),
        "Members have eligibility": ("WARNING", 2, 2),
    }
    for name, (status, checked, failed) in expected.items():
        row = by_rule[name]
        assert (row["CHECK_STATUS"], row["RECORDS_CHECKED"], row["RECORDS_FAILED"]) == (status, checked, failed), name
        assert row["PASS_RATE"] == pytest.approx(100 * (checked - failed) / checked)
        assert f"{failed} of {checked} rows failed" in row["DETAILS"]
    assert by_rule["Member months known"]["CHECK_STATUS"] == "WARNING"
    assert by_rule["Providers are named"]["CHECK_STATUS"] == "PASSED"
    assert run["QUALITY_FAILURES"] == sum(1 for row in results if row["CHECK_STATUS"] == "FAILED")


async def test_quality_rules_pass_on_clean_data(tpa: str) -> None:
    from gold.refresh import refresh

    await load_dataset(tpa)
    run = await refresh(tpa, full=True)
    statuses = await warehouse().fetch_all(
        "SELECT CHECK_STATUS, COUNT(*) AS N FROM GOLD.QUALITY_CHECK_RESULTS WHERE TPA = ? AND RUN_ID = ? "
        "GROUP BY CHECK_STATUS",
        (tpa, run["RUN_ID"]),
    )
    assert {row["CHECK_STATUS"]: row["N"] for row in statuses} == {"PASSED": 10}


async def test_full_refresh_removes_gold_rows_of_tpas_without_silver_tables(tpa: str) -> None:
    from gold.refresh import refresh

    await load_dataset(tpa)
    await refresh(tpa, full=True)
    await warehouse().execute("DELETE FROM SILVER.CREATED_TABLES WHERE TPA = ?", (tpa,))
    run = await refresh(tpa, full=True)
    assert run["TPAS_REFRESHED"] == 0
    for table in ("CLAIMS_ANALYTICS", "MEMBER_360", "PROVIDER_PERFORMANCE", "FINANCIAL_SUMMARY"):
        assert await gold_rows(table, tpa, "TPA") == []


async def test_deleting_a_tpa_purges_its_gold_rows(tpa: str) -> None:
    from gold.refresh import refresh
    from tpa.services import delete_tpa

    await load_dataset(tpa)
    await refresh(tpa, full=True)
    await delete_tpa(tpa)
    for table in ("CLAIMS_ANALYTICS", "MEMBER_360", "QUALITY_CHECK_RESULTS", "REFRESHED_BATCHES"):
        assert await gold_rows(table, tpa, "TPA") == []


async def test_risk_tiers_follow_the_configured_thresholds(tpa: str, settings: Any) -> None:
    from gold.refresh import refresh

    settings.GOLD_RISK_TIERS = {"MEDIUM": 100, "HIGH": 10000}
    await load_dataset(tpa)
    await refresh(tpa, full=True)
    members = await gold_rows("MEMBER_360", tpa, "MEMBER_ID")
    assert pick(members, "MEMBER_ID", "RISK_TIER") == [("A", "MEDIUM"), ("B", "MEDIUM"), ("D", "LOW")]
