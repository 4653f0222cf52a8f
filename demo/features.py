"""The demo's second round, after the first round's files are mapped: one file in each further intake format,
a fixed-width file whose trailer balances and one whose trailer does not, a clearinghouse TPA sending X12 837
professional and institutional claims and then a replacement (a claim adjustment), expected-file cadences
that leave one TPA LATE, and an alert subscription printing to the console."""

import gzip
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from bronze.layouts import save_layout
from bronze.processing import process_all_pending
from bronze.queue import discover_files
from demo import sample_formats, samples
from medallion.errors import ApiError
from medallion.warehouse import warehouse
from ops.alerts import create_subscription
from ops.cadence import save_expectation
from ops.forms import ExpectationForm, SubscriptionForm
from silver.tables import create_table
from silver.transform import transform
from silver.transform_catalog import approved_mappings, tables_of
from silver.x12_mapping import X12_TARGET_TABLE, apply_837_mapping
from tpa.services import create_tpa

CLEARINGHOUSE = "CLEARINGHOUSE"
FEATURE_ROWS = 20
ACTOR = "seed_demo"
Report = Callable[[str], None]


async def seed_features(report: Report) -> None:
    fixed_width_tpa, parquet_tpa, json_tpa, gzip_tpa = samples.DEMO_LAYOUTS
    try:
        await create_tpa(CLEARINGHOUSE, "Demo Clearinghouse (X12 837)", "Sends HIPAA 837 claim files", user=ACTOR)
    except ApiError as error:
        if error.code != "tpa_exists":
            raise
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        staged = [
            *await _fixed_width_files(folder, fixed_width_tpa),
            (parquet_tpa.tpa_code, sample_formats.write_parquet(
                folder / "dental-claims-extra.parquet", parquet_tpa, "DENTAL", FEATURE_ROWS, seed=21)),
            (json_tpa.tpa_code, _zip_of_json(folder, json_tpa)),
            (gzip_tpa.tpa_code, _gzip_of_csv(folder, gzip_tpa)),
            *_x12_files(folder, fixed_width_tpa),
        ]  # fmt: skip
        processed = await _load(staged)
        # The replacements arrive after the claims they replace.
        adjustments = sample_formats.write_837(folder / "claims-837p-adjustments.837", fixed_width_tpa,
                                               FEATURE_ROWS * 2, seed=37, adjust=3)  # fmt: skip
        processed += await _load([(CLEARINGHOUSE, adjustments)])
    report(f"Intake formats: processed {processed} more file(s) (fixed width, Parquet, JSON and NDJSON in a .zip, "
           ".gz, X12 837 with a claim adjustment)")  # fmt: skip
    await _transform_new_records(report)
    await _expectations_and_alerts(fixed_width_tpa.tpa_code, parquet_tpa.tpa_code, report)


async def _load(staged: list[tuple[str, Path]]) -> int:
    for tpa, path in staged:
        await warehouse().stage_put(path, "SRC", f"{tpa}/{path.name}")
    await discover_files(user=ACTOR)
    return int((await process_all_pending())["records_processed"])


async def _fixed_width_files(folder: Path, layout: samples.TpaLayout) -> list[tuple[str, Path]]:
    """Two fixed-width medical files under one layout: the first trailer matches, the second claims one row more
    than the file holds, so reconciliation shows one balanced and one unbalanced file."""
    paid = layout.headers["MEDICAL"]["PAID_AMOUNT"]
    balanced = folder / "medical-claims-fixed.dat"
    stored = sample_formats.write_fixed_width(balanced, layout, "MEDICAL", FEATURE_ROWS, seed=16, paid_header=paid)
    await save_layout(layout.tpa_code, stored, user=ACTOR)
    unbalanced = folder / "medical-claims-fixed-short.dat"
    written = sample_formats.write_fixed_width(unbalanced, layout, "MEDICAL", FEATURE_ROWS, seed=17, paid_header=paid)
    count = written["fields"][1]
    lines = unbalanced.read_text(encoding="utf-8").splitlines()
    trailer = lines[-1]
    start, end = count["start"] - 1, count["start"] - 1 + count["length"]
    lines[-1] = trailer[:start] + str(FEATURE_ROWS + 1).ljust(count["length"]) + trailer[end:]
    unbalanced.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return [(layout.tpa_code, balanced), (layout.tpa_code, unbalanced)]


def _zip_of_json(folder: Path, layout: samples.TpaLayout) -> Path:
    array = sample_formats.write_json(folder / "pharmacy-claims-a.json", layout, "PHARMACY", FEATURE_ROWS, seed=22)
    lines = sample_formats.write_json(folder / "pharmacy-claims-b.ndjson", layout, "PHARMACY", FEATURE_ROWS, seed=23,
                                      lines=True)  # fmt: skip
    archive = folder / "pharmacy-claims-batch.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.write(array, array.name)
        bundle.write(lines, lines.name)
    return archive


def _gzip_of_csv(folder: Path, layout: samples.TpaLayout) -> Path:
    plain = samples.write_csv(folder / "medical-claims-extra.csv", layout, "MEDICAL", FEATURE_ROWS, seed=24)
    compressed = folder / "medical-claims-extra.csv.gz"
    with plain.open("rb") as source, gzip.open(compressed, "wb") as target:
        target.write(source.read())
    return compressed


def _x12_files(folder: Path, layout: samples.TpaLayout) -> list[tuple[str, Path]]:
    write = sample_formats.write_837
    return [
        (CLEARINGHOUSE, write(folder / "claims-837p.837", layout, FEATURE_ROWS * 2, seed=37)),
        (CLEARINGHOUSE, write(folder / "claims-837i.837", layout, FEATURE_ROWS, seed=38, institutional=True)),
    ]


async def _transform_new_records(report: Report) -> None:
    try:
        await create_table(CLEARINGHOUSE, X12_TARGET_TABLE, user=ACTOR)
    except ApiError as error:
        if error.code != "table_exists":
            raise
    await apply_837_mapping(CLEARINGHOUSE, user=ACTOR)
    for layout_code in [layout.tpa_code for layout in samples.DEMO_LAYOUTS] + [CLEARINGHOUSE]:
        for table in await tables_of(layout_code):
            if await approved_mappings(table.tpa, table.schema_table):
                outcome = await transform(table.tpa, table.schema_table, incremental=True, user=ACTOR)
                if outcome.inserted + outcome.updated + outcome.rejected:
                    report(f"  {table.name}: {outcome.inserted + outcome.updated} more rows "
                           f"({outcome.rejected} quarantined)")  # fmt: skip


async def _expectations_and_alerts(on_time_tpa: str, late_tpa: str, report: Report) -> None:
    monthly = {"tpa": on_time_tpa, "file_kind": "MEDICAL", "file_pattern": "medical*", "cadence": "MONTHLY", "day": 5}
    weekly = {"tpa": late_tpa, "file_kind": "ELIGIBILITY ROSTER", "file_pattern": "roster*", "cadence": "WEEKLY",
              "weekday": "MONDAY"}  # fmt: skip
    for expected in (monthly, weekly):
        await save_expectation(ExpectationForm(expected).expectation(), user=ACTOR)
    for kind in ("LATE_FILE", "FAILED_FILE"):
        subscription = {"alert_kind": kind, "channel": "EMAIL", "target": "claims-ops@example.org"}
        await create_subscription(SubscriptionForm(subscription).subscription(), user=ACTOR)
    report(f"Expected files: {late_tpa} is LATE with its weekly eligibility roster; alerts e-mail the console")
