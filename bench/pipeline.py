"""Scenarios 7-9: ingestion and transform through the API, each next to plain DuckDB on the same data.

The app runs first (upload, worker, transform over HTTP); after its server stops, the same CSV files and the
same Bronze rows are loaded and transformed by hand-written DuckDB statements in the same database file.
"""

import math
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import httpx

from bench.scenarios import Run, in_thread
from bench.server import AppServer, ServerSpec
from demo.samples import DEMO_LAYOUTS, write_csv

LAYOUT = DEMO_LAYOUTS[0]
KIND = "MEDICAL"
TABLE = "MEDICAL_CLAIMS"
RULES = (
    {"rule_name": "CLAIM_ID_PRESENT", "rule_type": "NOT_NULL", "target_column": "CLAIM_ID"},
    {
        "rule_name": "BILLED_NOT_NEGATIVE",
        "rule_type": "RANGE",
        "target_column": "BILLED_AMOUNT",
        "parameters": {"min": 0},
    },
    {"rule_name": "SERVICE_NOT_FUTURE", "rule_type": "NOT_FUTURE_DATE", "target_column": "SERVICE_DATE"},
)
BASELINE_RULES = ('"CLAIM_ID" IS NOT NULL', '"BILLED_AMOUNT" >= 0', '"SERVICE_DATE" <= CURRENT_DATE')
FINISHED = {"SUCCESS", "FAILED", "DUPLICATE"}
POLL_SECONDS = 0.1
PIPELINE_TIMEOUT = 1800.0
UPLOAD_LIMIT = 4 * 1024**3


class Api:
    def __init__(self, server: AppServer, token: str) -> None:
        self.http = httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=PIPELINE_TIMEOUT
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
        return response.json()

    def statements(self) -> int:
        return self.call("GET", "/api/bench/metrics")["warehouse_queries"]

    def counted(self, action: Callable[[], dict[str, Any]], key: str) -> dict[str, Any]:
        """The action's figures plus how many warehouse statements ran meanwhile (background work included)."""
        before = self.statements()
        figures = action()
        return figures | {key: self.statements() - before}

    def upload(self, path: Path, tpa: str) -> float:
        started = time.perf_counter()
        with path.open("rb") as handle:
            self.call("POST", "/api/bronze/upload", data={"tpa": tpa}, files={"file": (path.name, handle, "text/csv")})
        return time.perf_counter() - started


def tpa_code(rows: int) -> str:
    return f"SCALE_{rows}"


def create_tpa(api: Api, tpa: str) -> None:
    api.call("POST", "/api/tpas", json={"tpa_code": tpa, "tpa_name": f"Benchmark {tpa}"})
    api.call("POST", "/api/silver/tables/create", params={"tpa": tpa, "table_name": TABLE})


def map_fields(api: Api, tpa: str) -> None:
    """Approved mappings for every column the file has, and the three rules (mappings need loaded raw data)."""
    for target, source in LAYOUT.headers[KIND].items():
        mapping = {"tpa": tpa, "target_table": TABLE, "target_column": target, "source_field": source}
        api.call("POST", "/api/silver/mappings", json=mapping)
    for rule in RULES:
        api.call("POST", "/api/silver/rules", json={"tpa": tpa, "table_name": TABLE, "action": "REJECT", **rule})


def ingest(api: Api, csv_path: Path, tpa: str) -> dict[str, Any]:
    """Upload, ask the worker to process, and wait until the queue entry is finished."""
    started = time.perf_counter()
    upload_seconds = api.upload(csv_path, tpa)
    api.call("POST", "/api/bronze/process")
    deadline = started + PIPELINE_TIMEOUT
    while time.perf_counter() < deadline:
        entries = api.call("GET", "/api/bronze/queue", params={"tpa": tpa})
        if entries and entries[0]["STATUS"] in FINISHED:
            break
        time.sleep(POLL_SECONDS)
    else:
        raise RuntimeError(f"{csv_path.name} was not processed within {PIPELINE_TIMEOUT:g} s")
    if entries[0]["STATUS"] != "SUCCESS":
        raise RuntimeError(f"{csv_path.name}: {entries[0]['STATUS']} {entries[0]['ERROR_MESSAGE']}")
    return {"ingestion_s": time.perf_counter() - started, "upload_s": upload_seconds}


def transform(api: Api, tpa: str) -> dict[str, Any]:
    started = time.perf_counter()
    outcome = api.call("POST", "/api/silver/transform", json={"tpa": tpa, "target_table": TABLE})
    if outcome["status"] != "SUCCESS":
        raise RuntimeError(f"transform of {tpa}: {outcome['result']}")
    return {
        "transform_s": time.perf_counter() - started,
        "inserted": outcome["records_inserted"],
        "quarantined": outcome["records_quarantined"],
    }


def inflate(source: Path, target: Path, minimum_bytes: int) -> Path:
    """A bigger CSV for the memory test: the source's data lines repeated after one header."""
    with source.open("rb") as original:
        header = original.readline()
    with target.open("wb") as output:
        output.write(header)
        while output.tell() < minimum_bytes:
            with source.open("rb") as original:
                original.readline()
                shutil.copyfileobj(original, output, 1 << 20)
    return target


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def duckdb_read_csv(db: duckdb.DuckDBPyConnection, csv_path: Path, rows: int) -> float:
    table = f"BENCH_READ_CSV_{rows}"
    return timed(
        lambda: db.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, header = true, all_varchar = true)", [str(csv_path)]
        )
    )


def duckdb_transform(db: duckdb.DuckDBPyConnection, tpa: str) -> float:
    """The hand-written equivalent: one INSERT ... SELECT with the same casts and the three rules as filters."""
    physical = f'SILVER."{tpa}_{TABLE}"'
    baseline = f'SILVER."BENCH_{tpa}"'
    db.execute(f"CREATE TABLE {baseline} AS SELECT * FROM {physical} LIMIT 0")
    types = {name: kind for name, kind, *_ in db.execute(f"DESCRIBE {physical}").fetchall()}
    mapped = LAYOUT.headers[KIND]
    casts = ", ".join(f'TRY_CAST(RAW_DATA ->> ? AS {types[target]}) AS "{target}"' for target in mapped)
    names = ", ".join(f'"{target}"' for target in mapped)
    passes = " AND ".join(f"COALESCE({rule}, TRUE)" for rule in BASELINE_RULES)
    sql = (
        f'INSERT INTO {baseline} ({names}, "_RECORD_ID", "_FILE_NAME", "_FILE_ROW_NUMBER", "_TPA", "_LOAD_TIMESTAMP") '
        f"SELECT {names}, RECORD_ID, FILE_NAME, FILE_ROW_NUMBER, TPA, now() FROM ("
        f"SELECT {casts}, RECORD_ID, FILE_NAME, FILE_ROW_NUMBER, TPA FROM BRONZE.RAW_DATA_TABLE WHERE TPA = ?"
        f") WHERE {passes}"
    )
    return timed(lambda: db.execute(sql, [*(f"$.{source}" for source in mapped.values()), tpa]))


def slope(rows: list[dict[str, Any]], key: str) -> float:
    """Log-log slope between the smallest and the largest size: 1 is linear, below 1 means fixed costs dominate."""
    first, last = rows[0], rows[-1]
    return math.log(last[key] / first[key]) / math.log(last["rows"] / first["rows"])


def one_size(api: Api, count: int, csv_path: Path) -> dict[str, Any]:
    tpa = tpa_code(count)
    create_tpa(api, tpa)
    entry = {"rows": count, "file_mb": round(csv_path.stat().st_size / 2**20, 1)}
    entry |= api.counted(lambda: ingest(api, csv_path, tpa), "ingestion_statements")
    map_fields(api, tpa)
    return entry | api.counted(lambda: transform(api, tpa), "transform_statements")


def through_app(run: Run, files: dict[int, Path], report: Callable[[str], None]) -> tuple[list[dict[str, Any]], dict]:
    spec = ServerSpec(latency_ms=run.mode.pipeline_latency_ms, upload_max_bytes=UPLOAD_LIMIT)
    memory: dict[str, Any] = {}
    rows = []
    with run.server(spec) as server:
        api = Api(server, run.token)
        for count, csv_path in files.items():
            entry = one_size(api, count, csv_path)
            report(f"  {count:,} rows through the app: {entry['ingestion_s']:.1f} s + {entry['transform_s']:.1f} s")
            rows.append(entry)
        memory["peak_rss_mb_after_pipeline"] = round(server.peak_rss_mb(), 1)
        big = inflate(files[max(files)], run.data_dir / "big-upload.csv", run.mode.upload_mb * 2**20)
        memory["big_upload_mb"] = round(big.stat().st_size / 2**20, 1)
        create_tpa(api, "BIG_UPLOAD")
        memory["big_upload_s"] = round(api.upload(big, "BIG_UPLOAD"), 1)
        memory["peak_rss_mb_after_big_upload"] = round(server.peak_rss_mb(), 1)
        big.unlink()
    return rows, memory


def with_duckdb(run: Run, files: dict[int, Path], rows: list[dict[str, Any]]) -> None:
    db = duckdb.connect(str(run.data_dir / "warehouse" / "MEDALLION.db"))
    try:
        for entry in rows:
            entry["ingestion_duckdb_s"] = duckdb_read_csv(db, files[entry["rows"]], entry["rows"])
            entry["transform_duckdb_s"] = duckdb_transform(db, tpa_code(entry["rows"]))
    finally:
        db.close()


def comparison(
    entry: dict[str, Any], app_key: str, duckdb_key: str, statements_key: str, latency_ms: float
) -> dict[str, Any]:
    injected = entry[statements_key] * latency_ms / 1000
    return {
        "rows": entry["rows"],
        "app_seconds": round(entry[app_key], 2),
        "duckdb_seconds": round(entry[duckdb_key], 2),
        "ratio": round(entry[app_key] / entry[duckdb_key], 2),
        "app_rows_per_s": round(entry["rows"] / entry[app_key]),
        "statements": entry[statements_key],
        "injected_latency_s": round(injected, 1),
        # Statements overlap (the worker's and background writes), so the sum can exceed the elapsed time.
        "ratio_without_injected_latency": round((entry[app_key] - injected) / entry[duckdb_key], 2)
        if injected < entry[app_key]
        else None,
    }


def pipeline(run: Run, report: Callable[[str], None]) -> None:
    files = {
        count: write_csv(run.data_dir / f"claims-{count}.csv", LAYOUT, KIND, count) for count in run.mode.pipeline_rows
    }
    rows, memory = through_app(run, files, report)
    with_duckdb(run, files, rows)
    largest = rows[-1]
    run.results["ingestion"] = comparison(
        largest, "ingestion_s", "ingestion_duckdb_s", "ingestion_statements", run.mode.pipeline_latency_ms
    ) | {
        "upload_s": round(largest["upload_s"], 2),
        "file_mb": largest["file_mb"],
        **memory,
        "note": "Peak RSS is one `serve` process (web and worker share it on the embedded warehouse).",
    }
    run.results["transform"] = comparison(
        largest, "transform_s", "transform_duckdb_s", "transform_statements", run.mode.pipeline_latency_ms
    ) | {
        "inserted": largest["inserted"],
        "quarantined": largest["quarantined"],
    }
    rounded = [{key: round(value, 2) if isinstance(value, float) else value for key, value in r.items()} for r in rows]
    run.results["scaling"] = {
        "rows": rounded,
        "slopes": {
            "ingestion": slope(rows, "ingestion_s"),
            "transform": slope(rows, "transform_s"),
            "read_csv": slope(rows, "ingestion_duckdb_s"),
            "INSERT SELECT": slope(rows, "transform_duckdb_s"),
        },
    }


async def pipeline_scenarios(run: Run, report: Callable[[str], None]) -> None:
    await in_thread(run, report, ("ingestion", "transform", "scaling"), pipeline)
