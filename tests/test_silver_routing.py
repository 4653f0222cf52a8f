import json

import pytest

from medallion.warehouse import warehouse
from tests.test_silver_transform import run
from tests.test_silver_transform_support import build_table, record

pytestmark = pytest.mark.django_db(transaction=True)


async def _load_file(tpa: str, queue_id: int, rows: list[dict]) -> None:
    await warehouse().execute(
        "INSERT INTO BRONZE.RAW_DATA_TABLE (TPA, FILE_NAME, FILE_ROW_NUMBER, RAW_DATA, FILE_TYPE, LOADED_BY, QUEUE_ID) "
        "SELECT ?, ?, f.INDEX + 1, f.VALUE, 'CSV', 'tests', ? FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS f",
        (tpa, f"file{queue_id}.csv", queue_id, json.dumps(rows)),
    )


async def test_each_table_takes_only_the_files_laid_out_for_it(operator_client, tpa):
    fixture = await build_table(tpa)
    await warehouse().execute("DELETE FROM BRONZE.RAW_DATA_TABLE WHERE TPA = ?", (tpa,))
    await _load_file(tpa, 910001, [record("MED1"), record("MED2")])
    await _load_file(tpa, 910002, [{"Member ID": "M1", "First Name": "Ann", "Claim ID": "ELIG"}])

    result = await run(operator_client, fixture)

    assert result["records_processed"] == 2
    assert sorted(r["CLAIM_ID"] for r in await fixture.rows()) == ["MED1", "MED2"]
