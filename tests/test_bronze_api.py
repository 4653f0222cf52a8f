import pytest

from bronze import cleanup, processing
from medallion import locks
from medallion.warehouse import warehouse
from tests.test_bronze_support import entry, records, staged, upload, upload_and_process

pytestmark = pytest.mark.django_db(transaction=True)

CSV = b"claim_id,member_id,npi\nC1,M1,0012345678\nC2,M2,0099999999\n"


async def test_queue_lists_o2_rows_newest_first_with_filters(operator_client, viewer_client, tpa):
    await upload_and_process(operator_client, tpa, "a.csv", CSV)
    await upload(operator_client, tpa, "b.csv", b"x\n1\n")

    rows = (await viewer_client.get(f"/api/bronze/queue?tpa={tpa.lower()}")).json()
    pending = (await viewer_client.get(f"/api/bronze/queue?tpa={tpa}&status=pending,FAILED")).json()
    limited = (await viewer_client.get(f"/api/bronze/queue?tpa={tpa}&limit=1&offset=1")).json()

    assert [r["FILE_NAME"] for r in rows] == [f"{tpa}/b.csv", f"{tpa}/a.csv"]
    assert {"QUEUE_ID", "FILE_NAME", "TPA", "FILE_TYPE", "FILE_SIZE_BYTES", "STATUS", "DISCOVERED_TIMESTAMP",
            "PROCESSED_TIMESTAMP", "ERROR_MESSAGE", "PROCESS_RESULT", "RETRY_COUNT"} <= set(rows[0])  # fmt: skip
    assert rows[1]["DISCOVERED_TIMESTAMP"].endswith("Z")
    assert [r["FILE_NAME"] for r in pending] == [f"{tpa}/b.csv"]
    assert [r["FILE_NAME"] for r in limited] == [f"{tpa}/a.csv"]
    assert (await viewer_client.get("/api/bronze/queue?tpa=NOPE_X")).json() == []


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "offset=-1", "status=DONE", "limit=abc"])
async def test_queue_rejects_bad_parameters(viewer_client, query):
    response = await viewer_client.get(f"/api/bronze/queue?{query}")

    assert response.status_code == 422


async def test_status_and_stats(operator_client, viewer_client, tpa):
    await upload_and_process(operator_client, tpa, "a.csv", CSV)
    await upload(operator_client, tpa, "b.csv", b"x\n1\n")

    status = (await viewer_client.get(f"/api/bronze/status?tpa={tpa}")).json()
    stats = (await viewer_client.get(f"/api/bronze/stats?tpa={tpa}")).json()

    assert [(r["TPA"], r["STATUS"], r["FILE_COUNT"]) for r in status] == [(tpa, "PENDING", 1), (tpa, "SUCCESS", 1)]
    assert status[0]["TOTAL_BYTES"] == 4
    assert stats["total_rows"] == 2
    assert (stats["total_files"], stats["total_tpas"]) == (1, 1)
    assert stats["earliest_load"] is not None
    assert (await viewer_client.get("/api/bronze/stats?tpa=NOPE_X")).json()["total_rows"] == 0


async def test_raw_data_rows_and_file_filter(operator_client, viewer_client, tpa):
    await upload_and_process(operator_client, tpa, "Claims-March.csv", CSV)

    rows = (await viewer_client.get(f"/api/bronze/raw-data?tpa={tpa}&file_name={tpa}/claims-MARCH")).json()
    none = (await viewer_client.get(f"/api/bronze/raw-data?tpa={tpa}&file_name=april")).json()
    searched = (await viewer_client.get(f"/api/bronze/raw-data?tpa={tpa}&search=0099999999")).json()

    assert [r["FILE_ROW_NUMBER"] for r in rows] == [1, 2]
    assert rows[0]["RAW_DATA"] == {"claim_id": "C1", "member_id": "M1", "npi": "0012345678"}
    assert rows[0]["FILE_NAME"] == "Claims-March.csv"
    assert (rows[0]["TPA"], rows[0]["FILE_TYPE"]) == (tpa, "CSV")
    assert none == []
    assert [r["RAW_DATA"]["claim_id"] for r in searched] == ["C2"]


async def test_source_fields(operator_client, viewer_client, tpa):
    await upload_and_process(operator_client, tpa, "a.csv", b"Zeta,alpha,Beta\n1,2,3\n")

    response = await viewer_client.get(f"/api/bronze/source-fields?tpa={tpa.lower()}")

    assert response.json() == ["Beta", "Zeta", "alpha"]
    assert (await viewer_client.get("/api/bronze/source-fields")).status_code == 422
    assert (await viewer_client.get("/api/bronze/source-fields?tpa=NOPE_X")).json()["code"] == "tpa_not_found"
    assert (await viewer_client.get("/api/bronze/source-fields?tpa=x';--")).status_code == 404


async def test_stage_listing_and_unknown_stage(operator_client, viewer_client, tpa):
    await upload(operator_client, tpa, "a.csv", CSV)

    files = (await viewer_client.get("/api/bronze/stages/src")).json()
    mine = [f for f in files if f["name"] == f"{tpa}/a.csv"]

    assert mine and mine[0]["size"] == len(CSV) and len(mine[0]["md5"]) == 32
    assert mine[0]["last_modified"].endswith("Z")
    for bad in ("NOPE", "..", "SRC%2F.."):
        response = await viewer_client.get(f"/api/bronze/stages/{bad}")
        assert response.status_code == 404
        assert response.json()["code"] in {"stage_not_found", "not_found"}


async def test_delete_src_file_updates_the_queue(operator_client, tpa):
    await upload_and_process(operator_client, tpa, "done.csv", b"z\n1\n")
    await upload(operator_client, tpa, "pending.csv", CSV)

    pending = await operator_client.delete(f"/api/bronze/stages/SRC/files?file_path={tpa}/pending.csv")
    missing = await operator_client.delete(f"/api/bronze/stages/SRC/files?file_path={tpa}/pending.csv")
    completed = await operator_client.delete(f"/api/bronze/stages/completed/files?file_path={tpa}/done.csv")

    assert pending.status_code == 200
    assert pending.json()["queue_action"] == "deleted"
    assert pending.json()["message"] == "File deleted successfully from SRC stage"
    assert await entry(tpa, "pending.csv") is None
    assert missing.status_code == 404 and missing.json()["code"] == "file_not_found"
    assert completed.json()["queue_action"] == "unchanged"
    assert (await entry(tpa, "done.csv"))["STATUS"] == "SUCCESS"
    assert await staged("COMPLETED", tpa) == []


async def test_delete_src_file_of_a_loaded_entry_marks_it_deleted(operator_client, tpa, tmp_path):
    await upload_and_process(operator_client, tpa, "done.csv", CSV)
    copy = tmp_path / "done.csv"
    copy.write_bytes(CSV)
    await warehouse().stage_put(copy, "SRC", f"{tpa}/done.csv")

    response = await operator_client.delete(f"/api/bronze/stages/SRC/files?file_path={tpa}/done.csv")

    assert response.json()["queue_action"] == "marked_deleted"
    row = await entry(tpa, "done.csv")
    assert (row["STATUS"], row["ERROR_MESSAGE"]) == ("DELETED", "File manually deleted from stage")


async def test_delete_refuses_processing_and_bad_paths(operator_client, viewer_client, tpa):
    await upload(operator_client, tpa, "busy.csv", CSV)
    await warehouse().execute(
        "UPDATE BRONZE.FILE_PROCESSING_QUEUE SET STATUS = 'PROCESSING' WHERE FILE_NAME = ?", (f"{tpa}/busy.csv",)
    )

    busy = await operator_client.delete(f"/api/bronze/stages/SRC/files?file_path={tpa}/busy.csv")
    no_path = await operator_client.delete("/api/bronze/stages/SRC/files")
    traversal = await operator_client.delete(f"/api/bronze/stages/SRC/files?file_path={tpa}/../../etc/passwd")
    other_tpa = await operator_client.delete("/api/bronze/stages/SRC/files?file_path=../x.csv")
    viewer = await viewer_client.delete(f"/api/bronze/stages/SRC/files?file_path={tpa}/busy.csv")

    assert busy.status_code == 409 and busy.json()["code"] == "file_in_processing"
    assert no_path.status_code == 422
    assert traversal.status_code == 422 and traversal.json()["code"] == "invalid_file_name"
    assert other_tpa.status_code == 422
    assert viewer.status_code == 403
    assert await staged("SRC", tpa) == [f"{tpa}/busy.csv"]


async def test_bulk_delete(operator_client, tpa):
    for name in ("a.csv", "b.csv"):
        await upload(operator_client, tpa, name, name.encode() + b"\n1\n")
    paths = [f"{tpa}/a.csv", f"{tpa}/b.csv", f"{tpa}/missing.csv"]

    response = await operator_client.post(
        "/api/bronze/stages/SRC/files/bulk-delete", paths, content_type="application/json"
    )
    wrapped = await operator_client.post(
        "/api/bronze/stages/SRC/files/bulk-delete", {"file_paths": [paths[2]]}, content_type="application/json"
    )

    body = response.json()
    assert body["message"] == "Bulk delete completed: 2 succeeded, 1 failed"
    assert body["results"]["success"] == paths[:2]
    assert body["results"]["failed"][0]["file"] == paths[2]
    assert body["results"]["total"] == 3
    assert wrapped.json()["results"]["failed"][0]["file"] == paths[2]
    assert await staged("SRC", tpa) == []


@pytest.mark.parametrize(("body", "status"), [({"x": 1}, 400), ([1, 2], 400), ([], 422), (["a/b.csv"] * 501, 422)])
async def test_bulk_delete_rejects_bad_bodies(operator_client, body, status):
    response = await operator_client.post(
        "/api/bronze/stages/SRC/files/bulk-delete", body, content_type="application/json"
    )

    assert response.status_code == status


async def test_bulk_delete_unknown_stage(operator_client):
    response = await operator_client.post(
        "/api/bronze/stages/NOPE/files/bulk-delete", ["a/b"], content_type="application/json"
    )

    assert response.json()["code"] == "stage_not_found"


async def test_reprocess_failed_moves_the_file_back(operator_client, tpa):
    failed = await upload_and_process(operator_client, tpa, "bad.csv", b"a,b\n1\n")
    loaded = await upload_and_process(operator_client, tpa, "good.csv", b"a\n1\n")

    response = await operator_client.post(f"/api/bronze/reprocess/{failed['QUEUE_ID']}")
    again = await operator_client.post(f"/api/bronze/reprocess/{failed['QUEUE_ID']}")
    success = await operator_client.post(f"/api/bronze/reprocess/{loaded['QUEUE_ID']}")

    assert response.status_code == 200
    assert response.json() == {
        "message": f"File {tpa}/bad.csv reset to PENDING status for reprocessing",
        "queue_id": failed["QUEUE_ID"],
        "file_name": f"{tpa}/bad.csv",
        "previous_status": "FAILED",
    }
    row = await entry(tpa, "bad.csv")
    assert (row["STATUS"], row["ERROR_MESSAGE"], row["PROCESSED_TIMESTAMP"]) == ("PENDING", None, None)
    assert await staged("SRC", tpa) == [f"{tpa}/bad.csv"]
    assert await staged("ERROR", tpa) == []
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"
    assert success.status_code == 409
    assert (await operator_client.post("/api/bronze/reprocess/999999999")).json()["code"] == "queue_item_not_found"
    assert (await operator_client.post("/api/bronze/reprocess/abc")).status_code == 404


async def test_delete_file_data(operator_client, admin_client, tpa):
    await upload_and_process(operator_client, tpa, "claims.csv", CSV)

    forbidden = await operator_client.delete(f"/api/bronze/data/file/{tpa}%2Fclaims.csv?tpa={tpa}")
    response = await admin_client.delete(f"/api/bronze/data/file/{tpa}%2Fclaims.csv?tpa={tpa.lower()}")
    missing = await admin_client.delete(f"/api/bronze/data/file/other.csv?tpa={tpa}")
    no_tpa = await admin_client.delete("/api/bronze/data/file/claims.csv")

    assert forbidden.status_code == 403
    assert response.status_code == 200
    assert response.json() == {
        "message": "Deleted 2 row(s) for file: claims.csv",
        "file_name": "claims.csv",
        "tpa": tpa,
        "rows_deleted": 2,
    }
    assert await records(tpa, "claims.csv") == []
    row = await entry(tpa, "claims.csv")
    assert (row["STATUS"], row["PROCESS_RESULT"]) == ("DELETED", "Data deleted: 2 rows removed")
    assert missing.status_code == 404 and missing.json()["code"] == "file_not_found"
    assert no_tpa.status_code == 422
    reload = await upload_and_process(operator_client, tpa, "claims.csv", CSV)
    assert reload["STATUS"] == "SUCCESS"


async def test_delete_file_data_matches_the_exact_name(operator_client, admin_client, tpa):
    await upload_and_process(operator_client, tpa, "claims.csv", CSV)
    await upload_and_process(operator_client, tpa, "claims.csv.bak.csv", b"q\n1\n")

    await admin_client.delete(f"/api/bronze/data/file/claims.csv?tpa={tpa}")

    assert len(await records(tpa, "claims.csv.bak.csv")) == 1


async def test_tpa_delete_purges_rows_queue_and_files(operator_client, admin_client, tpa):
    await upload_and_process(operator_client, tpa, "claims.csv", CSV)
    await upload(operator_client, tpa, "waiting.csv", b"w\n1\n")

    response = await admin_client.delete(f"/api/tpas/{tpa}")

    assert response.status_code == 200
    assert await records(tpa, "claims.csv") == []
    assert await entry(tpa, "waiting.csv") is None
    assert await staged("SRC", tpa) == [] and await staged("COMPLETED", tpa) == []


async def test_clear_all_data(operator_client, admin_client, tpa, monkeypatch):
    from asgiref.sync import sync_to_async

    from medallion.models import ApiToken

    await upload_and_process(operator_client, tpa, "claims.csv", CSV)
    dropped = []

    async def silver_hook():
        dropped.append(True)
        return [f"{tpa}_MEDICAL_CLAIMS"]

    monkeypatch.setattr(cleanup, "clear_all_hooks", [silver_hook])
    _, token = await sync_to_async(ApiToken.issue)(admin_client.user)
    bearer = {"headers": {"Authorization": f"Bearer {token}"}}
    refused = await admin_client.post("/api/bronze/clear-all-data", {}, content_type="application/json", **bearer)
    wrong = await admin_client.post("/api/bronze/clear-all-data", {"confirm": "yes"}, content_type="application/json")
    operator = await operator_client.post("/api/bronze/clear-all-data")
    assert await records(tpa, "claims.csv") != []

    response = await admin_client.post(
        "/api/bronze/clear-all-data", {"confirm": "DELETE"}, content_type="application/json", **bearer
    )

    assert refused.status_code == 422 and refused.json()["code"] == "confirmation_required"
    assert wrong.status_code == 422
    assert operator.status_code == 403
    assert response.status_code == 200
    body = response.json()
    assert body["message"].startswith("All data cleared successfully")
    assert body["results"]["stages_cleared"] == ["SRC", "PROCESSING", "COMPLETED", "ERROR", "ARCHIVE"]
    assert body["results"]["silver_tables_dropped"] == [f"{tpa}_MEDICAL_CLAIMS"]
    assert body["results"]["errors"] == []
    assert await warehouse().fetch_value("SELECT COUNT(*) AS N FROM BRONZE.RAW_DATA_TABLE") == 0
    assert await warehouse().fetch_value("SELECT COUNT(*) AS N FROM BRONZE.FILE_PROCESSING_QUEUE") == 0
    assert await staged("COMPLETED", tpa) == []


async def test_clear_all_data_refuses_a_concurrent_run(admin_client):
    async with locks.holding(cleanup.CLEAR_ALL_LOCK, "held by the test"):
        response = await admin_client.post("/api/bronze/clear-all-data", content_type="application/json")

    assert response.status_code == 409
    assert response.json()["code"] == "operation_in_progress"


async def test_read_endpoints_need_a_login(anonymous_client):
    for path in ("queue", "status", "stats", "raw-data", "stages/SRC", "source-fields?tpa=X"):
        assert (await anonymous_client.get(f"/api/bronze/{path}")).status_code == 401


async def test_write_endpoints_need_operator(viewer_client):
    for path in ("discover", "reset-stuck", "reprocess/1", "process"):
        response = await viewer_client.post(f"/api/bronze/{path}")
        assert response.status_code == 403, path
    assert (await viewer_client.get("/api/bronze/process")).status_code == 405


async def test_pages_render(operator_client, viewer_client, tpa):
    await upload_and_process(operator_client, tpa, "claims.csv", CSV)
    await processing.process_all_pending()

    status = (await viewer_client.get(f"/bronze/status?tpa={tpa}")).content.decode()
    stages = (await viewer_client.get("/bronze/stages?stage=COMPLETED")).content.decode()
    data = (await viewer_client.get(f"/bronze/data?tpa={tpa}&q=0099999999")).content.decode()
    fields = (await viewer_client.get(f"/bronze/fields?tpa={tpa}")).content.decode()

    assert f"{tpa}/claims.csv" in status and "Success rate" in status
    assert "claims.csv" in stages and "Delete selected" not in stages
    assert "0099999999" in data and "0012345678" not in data
    assert "member_id" in fields and "M1" in fields
    operator_stages = (await operator_client.get("/bronze/stages?stage=COMPLETED")).content.decode()
    assert "Delete selected" in operator_stages
