"""Faults: a worker killed mid-load, the warehouse going away, a slow warehouse, a full disk, several workers and
several web processes. Nothing may be lost, duplicated or half-written, and every failure reads clearly."""

import asyncio
import errno
import json
import os
import time
from pathlib import Path

import pytest

import medallion.warehouse as warehouse_module
from bronze import processing
from demo import samples
from medallion import worker
from medallion.events import flush_all
from medallion.middleware import api_request_log
from medallion.warehouse import Warehouse, WarehouseUnavailable, warehouse
from tests.conftest import _client_for
from tests.e2e_support import MANAGE, Site, wait_for
from tests.test_bad_inputs import queue_rows, upload

pytestmark = pytest.mark.django_db(transaction=True)

KILL_ROWS = 200_000
OUTAGE = WarehouseUnavailable("The warehouse is not reachable right now; try again in a minute.")
EVERYTHING = frozenset(
    {"connect", "ping", "execute", "execute_many", "insert_rows", "load_staged_as_json", "begin", "stage_put",
     "stage_list", "stage_get", "stage_move", "stage_remove", "stream"}
)  # fmt: skip


# --------------------------------------------------------------------------- (a) SIGKILL mid-load


def _warehouse_bytes(site: Site) -> int:
    return sum(path.stat().st_size for path in (site.data_dir / "warehouse").rglob("*") if path.is_file())


def _queue_state(site: Site, tpa: str) -> dict:
    output = site.shell(
        "import asyncio, json\n"
        "from medallion.warehouse import warehouse, close_warehouse\n"
        "async def main():\n"
        "    wh = warehouse()\n"
        "    entry = await wh.fetch_one('SELECT QUEUE_ID, STATUS, ROWS_LOADED, ERROR_MESSAGE FROM "
        f"BRONZE.FILE_PROCESSING_QUEUE WHERE TPA = ?', ({tpa!r},))\n"
        "    rows = await wh.fetch_one('SELECT COUNT(*) AS N, COUNT(DISTINCT FILE_ROW_NUMBER) AS DISTINCT_ROWS, "
        "MIN(FILE_ROW_NUMBER) AS FIRST_ROW, MAX(FILE_ROW_NUMBER) AS LAST_ROW FROM BRONZE.RAW_DATA_TABLE "
        f"WHERE TPA = ?', ({tpa!r},))\n"
        "    print(json.dumps({**entry, **rows}, default=str))\n"
        "asyncio.run(main())\n"
        "close_warehouse()\n"
    )
    return json.loads(output.strip().splitlines()[-1])


@pytest.mark.slow
def test_worker_killed_mid_load_resumes_with_every_row_exactly_once(tmp_path):
    site = Site(data_dir=tmp_path, overrides={"QUEUE_LEASE_SECONDS": "1", "WAREHOUSE_LONG_STATEMENT_TIMEOUT": "20"})
    source = samples.write_csv(site.data_dir / "big-claims.csv", samples.DEMO_LAYOUTS[0], "MEDICAL", KILL_ROWS)
    site.manage("warehouse_migrate")
    site.shell(
        "import asyncio, hashlib\n"
        "from pathlib import Path\n"
        "from medallion.warehouse import close_warehouse\n"
        "from tpa.services import create_tpa\n"
        "from bronze.queue import register_upload\n"
        f"path = Path({str(source)!r})\n"
        "digest = hashlib.sha256(path.read_bytes()).hexdigest()\n"
        "async def main():\n"
        "    await create_tpa('KILLTEST', 'Kill test', None)\n"
        "    await register_upload('KILLTEST', 'big-claims.csv', path, path.stat().st_size, digest, user='faults')\n"
        "asyncio.run(main())\n"
        "close_warehouse()\n"
    )
    staged = site.data_dir / "stages" / "SRC" / "KILLTEST" / "big-claims.csv"
    os.utime(staged, (0, staged.stat().st_mtime))
    before = _warehouse_bytes(site)
    doomed = site.spawn(*MANAGE, "run_worker", log_name="worker-1.log")
    try:
        wait_for(lambda: staged.stat().st_atime > 0, timeout=120, message="the worker to open the file")
        wait_for(lambda: _warehouse_bytes(site) > before + 2_000_000, timeout=60, interval=0.02,
                 message="the load to start writing")  # fmt: skip
    finally:
        doomed.kill()
    killed = _queue_state(site, "KILLTEST")
    assert killed["STATUS"] == "PROCESSING", f"the kill came too late to test anything: {killed}"
    assert killed["N"] == 0, f"a killed load left {killed['N']} rows behind"

    deadline = time.monotonic() + 180
    state = killed
    while state["STATUS"] != "SUCCESS" and time.monotonic() < deadline:
        time.sleep(1.5)
        site.manage("run_worker", "--once")
        state = _queue_state(site, "KILLTEST")
    assert state["STATUS"] == "SUCCESS", state
    assert state["ROWS_LOADED"] == state["N"] == state["DISTINCT_ROWS"] == KILL_ROWS, state
    assert (state["FIRST_ROW"], state["LAST_ROW"]) == (1, KILL_ROWS), state
    assert (site.data_dir / "stages" / "COMPLETED" / "KILLTEST" / "big-claims.csv").is_file()


# --------------------------------------------------------------------------- (b) warehouse unavailable


class FaultyBackend:
    """The real backend, except that the named operations fail (or stall) while a fault is on."""

    def __init__(self, real: object) -> None:
        self.real = real
        self.failing: frozenset[str] = frozenset()
        self.error: Exception = OUTAGE

    def __getattr__(self, name: str) -> object:
        attribute = getattr(self.real, name)
        if name not in self.failing:
            return attribute

        def fail(*args: object, **kwargs: object) -> object:
            raise self.error

        return fail

    def shutdown(self) -> None:
        """The real backend belongs to the process-wide warehouse; leave it open."""


async def _drain_logs() -> None:
    await api_request_log.drain()
    await flush_all()


@pytest.fixture
async def faulty(monkeypatch, settings) -> FaultyBackend:
    backend = FaultyBackend(warehouse().backend)
    swapped = Warehouse(
        backend,
        pool_size=4,
        acquire_timeout=settings.WAREHOUSE_ACQUIRE_TIMEOUT,
        statement_timeout=settings.WAREHOUSE_STATEMENT_TIMEOUT,
        max_connection_age=settings.WAREHOUSE_CONNECTION_MAX_AGE,
    )
    monkeypatch.setattr(warehouse_module, "_instance", swapped)
    yield backend
    backend.failing = frozenset()
    await _drain_logs()
    swapped.close()


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["code"] == "upstream_unavailable" and "warehouse" in body["detail"].lower(), body
    assert body["request_id"] == response["X-Request-ID"]


async def test_warehouse_outage_answers_503_writes_nothing_and_recovers(faulty, admin_client, operator_client, tpa):
    faulty.failing = EVERYTHING
    assert_unavailable(await admin_client.get("/api/tpas"))
    assert_unavailable(await admin_client.post(
        "/api/tpas", {"tpa_code": f"{tpa}_NEW", "tpa_name": "During outage"}, content_type="application/json"
    ))  # fmt: skip
    response = await upload(operator_client, tpa, "outage.csv", b"a,b\r\n1,2\r\n")
    assert response.status_code == 503, response.content
    health = await admin_client.get("/api/health/db")
    assert health.status_code == 503 and health.json()["database"] == "disconnected"
    page = await admin_client.get("/bronze/status")
    assert page.status_code == 503 and b"warehouse" in page.content.lower()

    faulty.failing = frozenset()
    assert (await admin_client.get("/api/health/db")).status_code == 200
    codes = [row["TPA_CODE"] for row in (await admin_client.get("/api/tpas")).json()]
    assert tpa in codes and f"{tpa}_NEW" not in codes
    assert await queue_rows(operator_client, tpa) == {}
    assert not (Path(warehouse().backend.stage_dir) / "SRC" / tpa / "outage.csv").exists()


async def test_outage_during_a_load_requeues_the_file_and_the_retry_loads_it_once(faulty, operator_client, tpa,
                                                                                   monkeypatch):  # fmt: skip
    monkeypatch.setattr(processing, "RETRY_BACKOFF_SECONDS", 0)
    await worker.run_until_idle()
    content = b"claim_id,amount\r\n" + b"".join(f"C{i},{i}\r\n".encode() for i in range(1, 501))
    assert (await upload(operator_client, tpa, "flaky.csv", content)).status_code == 201
    faulty.failing = frozenset({"load_staged_as_json"})
    assert await processing.process_next()
    entry = (await queue_rows(operator_client, tpa))["flaky.csv"]
    assert entry["STATUS"] == "PENDING" and entry["RETRY_COUNT"] == 1, entry
    assert "warehouse" in entry["ERROR_MESSAGE"].lower()
    assert (
        await warehouse().fetch_value(
            "SELECT COUNT(*) AS N FROM BRONZE.RAW_DATA_TABLE WHERE QUEUE_ID = ?", (entry["QUEUE_ID"],)
        )
        == 0
    )

    faulty.failing = frozenset()
    await worker.run_until_idle()
    entry = (await queue_rows(operator_client, tpa))["flaky.csv"]
    assert entry["STATUS"] == "SUCCESS" and entry["ROWS_LOADED"] == 500, entry
    counts = await warehouse().fetch_one(
        "SELECT COUNT(*) AS N, COUNT(DISTINCT FILE_ROW_NUMBER) AS D FROM BRONZE.RAW_DATA_TABLE WHERE QUEUE_ID = ?",
        (entry["QUEUE_ID"],),
    )
    assert counts == {"N": 500, "D": 500}


async def test_a_file_that_keeps_failing_ends_failed_with_the_reason(faulty, operator_client, tpa, monkeypatch):
    monkeypatch.setattr(processing, "RETRY_BACKOFF_SECONDS", 0)
    await worker.run_until_idle()
    assert (await upload(operator_client, tpa, "doomed.csv", b"a,b\r\n1,2\r\n")).status_code == 201
    faulty.failing = frozenset({"load_staged_as_json"})
    for _ in range(processing.MAX_RETRIES + 1):
        await processing.process_next()
    entry = (await queue_rows(operator_client, tpa))["doomed.csv"]
    assert entry["STATUS"] == "FAILED" and "giving up" in entry["ERROR_MESSAGE"], entry


# --------------------------------------------------------------------------- (c) slow warehouse


@pytest.fixture
async def slow_warehouse(monkeypatch):
    real = warehouse().backend
    swapped = Warehouse(FaultyBackend(real), pool_size=2, acquire_timeout=1.0, statement_timeout=0.3,
                        max_connection_age=3600)  # fmt: skip
    monkeypatch.setattr(warehouse_module, "_instance", swapped)
    monkeypatch.setattr(real, "inject_latency", 5.0)
    yield swapped
    real.inject_latency = 0.0
    await _drain_logs()
    swapped.close()


async def test_statement_timeout_answers_504_quickly(slow_warehouse, viewer_client):
    started = time.monotonic()
    response = await viewer_client.get("/api/bronze/queue")
    elapsed = time.monotonic() - started
    assert response.status_code == 504, response.content
    body = response.json()
    assert body["code"] == "upstream_timeout" and "0.3 s" in body["detail"], body
    assert elapsed < 4.5, "the 504 waited for the 5 s statement"
    assert slow_warehouse.metrics.timeouts >= 1


async def test_client_going_away_cancels_the_running_query(slow_warehouse):
    slow_warehouse.statement_timeout = 60
    client = await _client_for("viewer")
    request = asyncio.ensure_future(client.get("/api/bronze/stats"))
    for _ in range(400):
        if slow_warehouse.pool.in_use:
            break
        await asyncio.sleep(0.05)
    assert slow_warehouse.pool.in_use >= 1, "the request never reached the warehouse"
    started = time.monotonic()
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    assert time.monotonic() - started < 4.5, "the cancelled statement ran on for its 5 s"
    assert slow_warehouse.metrics.cancellations >= 1


# --------------------------------------------------------------------------- (d) disk full


def leftover_uploads(directory: Path) -> list[Path]:
    return list(directory.glob("upload-*"))


async def test_disk_full_on_upload_is_clear_and_leaves_no_queue_row(faulty, operator_client, tpa, settings):
    faulty.failing = frozenset({"stage_put"})
    faulty.error = OSError(errno.ENOSPC, "No space left on device")
    response = await upload(operator_client, tpa, "full.csv", b"a,b\r\n1,2\r\n")
    assert response.status_code in (503, 507), response.content
    assert "space" in response.json()["detail"].lower() or "storage" in response.json()["detail"].lower()
    faulty.failing = frozenset()
    assert await queue_rows(operator_client, tpa) == {}
    assert not leftover_uploads(Path(settings.UPLOAD_TEMP_DIR))


async def test_unwritable_upload_directory_is_clear_and_leaves_no_queue_row(operator_client, tpa, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the upload directory should be")
    settings.UPLOAD_TEMP_DIR = blocker / "uploads"
    response = await upload(operator_client, tpa, "nowhere.csv", b"a,b\r\n1,2\r\n")
    assert response.status_code in (503, 507), response.content
    assert "storage" in response.json()["detail"].lower() or "disk" in response.json()["detail"].lower()
    assert await queue_rows(operator_client, tpa) == {}


# --------------------------------------------------------------------------- (e) several workers, several web processes


async def test_racing_workers_process_every_file_exactly_once(operator_client, tpa):
    expected = {}
    for index in range(24):
        rows = 50 + index * 37
        content = b"claim_id,amount\r\n" + b"".join(f"C{index}-{i},{i}\r\n".encode() for i in range(rows))
        name = f"race-{index:02d}.csv"
        assert (await upload(operator_client, tpa, name, content)).status_code == 201
        expected[name] = rows
    await asyncio.gather(*(worker.run_until_idle() for _ in range(3)))
    entries = await queue_rows(operator_client, tpa)
    assert {name: entries[name]["STATUS"] for name in expected} == dict.fromkeys(expected, "SUCCESS")
    counts = await warehouse().fetch_all(
        "SELECT FILE_NAME, COUNT(*) AS N, COUNT(DISTINCT FILE_ROW_NUMBER) AS D, COUNT(DISTINCT QUEUE_ID) AS Q "
        "FROM BRONZE.RAW_DATA_TABLE WHERE TPA = ? GROUP BY FILE_NAME",
        (tpa,),
    )
    assert {row["FILE_NAME"]: (row["N"], row["D"], row["Q"]) for row in counts} == {
        name: (rows, rows, 1) for name, rows in expected.items()
    }
    await flush_all()
    loads = await warehouse().fetch_all(
        "SELECT FILE_NAME, COUNT(*) AS N FROM OPS.FILE_PROCESSING_LOG WHERE TPA_CODE = ? "
        "AND PROCESSING_STAGE = 'BRONZE_LOAD' AND STAGE_STATUS = 'STARTED' GROUP BY FILE_NAME",
        (tpa,),
    )
    assert {row["FILE_NAME"].split("/")[-1]: row["N"] for row in loads} == dict.fromkeys(expected, 1)


@pytest.mark.slow
def test_two_web_processes_share_cache_invalidation(require_redis, tmp_path):
    """Each process gets a warehouse of its own (the embedded file has one owner; on Snowflake they would share
    one), so a cached answer computed by one process is recognisable when the other serves it."""
    import redis

    redis.Redis(db=14).flushdb()
    first = Site(data_dir=tmp_path, overrides={"CACHE_URL": "redis://127.0.0.1:6379/14"})
    second_warehouse = first.data_dir / "second"
    second = Site(
        data_dir=first.data_dir,
        overrides={**first.overrides, "WAREHOUSE_URL": f"duckdb:///{second_warehouse}/warehouse",
                   "WAREHOUSE_STAGE_DIR": str(second_warehouse / "stages")},
    )  # fmt: skip
    for site, code in ((first, "FIRST_ONLY"), (second, "SECOND_ONLY")):
        site.manage("warehouse_migrate")
        site.shell(
            "import asyncio\nfrom tpa.services import create_tpa\nfrom medallion.warehouse import close_warehouse\n"
            f"asyncio.run(create_tpa({code!r}, {code!r}, None))\nclose_warehouse()\n"
        )
    token = first.token("cache-admin", "admin")
    one, two = first.uvicorn(), second.uvicorn()
    try:
        with one.client(token) as a, two.client(token) as b:

            def codes(client) -> list[str]:
                response = client.get("/api/tpas")
                assert response.status_code == 200, response.text
                return sorted(row["TPA_CODE"] for row in response.json())

            assert codes(a) == ["FIRST_ONLY"]
            assert codes(b) == ["FIRST_ONLY"], "the second process did not read the shared cache"
            created = b.post("/api/tpas", json={"tpa_code": "SECOND_NEW", "tpa_name": "Made in process two"})
            assert created.status_code == 201, created.text
            assert codes(a) == ["FIRST_ONLY"]
            assert codes(b) == ["FIRST_ONLY"]
            a.post("/api/tpas", json={"tpa_code": "FIRST_NEW", "tpa_name": "Made in process one"})
            assert codes(b) == ["SECOND_NEW", "SECOND_ONLY"]
            assert codes(a) == ["SECOND_NEW", "SECOND_ONLY"]
            first.manage("cache_invalidate", "tpas")
            assert codes(a) == ["FIRST_NEW", "FIRST_ONLY"]
            assert codes(b) == ["FIRST_NEW", "FIRST_ONLY"]
    finally:
        one.stop()
        two.stop()
    assert "Traceback" not in one.log() + two.log()
