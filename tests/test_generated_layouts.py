"""Every file the sample generator writes, in every TPA layout and both formats, converts into Silver with nothing
quarantined and every date and timestamp read as the generator meant it."""

import datetime as dt
from pathlib import Path

import pytest

from demo.samples import CLAIM_KINDS, DEMO_LAYOUTS, TARGET_TABLES, TpaLayout, write_csv, write_xlsx
from medallion.warehouse import warehouse
from medallion.warehouse.identifiers import quote, string_literal
from silver.mappings import create_mapping
from silver.tables import create_table
from silver.transform import transform
from tests.test_bronze_support import upload_and_process
from tpa.services import create_tpa

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 40


@pytest.mark.parametrize("layout", DEMO_LAYOUTS, ids=lambda layout: layout.tpa_code)
async def test_every_generated_layout_converts_without_quarantine(
    operator_client, unique_code: str, tmp_path: Path, layout: TpaLayout
) -> None:
    await create_tpa(unique_code, f"{layout.name} copy", "generated layout test")
    for kind in CLAIM_KINDS:
        for path in (
            write_csv(tmp_path / f"{kind.lower()}.csv", layout, kind, ROWS),
            # Another seed gives other claim ids: the same claims again would be resubmissions (claim versions).
            write_xlsx(tmp_path / f"{kind.lower()}.xlsx", layout, kind, ROWS, seed=1),
        ):
            row = await upload_and_process(operator_client, unique_code, path.name, path.read_bytes())
            assert row["STATUS"] == "SUCCESS", row["ERROR_MESSAGE"]

    for kind in CLAIM_KINDS:
        schema_table = TARGET_TABLES[kind]
        await create_table(unique_code, schema_table, user="tests")
        for target, header in layout.headers[kind].items():
            await create_mapping(
                {"tpa": unique_code, "source_field": header, "target_table": schema_table, "target_column": target},
                user="tests",
            )
        outcome = await transform(unique_code, schema_table, user="tests")

        assert outcome.status == "SUCCESS", outcome.error
        reasons = await warehouse().fetch_all(
            "SELECT REASON FROM SILVER.QUARANTINE WHERE TPA = ? AND SCHEMA_TABLE = ? LIMIT 3",
            (unique_code, schema_table),
        )
        assert (outcome.rejected, reasons) == (0, []), kind
        assert outcome.inserted == 2 * ROWS
        await _dates_are_read_as_written(unique_code, schema_table, layout, kind)


async def _dates_are_read_as_written(tpa: str, schema_table: str, layout: TpaLayout, kind: str) -> None:
    """Each date and timestamp column against the raw text it came from: as the TPA writes it (CSV), or ISO (workbook
    cells)."""
    temporal = {
        target: header
        for target, header in layout.headers[kind].items()
        if target.endswith("_DATE") or target == "DATE_OF_BIRTH"
    }
    names = ", ".join(
        f"t.{quote(target)} AS {quote(target)}, "
        f"r.RAW_DATA[{string_literal(header)}]::VARCHAR AS {quote('RAW_' + target)}"
        for target, header in temporal.items()
    )
    rows = await warehouse().fetch_all(
        f"SELECT {names} FROM {quote('SILVER', f'{tpa}_{schema_table}')} AS t "
        'JOIN BRONZE.RAW_DATA_TABLE AS r ON r.RECORD_ID = t."_RECORD_ID"',
    )
    assert len(rows) >= ROWS  # claims sent in both files are kept once, as their latest version
    for row in rows:
        for target in temporal:
            text, value = row[f"RAW_{target}"], row[target]
            if text is None:
                continue
            spelling = layout.timestamp_format if isinstance(value, dt.datetime) else layout.date_format
            try:
                written = dt.datetime.strptime(text, spelling)
            except ValueError:  # a workbook cell: the date itself, read as ISO text
                written = dt.datetime.fromisoformat(text)
            assert value == (written if isinstance(value, dt.datetime) else written.date()), (target, text)
