import asyncio
import contextlib
import io
import os
from datetime import timedelta

import pytest

from bronze import processing, queue
from medallion import events
from medallion.clock import utc_now
from medallion.warehouse import WarehouseUnavailable, warehouse
from tests.test_bronze_support import (
    entry,
    records,
    staged,
    two_sheet_workbook,
    upload,
    upload_and_process,
    zip_bomb_workbook,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("content", "delimiter"),
    [
        (b"claim_id,npi,zip\nC1,0012345678,01234\nC2,0099999999,\n", ","),
        (b"claim_id|npi|zip\nC1|0012345678|01234\nC2|0099999999|\n", "|"),
        (b"claim_id\tnpi\tzip\nC1\t0012345678\t01234\nC2\t0099999999\t\n", "\t"),
        (b"claim_id;npi;zip\r\nC1;0012345678;01234\r\nC2;0099999999;\r\n", ";"),
        (b"\xef\xbb\xbfclaim_id,npi,zip\nC1,0012345678,01234\nC2,0099999999,\n", "BOM"),
    ],
)
async def test_delimited_files_load_every_value_as_text(operator_client, tpa, content, delimiter):
    row = await upload_and_process(operator_client, tpa, "claims.csv", content)

    assert row["STATUS"] == "SUCCESS"
    assert row["PROCESS_RESULT"] == "SUCCESS: Processed 2 rows from claims.csv"
    assert row["ROWS_LOADED"] == 2
    loaded = await records(tpa, "claims.csv")
    assert [r["RAW_DATA"] for r in loaded] == [
        {"claim_id": "C1", "npi": "0012345678", "zip": "01234"},
        {"claim_id": "C2", "npi": "0099999999", "zip": None},
    ]
    assert [r["FILE_ROW_NUMBER"] for r in loaded] == [1, 2]
    assert {r["FILE_TYPE"] for r in loaded} == {"CSV"}
    assert {r["LOADED_BY"] for r in loaded} == {operator_client.user.username}
    assert await staged("COMPLETED", tpa) == [f"{tpa}/claims.csv"]
    assert await staged("SRC", tpa) == []


async def test_quoted_fields_with_newlines_and_delimiters(operator_client, tpa):
    content = b'id,note\r\n1,"line one\r\nline two"\r\n2,"a, ""quoted"" b"\r\n'
    row = await upload_and_process(operator_client, tpa, "notes.txt", content)

    assert row["STATUS"] == "SUCCESS"
    assert [r["RAW_DATA"]["note"] for r in await records(tpa, "notes.txt")] == [
        "line one\r\nline two",
        'a, "quoted" b',
    ]


async def test_latin1_fallback(operator_client, tpa):
    row = await upload_and_process(
        operator_client, tpa, "names.csv", "id,name\n1,Jos\xe9 M\xfcller\n".encode("latin-1")
    )

    assert row["STATUS"] == "SUCCESS"
    assert (await records(tpa, "names.csv"))[0]["RAW_DATA"] == {"id": "1", "name": "José Müller"}


async def test_excel_sheets_become_records(operator_client, tpa):
    row = await upload_and_process(operator_client, tpa, "claims.xlsx", two_sheet_workbook())

    assert row["STATUS"] == "SUCCESS", row["ERROR_MESSAGE"]
    assert row["PROCESS_RESULT"] == "SUCCESS: Processed 3 rows from claims.xlsx"
    loaded = await records(tpa, "claims.xlsx")
    assert [(r["SHEET_NAME"], r["FILE_ROW_NUMBER"]) for r in loaded] == [("Claims", 1), ("Claims", 2), ("Members", 1)]
    assert loaded[0]["RAW_DATA"] == {
        "Claim ID": "C001",
        "Service Date": "2024-03-01",
        "Billed": "125.5",
        "Zip": "01234",
        "Total": "251",
    }
    assert loaded[1]["RAW_DATA"]["Service Date"] is None
    assert loaded[2]["RAW_DATA"] == {"Member": "M1", "Plan": "PPO"}
    assert {r["FILE_TYPE"] for r in loaded} == {"EXCEL"}


async def test_same_content_is_duplicate_naming_the_earlier_file(operator_client, tpa):
    content = b"a,b\n1,2\n"
    await upload_and_process(operator_client, tpa, "first.csv", content)
    row = await upload_and_process(operator_client, tpa, "second.csv", content)

    assert row["STATUS"] == "DUPLICATE"
    assert f"{tpa}/first.csv" in row["PROCESS_RESULT"]
    assert await records(tpa, "second.csv") == []
    assert len(await records(tpa, "first.csv")) == 1


async def test_same_content_for_another_tpa_is_loaded(operator_client, tpa, unique_code):
    from tpa.services import create_tpa

    other = await create_tpa(unique_code + "B", "Other TPA")
    await upload_and_process(operator_client, tpa, "first.csv", b"a,b\n1,2\n")
    row = await upload_and_process(operator_client, other, "first.csv", b"a,b\n1,2\n")

    assert row["STATUS"] == "SUCCESS"


BAD_FILES = [
    ("empty.csv", b"", "empty"),
    ("header.csv", b"a,b,c\n", "no data rows"),
    ("junk.csv", os.urandom(2048) + b"\x00", "not text"),
    ("ragged.csv", b"a,b\n1,2\n3,4\n5\n", "Line 4"),
    ("late_ragged.csv", b"a,b\n" + b"1,2\n" * 300 + b"3,4,5\n", "Line 302 has 3 fields"),
    ("long.csv", b"x" * (1024 * 1024 + 10), "no data rows"),
    ("longhead.csv", b"x" * (1024 * 1024 + 10) + b"\n1\n", "longer than"),
    ("bomb.xlsx", zip_bomb_workbook(), "zip bomb"),
    ("text.xlsx", b"a,b\n1,2\n", "not an Excel workbook"),
    ("book.csv", two_sheet_workbook(), "not text"),
]


@pytest.mark.parametrize(("name", "content", "reason"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
async def test_bad_files_fail_with_a_readable_reason(operator_client, tpa, name, content, reason):
    row = await upload_and_process(operator_client, tpa, name, content)

    assert row["STATUS"] == "FAILED"
    assert reason in row["ERROR_MESSAGE"]
    assert await records(tpa, name) == []
    assert await staged("ERROR", tpa) == [f"{tpa}/{name}"]
    assert row["RETRY_COUNT"] == 0


async def test_worker_keeps_going_after_bad_files(operator_client, tpa):
    for name, content, _ in BAD_FILES[:4]:
        assert (await upload(operator_client, tpa, name, content)).status_code == 201
    assert (await upload(operator_client, tpa, "good.csv", b"a\n1\n")).status_code == 201

    await processing.process_all_pending()

    assert (await entry(tpa, "good.csv"))["STATUS"] == "SUCCESS"
    assert {(await entry(tpa, name))["STATUS"] for name, _, _ in BAD_FILES[:4]} == {"FAILED"}


async def test_transient_errors_retry_with_backoff_then_fail(operator_client, tpa, monkeypatch):
    async def unavailable(*args, **kwargs):
        raise WarehouseUnavailable("The warehouse is not reachable.")

    monkeypatch.setattr(processing, "_load_delimited", unavailable)
    await upload(operator_client, tpa, "claims.csv", b"a\n1\n")
    await processing.process_all_pending()
    first = await entry(tpa, "claims.csv")

    assert (first["STATUS"], first["RETRY_COUNT"]) == ("PENDING", 1)
    assert first["NEXT_ATTEMPT_AT"] > utc_now() + timedelta(seconds=5)
    too_early = await processing.claim_next()
    assert too_early is None or too_early["TPA"] != tpa

    monkeypatch.setattr(processing, "RETRY_BACKOFF_SECONDS", 0)
    await warehouse().execute(
        "UPDATE BRONZE.FILE_PROCESSING_QUEUE SET NEXT_ATTEMPT_AT = NULL WHERE FILE_NAME = ?", (f"{tpa}/claims.csv",)
    )
    await processing.process_all_pending()
    final = await entry(tpa, "claims.csv")

    assert (final["STATUS"], final["RETRY_COUNT"]) == ("FAILED", processing.MAX_RETRIES)
    assert "giving up" in final["ERROR_MESSAGE"]
    assert await records(tpa, "claims.csv") == []


async def test_failure_inside_the_load_rolls_back_every_row(operator_client, tpa, monkeypatch):
    async def fail_after_load(tx, entry, content_hash, rows):
        raise RuntimeError("boom")

    monkeypatch.setattr(processing, "_mark_success", fail_after_load)
    row = await upload_and_process(operator_client, tpa, "claims.csv", b"a\n1\n2\n")

    assert row["STATUS"] == "FAILED"
    assert "Unexpected error" in row["ERROR_MESSAGE"]
    assert await records(tpa, "claims.csv") == []


async def test_concurrent_workers_claim_each_file_once(operator_client, tpa):
    for index in range(4):
        await upload(operator_client, tpa, f"f{index}.csv", f"a\n{index}\n".encode())

    claims = await asyncio.gather(*(processing.claim_next() for _ in range(6)))
    claimed = [c["QUEUE_ID"] for c in claims if c is not None and c["TPA"] == tpa]

    assert len(claimed) == len(set(claimed)) == 4
    for claim in claims:
        if claim is not None:
            await processing.process_entry(claim)
    assert {(await entry(tpa, f"f{i}.csv"))["STATUS"] for i in range(4)} == {"SUCCESS"}
    assert [len(await records(tpa, f"f{i}.csv")) for i in range(4)] == [1, 1, 1, 1]


async def test_expired_claim_goes_back_to_pending_and_live_one_stays(operator_client, tpa, settings):
    await upload(operator_client, tpa, "dead.csv", b"a\n1\n")
    await upload(operator_client, tpa, "alive.csv", b"a\n2\n")
    stale = utc_now() - timedelta(seconds=settings.QUEUE_LEASE_SECONDS + 5)
    for name, heartbeat in (("dead.csv", stale), ("alive.csv", utc_now())):
        await warehouse().execute(
            "UPDATE BRONZE.FILE_PROCESSING_QUEUE SET STATUS = 'PROCESSING', CLAIMED_BY = 'gone', HEARTBEAT_AT = ? "
            "WHERE FILE_NAME = ?",
            (heartbeat, f"{tpa}/{name}"),
        )

    response = await operator_client.post("/api/bronze/reset-stuck")

    assert response.status_code == 200
    assert response.json() == {"message": "Reset 1 stuck files to PENDING status", "files_reset": 1}
    dead, alive = await entry(tpa, "dead.csv"), await entry(tpa, "alive.csv")
    assert (dead["STATUS"], dead["ERROR_MESSAGE"]) == ("PENDING", "Reset from stuck PROCESSING status")
    assert alive["STATUS"] == "PROCESSING"
    assert (await operator_client.post("/api/bronze/reset-stuck")).json()["files_reset"] == 0


async def test_lost_claim_rolls_back_the_load(operator_client, tpa, monkeypatch):
    real_load = processing._load_delimited

    async def load_then_lose_claim(tx, entry, layout, content_hash):
        rows = await real_load(tx, entry, layout, content_hash)
        await warehouse().execute(
            "UPDATE BRONZE.FILE_PROCESSING_QUEUE SET CLAIMED_BY = 'someone else' WHERE QUEUE_ID = ?",
            (entry["QUEUE_ID"],),
        )
        return rows

    monkeypatch.setattr(processing, "_load_delimited", load_then_lose_claim)
    await upload(operator_client, tpa, "claims.csv", b"a\n1\n")
    await processing.process_all_pending()

    assert await records(tpa, "claims.csv") == []
    assert (await entry(tpa, "claims.csv"))["STATUS"] == "PROCESSING"


async def test_discover_queues_files_put_by_other_means(operator_client, tpa, tmp_path):
    local = tmp_path / "snowsql.csv"
    local.write_bytes(b"a,b\n1,2\n")
    await warehouse().stage_put(local, "SRC", f"{tpa}/snowsql.csv")
    await warehouse().stage_put(local, "SRC", "NOT_A_TPA_ZZ/x.csv")

    response = await operator_client.post("/api/bronze/discover")
    await queue.background_idle()

    assert response.status_code == 202
    assert response.json()["status"] == "discovering"
    row = await entry(tpa, "snowsql.csv")
    assert (row["STATUS"], row["FILE_TYPE"], row["FILE_SIZE_BYTES"]) == ("PENDING", "CSV", 8)
    assert await entry("NOT_A_TPA_ZZ", "x.csv") is None
    assert await queue.discover_files() == 0
    await processing.process_all_pending()
    row = await entry(tpa, "snowsql.csv")
    assert row["STATUS"] == "SUCCESS"
    assert row["CONTENT_HASH"] is not None
    await warehouse().stage_remove("SRC", "NOT_A_TPA_ZZ/x.csv")


async def test_process_endpoint_discovers_and_wakes_the_worker(operator_client, tpa, tmp_path):
    local = tmp_path / "dropped.csv"
    local.write_bytes(b"a\n1\n")
    await warehouse().stage_put(local, "SRC", f"{tpa}/dropped.csv")

    response = await operator_client.post("/api/bronze/process", "null", content_type="application/json")
    await queue.background_idle()

    assert response.status_code == 202
    body = response.json()
    assert body["status"] in {"discovering_and_processing", "already_running"}
    assert {"message", "pending_count", "processing_count", "note"} <= set(body)
    assert (await entry(tpa, "dropped.csv"))["STATUS"] == "PENDING"
    from medallion import worker

    await worker.run_until_idle()
    assert (await entry(tpa, "dropped.csv"))["STATUS"] == "SUCCESS"


async def test_tasks_are_registered():
    from medallion.task_registry import TASKS

    assert TASKS["DISCOVER_FILES_TASK"].default_schedule == "60 MINUTE"
    assert TASKS["PROCESS_FILES_TASK"].predecessors == ("DISCOVER_FILES_TASK",)
    assert TASKS["PROCESS_FILES_TASK"].layer == "BRONZE"


async def test_generated_samples_load_with_each_tpa_header_style(operator_client, tmp_path):
    from asgiref.sync import sync_to_async
    from django.core.management import call_command

    from demo.samples import DEMO_LAYOUTS
    from tpa.services import create_tpa

    await sync_to_async(call_command)("generate_samples", out=tmp_path, rows=5, stdout=io.StringIO())
    layout = DEMO_LAYOUTS[3]
    code = await create_tpa(f"S{os.urandom(4).hex().upper()}", "Samples")
    sample = next((tmp_path / layout.tpa_code).glob("medical-claims-*"))
    row = await upload_and_process(operator_client, code, sample.name, sample.read_bytes())

    assert row["STATUS"] == "SUCCESS"
    assert row["ROWS_LOADED"] == 5
    assert set((await records(code, sample.name))[0]["RAW_DATA"]) == set(layout.headers["MEDICAL"].values())


async def test_a_load_whose_worker_died_is_recovered_once_its_heartbeat_is_a_lease_old(
    operator_client, viewer_client, tpa, monkeypatch, settings
):
    assert settings.QUEUE_LEASE_SECONDS + processing.heartbeat_seconds() <= 60
    await upload(operator_client, tpa, "killed.csv", b"a\n1\n")
    inside_transaction, beat_inside, dead = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def load_forever(tx, entry, layout, content_hash):
        inside_transaction.set()
        await asyncio.Event().wait()

    async def beat_until_dead(queue_id, heartbeat_at):
        if dead.is_set():
            await asyncio.Event().wait()
        await real_touch(queue_id, heartbeat_at)
        if inside_transaction.is_set():
            beat_inside.set()

    real_touch = processing._touch
    monkeypatch.setattr(processing, "_load_delimited", load_forever)
    monkeypatch.setattr(processing, "_touch", beat_until_dead)
    monkeypatch.setattr(processing, "heartbeat_seconds", lambda: 0.05)
    claim = await processing.claim_next()
    loading = asyncio.create_task(processing.process_entry(claim))
    try:
        await asyncio.wait_for(inside_transaction.wait(), 60)
        await asyncio.wait_for(beat_inside.wait(), 60)  # the worker beats while its load transaction runs
        await queue.reset_stuck()
        assert (await entry(tpa, "killed.csv"))["STATUS"] == "PROCESSING", "a live load was reset"
        dead.set()  # the worker freezes or dies mid-load: no more heartbeats
        page = (await viewer_client.get(f"/bronze/status?tpa={tpa}")).content.decode()
        assert ">stuck</span>" not in page

        a_lease_later = utc_now() + timedelta(seconds=settings.QUEUE_LEASE_SECONDS + 1)
        monkeypatch.setattr(queue, "utc_now", lambda: a_lease_later)
        await queue.invalidate_bronze()  # the queue listing is cached for up to 30 s
        page = (await viewer_client.get(f"/bronze/status?tpa={tpa}")).content.decode()
        assert ">stuck</span>" in page
        listed = (await viewer_client.get(f"/api/bronze/queue?tpa={tpa}")).json()
        assert [row["STUCK"] for row in listed] == [True]
        assert await queue.reset_stuck(user="worker") >= 1
    finally:
        loading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loading
    recovered = await entry(tpa, "killed.csv")
    assert (recovered["STATUS"], recovered["ERROR_MESSAGE"]) == ("PENDING", "Reset from stuck PROCESSING status")
    await events.flush_all()
    logged = await warehouse().fetch_all(
        "SELECT ERROR_LEVEL, ERROR_MESSAGE FROM OPS.ERROR_LOG WHERE ERROR_SOURCE = 'bronze.reset_stuck' "
        "AND TPA_CODE = ?",
        (tpa,),
    )
    assert [(row["ERROR_LEVEL"], "killed.csv was stuck in PROCESSING" in row["ERROR_MESSAGE"]) for row in logged] == [
        ("ERROR", True)
    ]


async def test_fixed_width_text_fails_with_a_clear_reason(operator_client, tpa):
    content = b"CLAIM_ID    MEMBER_ID   PAID\nC0001       M000123     125.00\nC0002       M000456     80.50\n"
    row = await upload_and_process(operator_client, tpa, "claims.txt", content)

    assert row["STATUS"] == "FAILED"
    assert row["ERROR_MESSAGE"].startswith("The file looks like fixed-width text")
    assert await records(tpa, "claims.txt") == []
