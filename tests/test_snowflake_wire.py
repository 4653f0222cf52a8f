"""Defects of the Snowflake backend that only show over the wire: the real connector against the emulator."""

import asyncio
import time

import pytest

from bronze import processing
from medallion.warehouse import WarehouseTimeout, WarehouseUnavailable, close_warehouse, warehouse
from tests.test_bronze_support import entry, records, staged, two_sheet_workbook, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("snowflake_warehouse")]

DDL = ("CREATE", "ALTER", "DROP", "TRUNCATE")
# How long after its limit a timed-out call may still take to answer (the wait for the statement to stop).
ANSWER_GRACE = 3.0


async def test_upload_stages_from_the_callers_file_and_same_names_stay_apart(operator_client, tpa, unique_code):
    from tpa.services import create_tpa

    other = await create_tpa(f"{unique_code}B", "Other TPA", "")
    answers = await asyncio.gather(
        upload(operator_client, tpa, "same.csv", b"id,who\n1,first\n"),
        upload(operator_client, other, "same.csv", b"id,who\n1,second\n2,second\n"),
    )

    assert [a.status_code for a in answers] == [201, 201], [a.content for a in answers]
    await processing.process_all_pending()
    assert [r["RAW_DATA"]["who"] for r in await records(tpa, "same.csv")] == ["first"]
    assert [r["RAW_DATA"]["who"] for r in await records(other, "same.csv")] == ["second", "second"]


async def test_stage_put_leaves_the_callers_file_in_place(tmp_path, unique_code):
    local = tmp_path / "upload-123.part"
    local.write_bytes(b"a,b\n1,2\n")

    await warehouse().stage_put(local, "SRC", f"{unique_code}/claims.csv")

    assert local.read_bytes() == b"a,b\n1,2\n"
    assert await staged("SRC", unique_code) == [f"{unique_code}/claims.csv"]
    await warehouse().stage_remove("SRC", f"{unique_code}/claims.csv")


async def test_first_file_on_a_fresh_deployment_loads(operator_client, tpa, settings, tmp_path):
    settings.UPLOAD_TEMP_DIR = tmp_path / "never-created"
    response = await upload(operator_client, tpa, "claims.xlsx", two_sheet_workbook())
    assert response.status_code == 201
    settings.UPLOAD_TEMP_DIR = tmp_path / "still-not-created"

    await processing.process_all_pending()

    row = await entry(tpa, "claims.xlsx")
    assert row["STATUS"] == "SUCCESS", row["ERROR_MESSAGE"]


async def test_inserts_of_different_widths_on_one_session(tpa):
    wh = warehouse()
    await wh.execute("CREATE TABLE IF NOT EXISTS OPS.WIRE_NARROW (A VARCHAR, B VARIANT)")
    await wh.execute("CREATE TABLE IF NOT EXISTS OPS.WIRE_WIDE (A VARCHAR, B VARIANT, C VARCHAR, D INTEGER)")

    for _ in range(2):
        async with wh.transaction() as tx:
            await tx.insert_rows("OPS.WIRE_WIDE", ["A", "B", "C", "D"], [(tpa, {"k": 1}, "c", 4)], json_columns=["B"])
            await tx.insert_rows("OPS.WIRE_NARROW", ["A", "B"], [(tpa, [1, 2]), (tpa, None)], json_columns=["B"])

    assert await wh.fetch_value("SELECT COUNT(*) FROM OPS.WIRE_WIDE WHERE A = ?", (tpa,)) == 2
    assert await wh.fetch_value("SELECT COUNT(*) FROM OPS.WIRE_NARROW WHERE A = ?", (tpa,)) == 4
    assert await wh.fetch_value("SELECT B:k::INTEGER FROM OPS.WIRE_WIDE WHERE A = ? LIMIT 1", (tpa,)) == 1


async def test_no_ddl_inside_a_transaction(snowflake_warehouse, operator_client, tpa):
    """Snowflake commits the open transaction before any DDL, so a DDL inside one half-writes a failed load."""
    seen = len(snowflake_warehouse.statements())
    response = await upload(operator_client, tpa, "claims.xlsx", two_sheet_workbook())
    assert response.status_code == 201
    await processing.process_all_pending()
    assert (await entry(tpa, "claims.xlsx"))["STATUS"] == "SUCCESS"

    open_transactions: set[int] = set()
    inside = []
    for statement in snowflake_warehouse.statements()[seen:]:
        keyword = statement["sql"].lstrip().split(None, 1)[0].upper()
        if keyword == "BEGIN":
            open_transactions.add(statement["session"])
        elif keyword in ("COMMIT", "ROLLBACK"):
            open_transactions.discard(statement["session"])
        elif keyword in DDL and statement["session"] in open_transactions:
            inside.append(statement["sql"])
    assert inside == []


async def test_long_calls_keep_their_own_limit(settings):
    settings.WAREHOUSE_STATEMENT_TIMEOUT = 1.0
    settings.WAREHOUSE_LONG_STATEMENT_TIMEOUT = 30.0
    close_warehouse()

    assert await warehouse().fetch_value("SELECT SYSTEM$WAIT(2)", timeout=30) == "waited"
    with pytest.raises(WarehouseTimeout):
        await warehouse().fetch_value("SELECT SYSTEM$WAIT(30)")


async def test_a_timed_out_statement_is_cancelled_on_the_server_without_blocking_the_loop():
    wh = warehouse()
    await wh.fetch_value("SELECT 1")
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    started = time.monotonic()
    with pytest.raises(WarehouseTimeout):
        await wh.fetch_value("SELECT SYSTEM$WAIT(30)", timeout=1)
    elapsed = time.monotonic() - started
    ticking.cancel()

    assert elapsed < 1 + ANSWER_GRACE
    assert max(gaps) < 1.0
    assert await wh.fetch_value("SELECT 2") == 2


async def test_remove_takes_exactly_one_file(tmp_path, unique_code):
    wh = warehouse()
    for name in ("x.csv", "x.csv.bak"):
        (tmp_path / name).write_bytes(b"a\n1\n")
        await wh.stage_put(tmp_path / name, "ERROR", f"{unique_code}/{name}")

    assert await wh.stage_remove("ERROR", f"{unique_code}/x.csv") is True

    assert await staged("ERROR", unique_code) == [f"{unique_code}/x.csv.bak"]
    await wh.stage_remove("ERROR", f"{unique_code}/x.csv.bak")


async def test_an_expired_session_logs_in_again(snowflake_warehouse):
    wh = warehouse()
    assert await wh.fetch_value("SELECT 1") == 1

    snowflake_warehouse.expire_sessions()

    assert await wh.fetch_value("SELECT 3") == 3


async def test_an_outage_answers_in_bounded_time_and_recovers(snowflake_warehouse, settings, admin_client):
    settings.WAREHOUSE_NETWORK_TIMEOUT = 2
    close_warehouse()
    wh = warehouse()
    assert await wh.fetch_value("SELECT 1") == 1

    snowflake_warehouse.freeze()
    try:
        started = time.monotonic()
        with pytest.raises((WarehouseUnavailable, WarehouseTimeout)):
            await wh.fetch_value("SELECT 1", timeout=3)
        assert time.monotonic() - started < 3 + ANSWER_GRACE
        response = await admin_client.get("/api/health/db")
        assert response.status_code == 503
    finally:
        snowflake_warehouse.thaw()

    assert await wh.fetch_value("SELECT 4") == 4
    assert (await admin_client.get("/api/health/db")).status_code == 200


async def test_paged_listings_inline_their_row_counts(operator_client, viewer_client, admin_client, tpa):
    for name in ("a.csv", "b.csv", "c.csv"):
        await upload(operator_client, tpa, name, f"id\n{name}\n".encode())

    queue = await viewer_client.get(f"/api/bronze/queue?tpa={tpa}&limit=2&offset=1")
    logs = await admin_client.get("/api/logs/application?limit=5&offset=1")

    assert queue.status_code == 200 and [r["FILE_NAME"] for r in queue.json()] == [f"{tpa}/b.csv", f"{tpa}/a.csv"]
    assert logs.status_code == 200 and len(logs.json()) <= 5


async def test_the_transform_watermark_column_is_ordered(snowflake_warehouse):
    """New Snowflake accounts make IDENTITY columns NOORDER; the incremental watermark needs increasing ids."""
    created = [
        s["sql"] for s in snowflake_warehouse.statements() if "TABLE IF NOT EXISTS BRONZE.RAW_DATA_TABLE" in s["sql"]
    ]

    assert created and all("RECORD_ID INTEGER IDENTITY(1, 1) ORDER," in sql for sql in created)


async def test_a_named_connection_uses_the_database_of_its_session(
    snowflake_warehouse, settings, tmp_path, unique_code
):
    connections = tmp_path / "connections.toml"
    connections.write_text(
        f'[wire]\naccount = "fakesnow"\nuser = "fake"\npassword = "snow"\nhost = "127.0.0.1"\n'
        f'port = {snowflake_warehouse.port}\nprotocol = "http"\ndatabase = "MEDALLION"\nschema = "PUBLIC"\n'
    )
    connections.chmod(0o600)
    settings.WAREHOUSE_URL = f"snowflake:///?connection_name=wire&connections_file_path={connections}"
    settings.WAREHOUSE_DATABASE = "NOT_THE_SESSIONS"
    close_warehouse()
    (tmp_path / "claims.csv").write_bytes(b"a\n1\n")

    await warehouse().stage_put(tmp_path / "claims.csv", "SRC", f"{unique_code}/claims.csv")

    assert await staged("SRC", unique_code) == [f"{unique_code}/claims.csv"]
    assert await warehouse().stage_remove("SRC", f"{unique_code}/claims.csv") is True


async def test_oauth_token_file_is_read_again_at_each_login(snowflake_warehouse, settings, tmp_path):
    token = tmp_path / "token"
    token.write_text("first-token")
    settings.WAREHOUSE_URL = snowflake_warehouse.url(token_file_path=str(token), client_session_keep_alive="true")
    close_warehouse()
    assert await warehouse().fetch_value("SELECT 5") == 5

    token.write_text("refreshed-token")
    snowflake_warehouse.expire_sessions()
    assert await warehouse().fetch_value("SELECT 6") == 6

    oauth = [login for login in snowflake_warehouse.logins() if login["authenticator"] == "OAUTH"]
    assert [login["token"] for login in oauth[-2:]] == ["first-token", "refreshed-token"]
