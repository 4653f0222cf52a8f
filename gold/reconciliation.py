"""Control totals per loaded file, layer by layer: rows in the file, in Bronze, in Silver, in quarantine and
excluded by Gold's filters, with billed / allowed / paid at each layer, the file's control record when its
layout names one, and a verdict. Figures are computed set-based for many files at once (a few grouped
statements per Silver table of the TPA), so the status page and the monthly report cost the same as one file."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bronze.layouts import file_controls
from bronze.queue import QUEUE
from bronze.raw import RAW, source_fields
from medallion.errors import not_found, validation_error
from medallion.scope import in_scope, visible
from medallion.warehouse import warehouse
from medallion.warehouse.identifiers import quote
from medallion.warehouse.sql import Sql
from silver.claim_versions import VERSIONED_TABLES, VERSIONS
from silver.transform_catalog import approved_mappings
from silver.transform_sql import column_sources, converted
from tpa.conversions import conversions_of
from tpa.services import get_tpa

from .feeds import CLAIM_SOURCES, SilverTable, discover
from .lineage import gold_filters, included_feed

AMOUNTS = {"billed": "BILLED_AMOUNT", "allowed": "ALLOWED_AMOUNT", "paid": "PAID_AMOUNT"}
MONEY = "NUMBER(18, 2)"
IN_FILES = "IN (SELECT f.VALUE::INTEGER FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS f)"
CENT = Decimal("0.01")
ENTRY_COLUMNS = "QUEUE_ID, TPA, FILE_NAME, FILE_TYPE, STATUS, ROWS_LOADED, PROCESSED_TIMESTAMP"


@dataclass
class Figures:
    rows: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)

    def add(self, row: dict[str, Any], *, with_rows: bool = True) -> None:
        if with_rows:
            self.rows += int(row["N"] or 0)
        for name in AMOUNTS:
            if row.get(name.upper()) is not None:
                self.amounts[name] = self.amounts.get(name, Decimal(0)) + Decimal(row[name.upper()])


@dataclass
class FileLayers:
    bronze: Figures = field(default_factory=Figures)
    silver: Figures = field(default_factory=Figures)
    quarantined: Figures = field(default_factory=Figures)
    gold: Figures = field(default_factory=Figures)
    gold_excluded: Figures = field(default_factory=Figures)
    tables: set[str] = field(default_factory=set)
    superseded: int = 0


async def file_reconciliation(queue_id: int) -> dict[str, Any]:
    entry = await warehouse().fetch_one(f"SELECT {ENTRY_COLUMNS} FROM {QUEUE} WHERE QUEUE_ID = ?", (queue_id,))
    if entry is None or not in_scope(entry["TPA"]):
        raise not_found("file_not_found", f"Queue entry {queue_id} not found.")
    return (await reconcile(entry["TPA"], [entry]))[0]


async def verdicts(queue_ids: list[int]) -> dict[str, dict[str, Any]]:
    """Balanced flag and verdict of each given file (for the status page), keyed by queue id as text."""
    by_tpa: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in visible(await _entries(queue_ids), "TPA"):
        by_tpa[entry["TPA"]].append(entry)
    found: dict[str, dict[str, Any]] = {}
    for tpa, entries in by_tpa.items():
        for item in await reconcile(tpa, entries):
            found[str(item["queue_id"])] = {"balanced": item["balanced"], "verdict": item["verdict"]}
    return found


async def monthly_report(tpa: str, month: str) -> dict[str, Any]:
    """Every file of the TPA loaded in the month (YYYY-MM), with totals over them."""
    code = (await get_tpa(tpa))["TPA_CODE"]
    first = _month_start(month)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    entries = await warehouse().fetch_all(
        f"SELECT {ENTRY_COLUMNS} FROM {QUEUE} "
        "WHERE TPA = ? AND STATUS = 'SUCCESS' AND PROCESSED_TIMESTAMP >= ? AND PROCESSED_TIMESTAMP < ? "
        "ORDER BY PROCESSED_TIMESTAMP, QUEUE_ID",
        (code, first, following),
    )
    files = await reconcile(code, entries)
    totals: dict[str, Any] = {key: sum(f[key] for f in files) for key in COUNT_KEYS}
    for key in AMOUNT_KEYS:
        totals[key] = sum((f[key] for f in files if f[key] is not None), Decimal(0))
    return {
        "tpa": code,
        "month": f"{first:%Y-%m}",
        "files": files,
        "totals": totals,
        "balanced_files": sum(f["balanced"] for f in files),
        "unbalanced_files": sum(not f["balanced"] for f in files),
    }


COUNT_KEYS = ("rows_in_file", "control_records", "bronze_rows", "silver_rows", "superseded_rows", "quarantined_rows",
              "gold_rows", "gold_excluded_rows")  # fmt: skip
LAYERS = ("bronze", "silver", "quarantined", "gold", "gold_excluded")
AMOUNT_KEYS = tuple(f"{layer}_{amount}" for layer in LAYERS for amount in AMOUNTS)
REPORT_COLUMNS = ("queue_id", "file_name", "processed_at", *COUNT_KEYS, *AMOUNT_KEYS, "balanced", "verdict")


async def reconcile(tpa: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reconciliation of the given queue entries, all of one TPA, in their order."""
    ids = [int(entry["QUEUE_ID"]) for entry in entries]
    if not ids:
        return []
    wh, files = warehouse(), json.dumps(ids)
    layers: dict[int, FileLayers] = defaultdict(FileLayers)
    bronze_counts = await wh.fetch_all(
        f"SELECT QUEUE_ID, COUNT(*) AS N FROM {RAW} WHERE QUEUE_ID {IN_FILES} GROUP BY QUEUE_ID", (files,)
    )
    sources = (await discover(wh, tpa)).get(tpa)
    tables = [*sources.claims, *sources.eligibility] if sources else []
    filters = await gold_filters(tpa)
    for table in tables:
        await _add_table(layers, table, files, filters)
    controls = await file_controls(ids)
    counted = {int(row["QUEUE_ID"]): int(row["N"]) for row in bronze_counts}
    return [_summary(entry, layers[int(entry["QUEUE_ID"])], counted, controls) for entry in entries]


async def _add_table(layers: dict[int, FileLayers], table: SilverTable, files: str, gold_filters: str) -> None:
    wh, physical = warehouse(), quote("SILVER", table.physical)
    present = {name: column for name, column in AMOUNTS.items() if column in table.columns}
    silver_sums = "".join(f", SUM(t.{quote(column)}) AS {name.upper()}" for name, column in present.items())
    versioned = table.schema_table in VERSIONED_TABLES
    # Versioned claims count as received (every version, as-sent amounts); the physical row holds net amounts.
    unversioned = f' AND t."_RECORD_ID" NOT IN (SELECT RECORD_ID FROM {VERSIONS} WHERE TPA = ? AND SCHEMA_TABLE = ?)'
    silver = await wh.fetch_all(
        f"SELECT r.QUEUE_ID, COUNT(*) AS N{silver_sums} FROM {physical} AS t JOIN {RAW} AS r "
        f'ON r.RECORD_ID = t."_RECORD_ID" WHERE r.QUEUE_ID {IN_FILES}{unversioned if versioned else ""} '
        "GROUP BY r.QUEUE_ID",
        (files, table.tpa, table.schema_table) if versioned else (files,),
    )
    if versioned:
        version_sums = "".join(f", SUM(v.{column}) AS {name.upper()}" for name, column in AMOUNTS.items())
        for row in await wh.fetch_all(
            f"SELECT r.QUEUE_ID, COUNT(*) AS N, COUNT_IF(NOT v.IS_CURRENT) AS SUPERSEDED{version_sums} "
            f"FROM {VERSIONS} AS v JOIN {RAW} AS r ON r.RECORD_ID = v.RECORD_ID WHERE v.TPA = ? AND v.SCHEMA_TABLE = ? "
            f"AND r.QUEUE_ID {IN_FILES} GROUP BY r.QUEUE_ID",
            (table.tpa, table.schema_table, files),
        ):
            layer = layers[int(row["QUEUE_ID"])]
            layer.silver.add(row)
            layer.superseded += int(row["SUPERSEDED"] or 0)
            layer.tables.add(table.schema_table)
    raw_sums = await _raw_amount_sums(table)
    quarantined = await wh.fetch_all(
        f"SELECT QUEUE_ID, COUNT(*) AS N{raw_sums} FROM {RAW} WHERE QUEUE_ID {IN_FILES} AND RECORD_ID IN "
        "(SELECT RECORD_ID FROM SILVER.QUARANTINE WHERE TPA = ? AND SCHEMA_TABLE = ? AND STATUS = 'QUARANTINED') "
        "GROUP BY QUEUE_ID",
        (files, table.tpa, table.schema_table),
    )
    for row in silver:
        layers[int(row["QUEUE_ID"])].silver.add(row)
        layers[int(row["QUEUE_ID"])].tables.add(table.schema_table)
    for row in quarantined:
        layers[int(row["QUEUE_ID"])].quarantined.add(row)
        layers[int(row["QUEUE_ID"])].tables.add(table.schema_table)
    routed = [queue_id for queue_id, layer in layers.items() if table.schema_table in layer.tables]
    if routed and raw_sums:
        for row in await wh.fetch_all(
            f"SELECT QUEUE_ID, COUNT(*) AS N{raw_sums} FROM {RAW} WHERE QUEUE_ID {IN_FILES} GROUP BY QUEUE_ID",
            (json.dumps(routed),),
        ):
            layers[int(row["QUEUE_ID"])].bronze.add(row, with_rows=False)
    if table.schema_table in CLAIM_SOURCES:
        await _add_gold(layers, table, files, gold_filters)


async def _raw_amount_sums(table: SilverTable) -> str:
    """SUM of each mapped amount over Bronze's RAW_DATA, converted the way the transform converts it."""
    sources = column_sources(await approved_mappings(table.tpa, table.schema_table), await source_fields(table.tpa))
    conversions = await conversions_of(table.tpa)
    return "".join(
        f", SUM({converted(sources[column].value, MONEY, conversions)}) AS {name.upper()}"
        for name, column in AMOUNTS.items()
        if column in sources
    )


async def _add_gold(layers: dict[int, FileLayers], table: SilverTable, files: str, gold_filters: str) -> None:
    """Rows of the file that reach Gold's claims analytics and those its filters (or a missing service date)
    leave out."""
    sums = "".join(
        f", SUM(IFF(m.INCLUDED, m.{column}, 0)) AS {name.upper()}"
        f", SUM(IFF(m.INCLUDED, 0, m.{column})) AS X_{name.upper()}"
        for name, column in AMOUNTS.items()
    )
    rows = await warehouse().fetch_all(
        included_feed(table, gold_filters)
        + Sql(
            f" SELECT r.QUEUE_ID, COUNT_IF(m.INCLUDED) AS N, COUNT_IF(NOT m.INCLUDED) AS X_N{sums} "
            f"FROM m JOIN {RAW} AS r ON r.RECORD_ID = m.RECORD_ID WHERE r.QUEUE_ID {IN_FILES} GROUP BY r.QUEUE_ID",
            (files,),
        )
    )
    for row in rows:
        layer = layers[int(row["QUEUE_ID"])]
        layer.gold.add(row)
        layer.gold_excluded.add({key[2:]: value for key, value in row.items() if key.startswith("X_")})


def _summary(
    entry: dict[str, Any], layers: FileLayers, bronze_counts: dict[int, int], controls: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    queue_id = int(entry["QUEUE_ID"])
    control = controls.get(queue_id, {})
    control_records = int(control.get("CONTROL_RECORDS") or 0)
    rows_in_file = int(control.get("ROWS_IN_FILE") or entry["ROWS_LOADED"] or 0) - control_records
    layers.bronze.rows = bronze_counts.get(queue_id, 0)
    result: dict[str, Any] = {
        "queue_id": queue_id,
        "tpa": entry["TPA"],
        "file_name": entry["FILE_NAME"].split("/", 1)[-1],
        "status": entry["STATUS"],
        "file_type": entry["FILE_TYPE"],
        "processed_at": entry["PROCESSED_TIMESTAMP"],
        "layout_name": control.get("LAYOUT_NAME"),
        "silver_tables": sorted(layers.tables),
        "rows_in_file": rows_in_file,
        "control_records": control_records,
        "control_row_count": control.get("CONTROL_ROW_COUNT"),
        "control_paid_total": control.get("CONTROL_PAID_TOTAL"),
        "bronze_rows": layers.bronze.rows,
        "silver_rows": layers.silver.rows,
        "superseded_rows": layers.superseded,
        "quarantined_rows": layers.quarantined.rows,
        "gold_rows": layers.gold.rows,
        "gold_excluded_rows": layers.gold_excluded.rows,
    }
    for layer in LAYERS:
        figures: Figures = getattr(layers, layer)
        for name in AMOUNTS:
            value = figures.amounts.get(name)
            result[f"{layer}_{name}"] = None if value is None else value.quantize(CENT)
    problems = _problems(result)
    result["balanced"] = not problems
    result["problems"] = problems
    result["verdict"] = "; ".join(problems) or ("Archive: each of its files is reconciled on its own"
                                                  if result["file_type"] == "ARCHIVE" else "Balanced")  # fmt: skip
    return result


def _problems(f: dict[str, Any]) -> list[str]:  # noqa: C901 (one check per layer, in the order the verdict reads)
    problems: list[str] = []
    if f["status"] != "SUCCESS":
        return [f"The file is {f['status']}, not loaded"]
    if f["file_type"] == "ARCHIVE":
        return []
    if f["control_row_count"] is not None and f["control_row_count"] != f["rows_in_file"]:
        problems.append(f"Control record says {f['control_row_count']} rows; the file has {f['rows_in_file']}")
    if f["control_paid_total"] is not None and f["bronze_paid"] is not None:
        difference = f["bronze_paid"] - Decimal(f["control_paid_total"])
        if difference:
            problems.append(f"Control record says paid {f['control_paid_total']:,.2f}; the rows add up to "
                            f"{f['bronze_paid']:,.2f} ({_signed(difference)})")  # fmt: skip
    if f["bronze_rows"] != f["rows_in_file"]:
        problems.append(_changed("Bronze", f["bronze_rows"] - f["rows_in_file"], "rows"))
    if not f["silver_tables"]:
        return [*problems, "Not transformed into Silver yet"]
    missing = f["bronze_rows"] - f["silver_rows"] - f["quarantined_rows"]
    if missing:
        problems.append(_changed("Silver", -missing, "rows (not transformed yet?)"))
    if f["quarantined_rows"]:
        paid = f["quarantined_paid"]
        problems.append(
            f"Silver quarantined {f['quarantined_rows']} rows" + (f" (paid {paid:,.2f})" if paid is not None else "")
        )
    for name in AMOUNTS:
        bronze, silver, quarantined = f[f"bronze_{name}"], f[f"silver_{name}"], f[f"quarantined_{name}"]
        if bronze is not None and silver is not None and not missing:
            difference = silver + (quarantined or 0) - bronze
            if difference:
                problems.append(f"Silver {name} differs from Bronze by {_signed(difference)}")
    return problems


def _changed(layer: str, delta: int, what: str) -> str:
    return f"{layer} {'gained' if delta > 0 else 'lost'} {abs(delta)} {what}"


def _signed(value: Decimal) -> str:
    return f"{value:+,.2f}"


def month_of(value: str | None) -> str:
    """The requested month (YYYY-MM, checked later), or the current one."""
    return (value or f"{datetime.now(UTC):%Y-%m}")[:7]


def layer_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per layer (rows and amounts) for the file's page."""
    rows = (
        ("File", report["rows_in_file"], None),
        ("Bronze", report["bronze_rows"], "bronze"),
        ("Silver", report["silver_rows"], "silver"),
        ("Quarantined", report["quarantined_rows"], "quarantined"),
        ("Gold", report["gold_rows"], "gold"),
        ("Excluded by Gold filters", report["gold_excluded_rows"], "gold_excluded"),
    )
    return [
        {"layer": name, "rows": count, **{amount: report.get(f"{key}_{amount}") if key else None for amount in AMOUNTS}}
        for name, count, key in rows
    ]


def _month_start(month: str) -> date:
    try:
        year, number = (int(part) for part in month.split("-"))
        return date(year, number, 1)
    except ValueError:
        raise validation_error("month", "Use a month as YYYY-MM.") from None


async def _entries(queue_ids: list[int]) -> list[dict[str, Any]]:
    return await warehouse().fetch_all(
        f"SELECT {ENTRY_COLUMNS} FROM {QUEUE} WHERE QUEUE_ID {IN_FILES} ORDER BY QUEUE_ID",
        (json.dumps(queue_ids),),
    )
