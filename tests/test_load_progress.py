"""Load progress: a running Bronze load tells its rows so far (event stream and heartbeat row), throttled, and
ends with the final count; the status page shows the rows so far of a file still loading."""

import asyncio
import io
from typing import Any

import pytest
import xlsxwriter
from django.test import override_settings

from bronze import processing
from medallion import stream, worker
from medallion.clock import utc_now
from medallion.warehouse import warehouse
from tests.test_bronze_support import upload_and_process

pytestmark = pytest.mark.django_db(transaction=True)


def workbook(rows: int) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Claims")
    sheet.write_row(0, 0, ["Claim ID", "Paid"])
    for number in range(1, rows + 1):
        sheet.write_row(number, 0, [f"C{number}", number])
    book.close()
    return buffer.getvalue()


def load_events(subscriber: stream.Subscriber, file_name: str) -> list[dict[str, Any]]:
    events = []
    while not subscriber.queue.empty():
        event = subscriber.queue.get_nowait()
        if event.data.get("file_name") == file_name:
            events.append(event.data)
    return events


@override_settings(LOAD_PROGRESS_ROWS=1, LOAD_PROGRESS_SECONDS=0)
async def test_an_excel_load_reports_increasing_rows_ending_at_the_final_count(
    operator_client: Any, tpa: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processing, "RECORD_BATCH_ROWS", 10)
    subscriber = stream.bus.open_stream("progress-watcher", frozenset({"load"}))
    assert subscriber is not None
    try:
        loaded = await upload_and_process(operator_client, tpa, "progress.xlsx", workbook(25))
        events = load_events(subscriber, f"{tpa}/progress.xlsx")
    finally:
        stream.bus.close_stream("progress-watcher", subscriber)
    assert loaded["STATUS"] == "SUCCESS" and loaded["ROWS_LOADED"] == 25
    assert [(e["phase"], e["rows"]) for e in events] == [
        ("LOADING", 0), ("LOADING", 10), ("LOADING", 20), ("LOADING", 25), ("LOADED", 25),
    ]  # fmt: skip
    assert not any(e["estimated"] for e in events[1:])


@override_settings(LOAD_PROGRESS_ROWS=1000, LOAD_PROGRESS_SECONDS=0)
async def test_progress_is_throttled_by_rows(operator_client: Any, tpa: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processing, "RECORD_BATCH_ROWS", 10)
    subscriber = stream.bus.open_stream("throttle-watcher", frozenset({"load"}))
    assert subscriber is not None
    try:
        await upload_and_process(operator_client, tpa, "throttled.xlsx", workbook(25))
        events = load_events(subscriber, f"{tpa}/throttled.xlsx")
    finally:
        stream.bus.close_stream("throttle-watcher", subscriber)
    assert [(e["phase"], e["rows"]) for e in events] == [("LOADING", 0), ("LOADED", 25)]


class StatementInProgress:
    """A transaction whose single bulk statement has read a growing share of the file."""

    def __init__(self, shares: list[float | None]) -> None:
        self.shares = shares
        self.asked_past_the_last = asyncio.Event()  # by then every share was reported

    async def statement_progress(self) -> float | None:
        if self.shares:
            return self.shares.pop(0)
        self.asked_past_the_last.set()
        return None


@override_settings(LOAD_PROGRESS_ROWS=1, LOAD_PROGRESS_SECONDS=0)
async def test_a_bulk_load_is_estimated_from_the_share_read_and_the_lines(tpa: str) -> None:
    load = {"QUEUE_ID": -1, "FILE_NAME": f"{tpa}/bulk.csv", "TPA": tpa}
    progress = processing.LoadProgress(load)
    subscriber = stream.bus.open_stream("bulk-watcher", frozenset({"load"}))
    assert subscriber is not None
    try:
        statement = StatementInProgress([None, 0.25, 0.5])
        async with progress.following(statement, 1000):  # type: ignore[arg-type]
            await asyncio.wait_for(statement.asked_past_the_last.wait(), 10)
        await progress.finish(998)
        events = load_events(subscriber, f"{tpa}/bulk.csv")
    finally:
        stream.bus.close_stream("bulk-watcher", subscriber)
    assert [(e["rows"], e["estimated"]) for e in events] == [(250, True), (500, True), (998, False)]


def test_line_count_counts_a_last_line_without_its_end(tmp_path: Any) -> None:
    ended, open_ended = tmp_path / "ended.csv", tmp_path / "open.csv"
    ended.write_bytes(b"a,b\n1,2\n3,4\n")
    open_ended.write_bytes(b"a,b\n1,2\n3,4")
    assert processing._line_count(ended) == processing._line_count(open_ended) == 3


async def test_the_status_page_shows_the_rows_so_far_of_a_file_still_loading(operator_client: Any, tpa: str) -> None:
    done = await upload_and_process(operator_client, tpa, "loading.csv", b"claim_id\nC1\n")
    wh, now = warehouse(), utc_now()
    await wh.execute(
        "UPDATE BRONZE.FILE_PROCESSING_QUEUE SET STATUS = 'PROCESSING', CLAIMED_BY = ?, HEARTBEAT_AT = ? "
        "WHERE QUEUE_ID = ?",
        (worker.WORKER_ID, now, done["QUEUE_ID"]),
    )
    await wh.execute(
        "INSERT INTO BRONZE.LOAD_HEARTBEATS (QUEUE_ID, CLAIMED_BY, HEARTBEAT_AT, ROWS_SO_FAR) VALUES (?, ?, ?, ?)",
        (done["QUEUE_ID"], worker.WORKER_ID, now, 12000),
    )
    try:
        page = await operator_client.get(f"/bronze/status?tpa={tpa}")
    finally:  # no later worker pass may find this claim
        await wh.execute("DELETE FROM BRONZE.LOAD_HEARTBEATS WHERE QUEUE_ID = ?", (done["QUEUE_ID"],))
        await wh.execute(
            "UPDATE BRONZE.FILE_PROCESSING_QUEUE SET STATUS = 'SUCCESS', CLAIMED_BY = NULL WHERE QUEUE_ID = ?",
            (done["QUEUE_ID"],),
        )
    assert page.status_code == 200
    assert "12,000 so far" in page.content.decode()
