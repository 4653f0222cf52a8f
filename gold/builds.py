"""The four Gold tables as pushed-down SQL: for one TPA's feed, the DELETE and INSERT ... SELECT statements that
rebuild either everything or only the given periods."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from medallion.warehouse.sql import Sql, in_

from .config import RiskTiers

# Period keys: YYYYMM for monthly tables, YYYYQ for quarterly ones.
MONTH_KEY = "YEAR(SERVICE_DATE) * 100 + MONTH(SERVICE_DATE)"
QUARTER_KEY = "YEAR(SERVICE_DATE) * 10 + QUARTER(SERVICE_DATE)"

AMOUNTS = (
    "COALESCE(SUM(BILLED_AMOUNT), 0) AS TOTAL_BILLED, COALESCE(SUM(ALLOWED_AMOUNT), 0) AS TOTAL_ALLOWED, "
    "COALESCE(SUM(PAID_AMOUNT), 0) AS TOTAL_PAID, COALESCE(SUM(MEMBER_RESPONSIBILITY), 0) AS TOTAL_MR, "
    "COUNT(*) AS CLAIMS, COUNT(DISTINCT MEMBER_ID) AS MEMBERS, "
    "(CAST(SUM(BILLED_AMOUNT) AS FLOAT) - SUM(ALLOWED_AMOUNT)) / NULLIF(SUM(BILLED_AMOUNT), 0) AS DISCOUNT"
)
CHRONIC_CONDITIONS = (
    ("Diabetes", ("E10", "E11")),
    ("Hypertension", ("I10",)),
    ("Hyperlipidemia", ("E78",)),
    ("Asthma", ("J45",)),
    ("COPD", ("J44",)),
    ("Depression", ("F32", "F33")),
    ("Heart failure", ("I50",)),
    ("Chronic kidney disease", ("N18",)),
)
# RISK_SCORE is on the contract client's 1-5 scale (it colours >= 4 red): a member's rank within the TPA by
# paid in the last 12 months, 1 for the lowest and 5 for the highest.
RISK_SCORE_LOW, RISK_SCORE_HIGH = 1, 5
LOSS_RATIO_NOTE = "Loss ratio needs premium data, which the standard schemas do not carry."
NO_ELIGIBILITY_NOTE = "No eligibility covers this month, so member months and PMPM are 0. "


@dataclass(frozen=True)
class BuildInput:
    tpa: str
    run_id: str
    claims: Sql
    eligibility: Sql
    filters: dict[str, str]
    tiers: RiskTiers


@dataclass(frozen=True)
class GoldTable:
    name: str
    # The period key over the Gold table, and over the feed; None for tables rebuilt whole per TPA.
    stored_period: str | None
    feed_period: str | None
    select: Callable[[BuildInput], Sql]
    columns: str
    quarterly: bool = False

    def period_keys(self, months: Sequence[int]) -> list[int]:
        return quarters_of(months) if self.quarterly else sorted(months)

    def delete(self, tpa: str, months: Sequence[int] | None) -> Sql:
        delete = Sql(f"DELETE FROM GOLD.{self.name} WHERE TPA = ?", (tpa,))
        if months is None or self.stored_period is None:
            return delete
        return delete + " AND " + in_(self.stored_period, self.period_keys(months))

    def insert(self, source: BuildInput, months: Sequence[int] | None) -> Sql:
        period = Sql()
        if months is not None and self.feed_period is not None:
            period = " AND " + in_(self.feed_period, self.period_keys(months))
        feed = (
            "WITH claims AS (" + source.claims + "), feed AS (SELECT * FROM claims WHERE SERVICE_DATE IS NOT NULL"
            + source.filters.get(self.name, "") + period + "), eligibility AS (" + source.eligibility + ")"
        )  # fmt: skip
        return f"INSERT INTO GOLD.{self.name} ({self.columns}) " + feed + " " + self.select(source)


def quarters_of(months: Sequence[int]) -> list[int]:
    return sorted({(month // 100) * 10 + (month % 100 - 1) // 3 + 1 for month in months})


def _claims_analytics(source: BuildInput) -> Sql:
    return Sql(
        "SELECT TPA, Y, M, CLAIM_TYPE, CLAIMS, MEMBERS, TOTAL_BILLED, TOTAL_ALLOWED, TOTAL_PAID, TOTAL_MR, "
        "ROUND(TOTAL_PAID / CLAIMS, 2), ROUND(TOTAL_PAID / NULLIF(MEMBERS, 0), 2), DISCOUNT, TOTAL_BILLED, "
        "TOTAL_PAID, ? "
        f"FROM (SELECT TPA, YEAR(SERVICE_DATE) AS Y, MONTH(SERVICE_DATE) AS M, CLAIM_TYPE, {AMOUNTS} "
        "FROM feed GROUP BY TPA, YEAR(SERVICE_DATE), MONTH(SERVICE_DATE), CLAIM_TYPE) AS grouped",
        (source.run_id,),
    )


def _provider_performance(source: BuildInput) -> Sql:
    return Sql(
        "SELECT TPA, PROVIDER_KEY, PROVIDER_NAME, CLAIM_TYPE, Y, Q, Y || '-Q' || Q, MEMBERS, CLAIMS, TOTAL_BILLED, "
        "TOTAL_ALLOWED, TOTAL_PAID, ROUND(TOTAL_PAID / NULLIF(MEMBERS, 0), 2), ROUND(TOTAL_PAID / CLAIMS, 2), "
        "DISCOUNT, ? "
        "FROM (SELECT TPA, COALESCE(PROVIDER_ID, 'UNKNOWN') AS PROVIDER_KEY, MAX(PROVIDER_NAME) AS PROVIDER_NAME, "
        f"CLAIM_TYPE, YEAR(SERVICE_DATE) AS Y, QUARTER(SERVICE_DATE) AS Q, {AMOUNTS} FROM feed "
        "GROUP BY TPA, COALESCE(PROVIDER_ID, 'UNKNOWN'), CLAIM_TYPE, YEAR(SERVICE_DATE), QUARTER(SERVICE_DATE)) "
        "AS grouped",
        (source.run_id,),
    )


def _financial_summary(source: BuildInput) -> Sql:
    return Sql(
        ", months AS (SELECT DISTINCT TPA, YEAR(SERVICE_DATE) AS Y, MONTH(SERVICE_DATE) AS M, "
        "DATE_FROM_PARTS(YEAR(SERVICE_DATE), MONTH(SERVICE_DATE), 1) AS MONTH_START FROM feed), "
        "member_months AS (SELECT months.TPA, months.Y, months.M, COUNT(DISTINCT eligibility.MEMBER_ID) AS MEMBERS "
        "FROM months LEFT JOIN eligibility ON eligibility.TPA = months.TPA "
        "AND eligibility.EFFECTIVE_DATE <= LAST_DAY(months.MONTH_START) "
        "AND (eligibility.TERMINATION_DATE IS NULL OR eligibility.TERMINATION_DATE >= months.MONTH_START) "
        "GROUP BY months.TPA, months.Y, months.M), "
        f"grouped AS (SELECT TPA, YEAR(SERVICE_DATE) AS Y, MONTH(SERVICE_DATE) AS M, CLAIM_TYPE, {AMOUNTS} FROM feed "
        "GROUP BY TPA, YEAR(SERVICE_DATE), MONTH(SERVICE_DATE), CLAIM_TYPE) "
        "SELECT grouped.TPA, grouped.Y, grouped.M, FLOOR((grouped.M - 1) / 3) + 1, CLAIM_TYPE, TOTAL_BILLED, "
        "TOTAL_ALLOWED, TOTAL_PAID, TOTAL_MR, CLAIMS, member_months.MEMBERS, member_months.MEMBERS, "
        "COALESCE(ROUND(TOTAL_PAID / NULLIF(member_months.MEMBERS, 0), 2), 0), NULL, NULL, "
        "IFF(member_months.MEMBERS = 0, ?, '') || ?, ? "
        "FROM grouped JOIN member_months ON member_months.TPA = grouped.TPA AND member_months.Y = grouped.Y "
        "AND member_months.M = grouped.M",
        (NO_ELIGIBILITY_NOTE, LOSS_RATIO_NOTE, source.run_id),
    )


def _condition_case() -> str:
    branches = []
    for name, prefixes in CHRONIC_CONDITIONS:
        matches = " OR ".join(f"DIAGNOSIS_CODE LIKE '{prefix}%'" for prefix in prefixes)
        branches.append(f"WHEN {matches} THEN '{name}'")
    return f"CASE {' '.join(branches)} END"


def _member_360(source: BuildInput) -> Sql:
    ytd = "feed.SERVICE_DATE >= DATE_FROM_PARTS(YEAR(as_of.AS_OF_DATE), 1, 1)"
    per_type = ", ".join(
        f"COUNT_IF({ytd} AND CLAIM_TYPE = '{claim_type}') AS {claim_type}_CLAIMS, "
        f"COALESCE(SUM(IFF({ytd} AND CLAIM_TYPE = '{claim_type}', PAID_AMOUNT, 0)), 0) AS {claim_type}_PAID"
        for claim_type in ("MEDICAL", "DENTAL", "PHARMACY")
    )
    return Sql(
        ", as_of AS (SELECT TPA, MAX(SERVICE_DATE) AS AS_OF_DATE FROM feed GROUP BY TPA), "
        "latest_eligibility AS (SELECT * FROM eligibility WHERE MEMBER_ID IS NOT NULL "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY TPA, MEMBER_ID "
        "ORDER BY EFFECTIVE_DATE DESC NULLS LAST, LOAD_TIMESTAMP DESC NULLS LAST) = 1), "
        f"claim_totals AS (SELECT feed.TPA, feed.MEMBER_ID, {per_type}, COUNT(*) AS LIFETIME_CLAIMS, "
        "COALESCE(SUM(PAID_AMOUNT), 0) AS LIFETIME_PAID, "
        "COALESCE(SUM(IFF(feed.SERVICE_DATE > DATEADD(month, -12, as_of.AS_OF_DATE), PAID_AMOUNT, 0)), 0) AS PAID_12, "
        "MAX(feed.SERVICE_DATE) AS LAST_VISIT FROM feed JOIN as_of ON as_of.TPA = feed.TPA "
        "WHERE feed.MEMBER_ID IS NOT NULL GROUP BY feed.TPA, feed.MEMBER_ID), "
        "conditions AS (SELECT TPA, MEMBER_ID, ARRAY_AGG(DISTINCT CONDITION) WITHIN GROUP (ORDER BY CONDITION) "
        f"AS CONDITIONS FROM (SELECT TPA, MEMBER_ID, {_condition_case()} AS CONDITION FROM feed "
        "WHERE CLAIM_TYPE = 'MEDICAL') AS diagnosed WHERE CONDITION IS NOT NULL GROUP BY TPA, MEMBER_ID), "
        "primary_care AS (SELECT TPA, MEMBER_ID, COALESCE(MAX(PROVIDER_NAME), PROVIDER_ID) AS PROVIDER FROM feed "
        "WHERE CLAIM_TYPE = 'MEDICAL' AND PROVIDER_ID IS NOT NULL AND MEMBER_ID IS NOT NULL "
        "GROUP BY TPA, MEMBER_ID, PROVIDER_ID "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY TPA, MEMBER_ID ORDER BY COUNT(*) DESC, PROVIDER_ID) = 1), "
        "members AS (SELECT TPA, MEMBER_ID FROM claim_totals UNION SELECT TPA, MEMBER_ID FROM latest_eligibility), "
        "profile AS (SELECT members.TPA, members.MEMBER_ID, e.FIRST_NAME, e.LAST_NAME, e.DATE_OF_BIRTH, e.GENDER, "
        "e.ZIP_CODE, e.PLAN_ID, e.EFFECTIVE_DATE, e.TERMINATION_DATE, e.MEMBER_ID IS NOT NULL AS HAS_ELIGIBILITY, "
        "COALESCE(as_of.AS_OF_DATE, CURRENT_DATE()) AS AS_OF_DATE, "
        "COALESCE(t.MEDICAL_CLAIMS, 0) AS MEDICAL_CLAIMS, COALESCE(t.MEDICAL_PAID, 0) AS MEDICAL_PAID, "
        "COALESCE(t.DENTAL_CLAIMS, 0) AS DENTAL_CLAIMS, COALESCE(t.DENTAL_PAID, 0) AS DENTAL_PAID, "
        "COALESCE(t.PHARMACY_CLAIMS, 0) AS PHARMACY_CLAIMS, COALESCE(t.PHARMACY_PAID, 0) AS PHARMACY_PAID, "
        "COALESCE(t.LIFETIME_CLAIMS, 0) AS LIFETIME_CLAIMS, COALESCE(t.LIFETIME_PAID, 0) AS LIFETIME_PAID, "
        "COALESCE(t.PAID_12, 0) AS PAID_12, t.LAST_VISIT, c.CONDITIONS, p.PROVIDER "
        "FROM members LEFT JOIN latest_eligibility AS e ON e.TPA = members.TPA AND e.MEMBER_ID = members.MEMBER_ID "
        "LEFT JOIN claim_totals AS t ON t.TPA = members.TPA AND t.MEMBER_ID = members.MEMBER_ID "
        "LEFT JOIN conditions AS c ON c.TPA = members.TPA AND c.MEMBER_ID = members.MEMBER_ID "
        "LEFT JOIN primary_care AS p ON p.TPA = members.TPA AND p.MEMBER_ID = members.MEMBER_ID "
        "LEFT JOIN as_of ON as_of.TPA = members.TPA) "
        "SELECT TPA, MEMBER_ID, NULLIF(TRIM(COALESCE(FIRST_NAME, '') || ' ' || COALESCE(LAST_NAME, '')), ''), "
        "DATE_OF_BIRTH, YEAR(AS_OF_DATE) - YEAR(DATE_OF_BIRTH) - IFF(MONTH(AS_OF_DATE) * 100 + DAY(AS_OF_DATE) "
        "< MONTH(DATE_OF_BIRTH) * 100 + DAY(DATE_OF_BIRTH), 1, 0), GENDER, ZIP_CODE, PLAN_ID, EFFECTIVE_DATE, "
        "TERMINATION_DATE, IFF(HAS_ELIGIBILITY, EFFECTIVE_DATE <= AS_OF_DATE AND (TERMINATION_DATE IS NULL "
        "OR TERMINATION_DATE >= AS_OF_DATE), NULL), HAS_ELIGIBILITY, AS_OF_DATE, MEDICAL_CLAIMS, MEDICAL_PAID, "
        "DENTAL_CLAIMS, DENTAL_PAID, PHARMACY_CLAIMS, PHARMACY_PAID, MEDICAL_CLAIMS + DENTAL_CLAIMS + PHARMACY_CLAIMS, "
        "MEDICAL_PAID + DENTAL_PAID + PHARMACY_PAID, LIFETIME_CLAIMS, LIFETIME_PAID, PAID_12, "
        "COALESCE(CONDITIONS, ARRAY_CONSTRUCT()), PROVIDER, LAST_VISIT, "
        "CASE WHEN PAID_12 >= ? THEN 'HIGH' WHEN PAID_12 >= ? THEN 'MEDIUM' ELSE 'LOW' END, "
        f"ROUND({RISK_SCORE_LOW} + PERCENT_RANK() OVER (PARTITION BY TPA ORDER BY PAID_12) * "
        f"{RISK_SCORE_HIGH - RISK_SCORE_LOW}, 1), "
        "MEDICAL_CLAIMS + DENTAL_CLAIMS + PHARMACY_CLAIMS, MEDICAL_PAID + DENTAL_PAID + PHARMACY_PAID, ? FROM profile",
        (source.tiers.high, source.tiers.medium, source.run_id),
    )


AMOUNT_COLUMNS = "TOTAL_BILLED, TOTAL_ALLOWED, TOTAL_PAID"
GOLD_BUILDS = (
    GoldTable(
        "CLAIMS_ANALYTICS",
        "CLAIM_YEAR * 100 + CLAIM_MONTH",
        MONTH_KEY,
        _claims_analytics,
        "TPA, CLAIM_YEAR, CLAIM_MONTH, CLAIM_TYPE, CLAIM_COUNT, UNIQUE_MEMBERS, "
        f"{AMOUNT_COLUMNS}, TOTAL_MEMBER_RESPONSIBILITY, AVG_PAID_PER_CLAIM, AVG_PAID_PER_MEMBER, DISCOUNT_RATE, "
        "TOTAL_BILLED_AMOUNT, TOTAL_PAID_AMOUNT, REFRESH_RUN_ID",
    ),
    GoldTable(
        "PROVIDER_PERFORMANCE",
        "PERIOD_YEAR * 10 + PERIOD_QUARTER",
        QUARTER_KEY,
        _provider_performance,
        "TPA, PROVIDER_ID, PROVIDER_NAME, PROVIDER_TYPE, PERIOD_YEAR, PERIOD_QUARTER, MEASUREMENT_PERIOD, "
        f"UNIQUE_MEMBERS, TOTAL_CLAIMS, {AMOUNT_COLUMNS}, AVG_COST_PER_MEMBER, AVG_COST_PER_CLAIM, DISCOUNT_RATE, "
        "REFRESH_RUN_ID",
        quarterly=True,
    ),
    GoldTable(
        "FINANCIAL_SUMMARY",
        "FISCAL_YEAR * 100 + FISCAL_MONTH",
        MONTH_KEY,
        _financial_summary,
        "TPA, FISCAL_YEAR, FISCAL_MONTH, FISCAL_QUARTER, CLAIM_TYPE, "
        f"{AMOUNT_COLUMNS}, TOTAL_MEMBER_RESPONSIBILITY, CLAIM_COUNT, MEMBER_COUNT, MEMBER_MONTHS, PMPM, "
        "PREMIUM_AMOUNT, MEDICAL_LOSS_RATIO, NOTES, REFRESH_RUN_ID",
    ),
    GoldTable(
        "MEMBER_360",
        None,
        None,
        _member_360,
        "TPA, MEMBER_ID, MEMBER_NAME, DATE_OF_BIRTH, AGE, GENDER, ZIP_CODE, PLAN_ID, ENROLLMENT_DATE, "
        "TERMINATION_DATE, IS_ACTIVE, HAS_ELIGIBILITY, AS_OF_DATE, MEDICAL_CLAIMS_YTD, MEDICAL_PAID_YTD, "
        "DENTAL_CLAIMS_YTD, DENTAL_PAID_YTD, PHARMACY_CLAIMS_YTD, PHARMACY_PAID_YTD, TOTAL_CLAIMS_YTD, "
        "TOTAL_PAID_YTD, LIFETIME_CLAIMS, LIFETIME_PAID, PAID_LAST_12_MONTHS, CHRONIC_CONDITIONS, "
        "PRIMARY_CARE_PROVIDER, LAST_VISIT_DATE, RISK_TIER, RISK_SCORE, TOTAL_CLAIMS, TOTAL_PAID, REFRESH_RUN_ID",
    ),
)
