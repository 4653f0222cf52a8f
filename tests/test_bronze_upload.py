import hashlib

import pytest

from tests.test_bronze_support import entry, multipart, staged, upload
from tpa.services import update_tpa

pytestmark = pytest.mark.django_db(transaction=True)

CSV = b"claim_id,npi\nC1,0012345678\n"


async def test_upload_lands_in_src_and_queues_pending(operator_client, tpa):
    response = await upload(operator_client, tpa.lower(), "claims.csv", CSV)

    assert response.status_code == 201
    assert response.json() == {
        "message": f"File uploaded successfully to SRC/{tpa}/",
        "file_name": "claims.csv",
        "tpa": tpa,
        "size": len(CSV),
    }
    assert await staged("SRC", tpa) == [f"{tpa}/claims.csv"]
    row = await entry(tpa, "claims.csv")
    assert row["STATUS"] == "PENDING"
    assert row["FILE_TYPE"] == "CSV"
    assert row["CONTENT_HASH"] == hashlib.sha256(CSV).hexdigest()
    assert row["FILE_SIZE_BYTES"] == len(CSV)
    assert row["UPLOADED_BY"] == operator_client.user.username


@pytest.mark.parametrize("name", ["Claims.CSV", "pipe.txt", "book.xlsx", "old.xls"])
async def test_upload_accepts_the_four_extensions(operator_client, tpa, name):
    response = await upload(operator_client, tpa, name, CSV)

    assert response.status_code == 201
    assert response.json()["file_name"] == name


async def test_client_directory_part_is_removed(operator_client, tpa):
    response = await upload(operator_client, tpa, "..\\..\\windows\\evil.csv", CSV)

    assert response.status_code == 201
    assert await staged("SRC", tpa) == [f"{tpa}/evil.csv"]


async def test_path_traversal_name_stores_nothing(operator_client, tpa):
    response = await upload(operator_client, tpa, "../etc/passwd", CSV)

    assert response.status_code == 422
    assert response.json()["code"] == "unsupported_file_type"
    assert await staged("SRC", tpa) == []


@pytest.mark.parametrize(
    "name",
    ["..", "bad\x01name.csv", "tab\tname.csv", ".hidden.csv", "x" * 252 + ".csv", " padded.csv", "rtl\u202ename.csv"],
)
async def test_invalid_file_names_are_refused(operator_client, tpa, name):
    response = await upload(operator_client, tpa, name, CSV)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_file_name"
    assert await staged("SRC", tpa) == []


@pytest.mark.parametrize("name", ["claims.pdf", "claims.csv.exe", "claims", "claims.docx"])
async def test_unsupported_extension(operator_client, tpa, name):
    response = await upload(operator_client, tpa, name, CSV)

    assert response.status_code == 422
    assert response.json()["code"] == "unsupported_file_type"


async def test_over_the_limit_is_413_and_nothing_stored(operator_client, tpa, settings, data_dir):
    settings.UPLOAD_MAX_BYTES = 1000
    response = await upload(operator_client, tpa, "big.csv", b"a,b\n" + b"1,2\n" * 400)

    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert await staged("SRC", tpa) == []
    assert await entry(tpa, "big.csv") is None
    assert not list((data_dir / "uploads").glob("upload-*"))


async def test_limit_holds_without_content_length_slack(operator_client, tpa, settings):
    settings.UPLOAD_MAX_BYTES = 100_000
    response = await upload(operator_client, tpa, "edge.csv", b"x" * 100_001)

    assert response.status_code == 413
    assert await staged("SRC", tpa) == []


async def test_exactly_the_limit_is_accepted(operator_client, tpa, settings):
    settings.UPLOAD_MAX_BYTES = 500
    response = await upload(operator_client, tpa, "edge.csv", b"x" * 500)

    assert response.status_code == 201


async def test_unknown_tpa_is_404(operator_client):
    response = await upload(operator_client, "NO_SUCH_TPA_X", "claims.csv", CSV)

    assert response.status_code == 404
    assert response.json()["code"] == "tpa_not_found"


@pytest.mark.parametrize("code", ["'; DROP TABLE BRONZE.RAW_DATA_TABLE; --", "../SRC", "A B"])
async def test_injection_in_tpa_is_404(operator_client, code):
    response = await upload(operator_client, code, "claims.csv", CSV)

    assert response.status_code == 404


async def test_inactive_tpa_is_409(operator_client, tpa):
    await update_tpa(tpa, {"active": False})
    response = await upload(operator_client, tpa, "claims.csv", CSV)

    assert response.status_code == 409
    assert response.json()["code"] == "tpa_inactive"
    assert await staged("SRC", tpa) == []


async def test_missing_parts_are_422(operator_client, tpa):
    body, content_type = multipart({"tpa": tpa}, [])
    no_file = await operator_client.post("/api/bronze/upload", body, content_type=content_type)
    body, content_type = multipart({}, [("file", "a.csv", CSV)])
    no_tpa = await operator_client.post("/api/bronze/upload", body, content_type=content_type)
    body, content_type = multipart({"tpa": tpa}, [("file", "a.csv", CSV), ("file", "b.csv", CSV)])
    two_files = await operator_client.post("/api/bronze/upload", body, content_type=content_type)

    assert [r.status_code for r in (no_file, no_tpa, two_files)] == [422, 422, 422]
    assert {r.json()["code"] for r in (no_file, no_tpa, two_files)} == {"validation_error"}
    assert await staged("SRC", tpa) == []


async def test_json_body_is_422(operator_client, tpa):
    response = await operator_client.post("/api/bronze/upload", {"tpa": tpa}, content_type="application/json")

    assert response.status_code == 422


async def test_reupload_of_pending_replaces_file_and_keeps_one_entry(operator_client, tpa):
    await upload(operator_client, tpa, "claims.csv", CSV)
    first = await entry(tpa, "claims.csv")
    response = await upload(operator_client, tpa, "claims.csv", CSV + b"C2,1\n")
    second = await entry(tpa, "claims.csv")

    assert response.status_code == 201
    assert second["QUEUE_ID"] == first["QUEUE_ID"]
    assert second["STATUS"] == "PENDING"
    assert second["FILE_SIZE_BYTES"] == len(CSV) + 5


@pytest.mark.parametrize(("status", "code"), [("PROCESSING", "file_in_processing"), ("SUCCESS", "file_already_loaded")])
async def test_reupload_refused_while_processing_or_loaded(operator_client, tpa, status, code):
    from medallion.warehouse import warehouse

    await upload(operator_client, tpa, "claims.csv", CSV)
    await warehouse().execute(
        "UPDATE BRONZE.FILE_PROCESSING_QUEUE SET STATUS = ? WHERE FILE_NAME = ?", (status, f"{tpa}/claims.csv")
    )
    response = await upload(operator_client, tpa, "claims.csv", b"other,content\n1,2\n")

    assert response.status_code == 409
    assert response.json()["code"] == code
    assert (await entry(tpa, "claims.csv"))["CONTENT_HASH"] == hashlib.sha256(CSV).hexdigest()


@pytest.mark.parametrize("status", ["FAILED", "DUPLICATE", "DELETED"])
async def test_reupload_requeues_finished_entries(operator_client, tpa, status):
    from medallion.warehouse import warehouse

    await upload(operator_client, tpa, "claims.csv", CSV)
    await warehouse().execute(
        "UPDATE BRONZE.FILE_PROCESSING_QUEUE SET STATUS = ?, ERROR_MESSAGE = 'x' WHERE FILE_NAME = ?",
        (status, f"{tpa}/claims.csv"),
    )
    response = await upload(operator_client, tpa, "claims.csv", CSV)

    row = await entry(tpa, "claims.csv")
    assert response.status_code == 201
    assert (row["STATUS"], row["ERROR_MESSAGE"]) == ("PENDING", None)


async def test_viewer_and_anonymous_cannot_upload(viewer_client, anonymous_client, tpa):
    assert (await upload(viewer_client, tpa, "claims.csv", CSV)).status_code == 403
    assert (await upload(anonymous_client, tpa, "claims.csv", CSV)).status_code == 401
    assert await staged("SRC", tpa) == []


async def test_session_upload_without_csrf_token_is_refused(operator_client, tpa):
    from django.test import AsyncClient

    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(operator_client.user)
    refused = await upload(client, tpa, "claims.csv", CSV)
    await client.get("/api/bronze/queue")
    token = client.cookies["XSRF-TOKEN"].value
    allowed = await upload(client, tpa, "claims.csv", CSV, headers={"X-XSRF-TOKEN": token})

    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert allowed.status_code == 201
    assert await staged("SRC", tpa) == [f"{tpa}/claims.csv"]


async def test_upload_page_lists_active_tpas(operator_client, viewer_client, tpa):
    response = await operator_client.get("/bronze/upload")

    assert response.status_code == 200
    assert tpa in response.content.decode()
    assert (await viewer_client.get("/bronze/upload")).status_code == 403
