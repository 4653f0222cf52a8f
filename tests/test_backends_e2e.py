"""The pipeline over the API on both backends: the embedded DuckDB file and Snowflake through the real
connector over HTTP (tests/snowflake_emulator)."""

import pytest

from tests.test_bronze_support import records, staged, upload_and_process

pytestmark = pytest.mark.django_db(transaction=True)


async def test_upload_process_and_read_back(warehouse_backend, operator_client, tpa):
    row = await upload_and_process(operator_client, tpa, "claims.csv", b"claim_id,paid\nC1,10.50\nC2,\n")

    assert row["STATUS"] == "SUCCESS", row["ERROR_MESSAGE"]
    assert [r["RAW_DATA"] for r in await records(tpa, "claims.csv")] == [
        {"claim_id": "C1", "paid": "10.50"},
        {"claim_id": "C2", "paid": None},
    ]
    assert await staged("COMPLETED", tpa) == [f"{tpa}/claims.csv"]
