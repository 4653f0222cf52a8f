"""Benchmark (slow): transform N Bronze rows with 3 rules vs a hand-written INSERT ... SELECT of the same columns.

SILVER_BENCH_ROWS=1000000 .venv/bin/python -m pytest tests/test_silver_transform_bench.py -q -s
"""

import os
import time

import pytest

from medallion.warehouse import warehouse
from silver import rules, transform
from tests.test_silver_transform_support import build_table

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROWS = int(os.environ.get("SILVER_BENCH_ROWS", "100000"))
LONG = 3600


async def test_transform_time_against_a_hand_written_insert_select(tpa):
    fixture = await build_table(tpa)
    wh = warehouse()
    await wh.execute(
        "INSERT INTO BRONZE.RAW_DATA_TABLE (TPA, FILE_NAME, FILE_ROW_NUMBER, RAW_DATA, FILE_TYPE, LOADED_BY) "
        "SELECT ?, 'bench.csv', SEQ4(), OBJECT_CONSTRUCT('Claim ID', 'C' || SEQ4(), 'Paid $', "
        "TO_VARCHAR(MOD(SEQ4(), 5000)) || '.25', 'Service Date', '2024-01-15', 'status', "
        "IFF(MOD(SEQ4(), 10) = 0, 'open', 'paid'), 'it''s \"units\"', TO_VARCHAR(MOD(SEQ4(), 7))), 'CSV', 'bench' "
        "FROM TABLE(GENERATOR(ROWCOUNT => ?))",
        (tpa, ROWS),
        timeout=LONG,
    )
    for body in (
        {"rule_name": "CLAIM", "rule_type": "NOT_NULL", "target_column": "CLAIM_ID"},
        {"rule_name": "CAP", "rule_type": "RANGE", "target_column": "PAID_AMOUNT", "parameters": {"max": 4000},
         "action": "FLAG"},
        {"rule_name": "KNOWN", "rule_type": "ALLOWED_VALUES", "target_column": "STATUS",
         "parameters": {"values": ["PAID", "DENIED"]}},
    ):  # fmt: skip
        await rules.create_rule({"tpa": tpa, "table_name": fixture.schema_table} | body, user="bench")

    await wh.execute(f"CREATE TABLE SILVER.BENCH_{tpa} AS SELECT * FROM {fixture.sql} LIMIT 0")
    started = time.perf_counter()
    await wh.execute(
        f"INSERT INTO SILVER.BENCH_{tpa} SELECT TRY_CAST(RAW_DATA['Claim ID']::VARCHAR AS VARCHAR(20)), "
        "TRY_CAST(RAW_DATA['Paid $']::VARCHAR AS NUMBER(18,2)), TRY_CAST(RAW_DATA['Service Date']::VARCHAR AS DATE), "
        "TRY_CAST(UPPER(TRIM(RAW_DATA['status']::VARCHAR)) AS VARCHAR(20)), "
        "TRY_CAST(RAW_DATA['it''s \"units\"']::VARCHAR AS INTEGER), RECORD_ID, FILE_NAME, FILE_ROW_NUMBER, TPA, 'B', "
        "LOAD_TIMESTAMP, LOADED_BY FROM BRONZE.RAW_DATA_TABLE WHERE TPA = ?",
        (tpa,),
        timeout=LONG,
    )
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    outcome = await transform.transform(tpa, fixture.schema_table)
    elapsed = time.perf_counter() - started
    await wh.execute(f"DROP TABLE SILVER.BENCH_{tpa}")

    print(
        f"\nSILVER TRANSFORM BENCH rows={ROWS + 1} transform={elapsed:.2f}s baseline={baseline:.2f}s "
        f"ratio={elapsed / baseline:.2f} inserted={outcome.inserted} quarantined={outcome.rejected} "
        f"flagged={outcome.flagged}"
    )
    assert outcome.status == "SUCCESS"
    assert outcome.rejected == ROWS // 10 + (ROWS % 10 > 0)
    assert outcome.inserted + outcome.rejected == ROWS + 1
