import gzip
import io
import json
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command

from bronze.layouts import save_layout
from demo import sample_formats, samples
from medallion.warehouse import warehouse
from silver.tables import create_table
from silver.transform import transform
from tests.test_bronze_support import entry, records, upload_and_process

pytestmark = pytest.mark.django_db(transaction=True)

CSV = b"claim_id,npi\nC1,0012345678\nC2,0099999999\n"


def parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"claim_id": ["C1", "C2"], "npi": ["0012345678", None], "paid": [12.5, 3.0]}), buffer)
    return buffer.getvalue()


async def test_parquet_is_read_by_the_warehouse_one_record_per_row(operator_client, tpa):
    row = await upload_and_process(operator_client, tpa, "claims.parquet", parquet_bytes())

    assert row["STATUS"] == "SUCCESS", row["ERROR_MESSAGE"]
    loaded = await records(tpa, "claims.parquet")
    assert [r["RAW_DATA"] for r in loaded] == [
        {"claim_id": "C1", "npi": "0012345678", "paid": 12.5},
        {"claim_id": "C2", "npi": None, "paid": 3.0},
    ]
    assert [r["FILE_ROW_NUMBER"] for r in loaded] == [1, 2] and {r["FILE_TYPE"] for r in loaded} == {"PARQUET"}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("claims.json", b'[{"claim_id": "C1", "lines": [{"n": 1}]}, {"claim_id": "C2"}]'),
        ("claims.ndjson", b'{"claim_id": "C1", "lines": [{"n": 1}]}\n\n{"claim_id": "C2"}\n'),
    ],
)
async def test_json_and_ndjson_records_keep_their_nesting(operator_client, tpa, name, content):
    row = await upload_and_process(operator_client, tpa, name, content)

    assert row["STATUS"] == "SUCCESS", row["ERROR_MESSAGE"]
    assert [r["RAW_DATA"] for r in await records(tpa, name)] == [
        {"claim_id": "C1", "lines": [{"n": 1}]},
        {"claim_id": "C2"},
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("bad.json", b'[{"claim_id": "C1"},\n {"claim_id": ]', "Line 2 is not valid JSON"),
        ("scalars.json", b'[{"claim_id": "C1"}, 7]', "Record 2 is not a JSON object"),
        ("bad.ndjson", b'{"claim_id": "C1"}\n{"claim_id"\n', "Line 2 is not valid JSON"),
        ("bad.parquet", b"PAR1 not really parquet", "The file is not valid Parquet"),
    ],
)
async def test_broken_documents_fail_with_a_reason(operator_client, tpa, name, content, reason):
    row = await upload_and_process(operator_client, tpa, name, content)

    assert row["STATUS"] == "FAILED"
    assert row["ERROR_MESSAGE"].startswith(reason), row["ERROR_MESSAGE"]
    assert await records(tpa, name) == []


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


async def test_zip_members_are_queued_and_loaded_as_files_of_their_own(operator_client, viewer_client, tpa):
    content = zip_bytes({"march/medical.csv": CSV, "dental.json": b'[{"claim_id": "D1"}]', "__MACOSX/._x": b"x"})

    archive = await upload_and_process(operator_client, tpa, "batch.zip", content)

    assert archive["STATUS"] == "SUCCESS" and archive["FILE_TYPE"] == "ARCHIVE"
    assert archive["PROCESS_RESULT"] == "UNPACKED: 2 files (batch__medical.csv, batch__dental.json)"
    for name in ("batch__medical.csv", "batch__dental.json"):
        member = await entry(tpa, name)
        assert member["STATUS"] == "SUCCESS", member["ERROR_MESSAGE"]
    assert [r["RAW_DATA"]["claim_id"] for r in await records(tpa, "batch__medical.csv")] == ["C1", "C2"]
    report = (await viewer_client.get(f"/api/bronze/files/{archive['QUEUE_ID']}/reconciliation")).json()
    assert report["balanced"] is True and report["verdict"] == "Archive: each of its files is reconciled on its own"


async def test_gz_holds_one_file(operator_client, tpa):
    archive = await upload_and_process(operator_client, tpa, "claims.csv.gz", gzip.compress(CSV))

    assert archive["PROCESS_RESULT"] == "UNPACKED: 1 files (claims.csv)"
    assert len(await records(tpa, "claims.csv")) == 2


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("bomb.zip", zip_bytes({"zeros.csv": b"a\n" + b"0" * (30 << 20)}), "possible zip bomb"),
        ("bomb.csv.gz", gzip.compress(b"a\n" + b"0" * (30 << 20)), "possible zip bomb"),
        ("nested.zip", zip_bytes({"inner.zip": zip_bytes({"a.csv": CSV})}), "is an archive inside the archive"),
        ("odd.zip", zip_bytes({"notes.pdf": b"%PDF"}), "The archive holds files of an unsupported type"),
        ("broken.zip", b"PK\x03\x04 not a zip", "The .zip file is damaged"),
    ],
)
async def test_dangerous_or_broken_archives_fail_and_queue_nothing(operator_client, tpa, name, content, reason):
    archive = await upload_and_process(operator_client, tpa, name, content)

    assert archive["STATUS"] == "FAILED"
    assert reason in archive["ERROR_MESSAGE"], archive["ERROR_MESSAGE"]
    queued = await warehouse().fetch_value("SELECT COUNT(*) FROM BRONZE.FILE_PROCESSING_QUEUE WHERE TPA = ?", (tpa,))
    assert queued == 1


async def test_fixed_width_text_is_cut_by_the_tpa_layout_and_its_trailer_checked(
    operator_client, viewer_client, tpa, tmp_path
):
    layout = samples.DEMO_LAYOUTS[1]
    paid = layout.headers["MEDICAL"]["PAID_AMOUNT"]
    stored = sample_formats.write_fixed_width(tmp_path / "claims.dat", layout, "MEDICAL", 6, paid_header=paid)
    await save_layout(tpa, stored, user="tests")
    expected = list(samples.generate_rows(layout, "MEDICAL", 6))

    row = await upload_and_process(operator_client, tpa, "claims.dat", (tmp_path / "claims.dat").read_bytes())

    assert row["STATUS"] == "SUCCESS", row["ERROR_MESSAGE"]
    loaded = await records(tpa, "claims.dat")
    assert [{k: v for k, v in r["RAW_DATA"].items() if k != "RECORD_TYPE"} for r in loaded] == [
        {header: value or None for header, value in record.items()} for record in expected
    ]
    assert {r["FILE_TYPE"] for r in loaded} == {"FIXED_WIDTH"}
    report = (await viewer_client.get(f"/api/bronze/files/{row['QUEUE_ID']}/reconciliation")).json()
    assert (report["rows_in_file"], report["control_records"], report["control_row_count"]) == (6, 1, 6)


async def test_layouts_api_validates_and_round_trips(operator_client, viewer_client, tpa):
    body = {"tpa": tpa, "layout_name": "fw", "file_pattern": "*.dat", "format": "FIXED_WIDTH",
            "fields": [{"name": "ID", "start": 1, "length": 5}]}  # fmt: skip
    assert (await operator_client.post("/api/bronze/layouts", body, content_type="application/json")).status_code == 201
    listed = (await viewer_client.get(f"/api/bronze/layouts?tpa={tpa}")).json()
    assert listed[0]["fields"] == [{"name": "ID", "start": 1, "length": 5}] and listed[0]["control"] is None
    bad = body | {"fields": [{"name": "ID", "start": 0, "length": 5}]}
    response = await operator_client.post("/api/bronze/layouts", bad, content_type="application/json")
    assert response.status_code == 422 and "start >= 1" in response.json()["detail"]
    assert (await viewer_client.post("/api/bronze/layouts", body, content_type="application/json")).status_code == 403
    assert (await operator_client.delete(f"/api/bronze/layouts/fw?tpa={tpa}")).status_code == 200
    assert (await operator_client.delete(f"/api/bronze/layouts/fw?tpa={tpa}")).status_code == 404


@pytest.mark.parametrize("institutional", [False, True])
async def test_837_claims_become_one_record_each_and_map_onto_medical_claims(
    operator_client, tpa, tmp_path, institutional
):
    layout = samples.DEMO_LAYOUTS[0]
    path = sample_formats.write_837(tmp_path / "claims.837", layout, 3, institutional=institutional)
    expected = list(samples.typed_records(layout, "MEDICAL", 3))

    row = await upload_and_process(operator_client, tpa, "claims.837", path.read_bytes())

    assert row["STATUS"] == "SUCCESS", row["ERROR_MESSAGE"]
    loaded = [r["RAW_DATA"] for r in await records(tpa, "claims.837")]
    assert [r["CLAIM_ID"] for r in loaded] == [claim["CLAIM_ID"] for claim in expected]
    first = loaded[0]
    assert first["CLAIM_TYPE"] == ("INSTITUTIONAL" if institutional else "PROFESSIONAL")
    assert first["MEMBER_ID"] == expected[0]["MEMBER_ID"] and first["member"]["member_id"] == expected[0]["MEMBER_ID"]
    assert first["billing_provider"]["npi"] == expected[0]["PROVIDER_ID"]
    assert first["SERVICE_DATE"] == expected[0]["SERVICE_DATE"].isoformat()
    assert first["service_lines"][0]["charge"] == f"{expected[0]['BILLED_AMOUNT'] / 100:.2f}"

    await create_table(tpa, "MEDICAL_CLAIMS", user="tests")
    mapped = await operator_client.post(
        "/api/silver/mappings/builtin/x12-837", {"tpa": tpa}, content_type="application/json"
    )
    assert mapped.status_code == 200 and "PAID_AMOUNT" not in mapped.json()["skipped_fields"]
    outcome = await transform(tpa, "MEDICAL_CLAIMS", user="tests")
    assert (outcome.inserted, outcome.rejected) == (3, 0)


async def test_an_invalid_interchange_fails_with_the_parsers_reason(operator_client, tpa, tmp_path):
    path = sample_formats.write_837(tmp_path / "claims.837", samples.DEMO_LAYOUTS[0], 2)
    broken = path.read_text().replace("SE*", "SE*9", 1)

    row = await upload_and_process(operator_client, tpa, "broken.837", broken.encode())

    assert row["STATUS"] == "FAILED"
    assert row["ERROR_MESSAGE"].startswith("The X12 file is not a valid 837"), row["ERROR_MESSAGE"]
    assert "SE count" in row["ERROR_MESSAGE"]
    assert await records(tpa, "broken.837") == []
    junk = await upload_and_process(operator_client, tpa, "junk.x12", b"hello")
    assert junk["STATUS"] == "FAILED" and "does not begin with 'ISA'" in junk["ERROR_MESSAGE"]


@pytest.mark.parametrize("sample_format", ["parquet", "json", "ndjson", "fixed", "837p", "837i"])
async def test_generate_samples_writes_each_format_and_it_loads(operator_client, tpa, tmp_path, sample_format):
    await sync_to_async(call_command)(
        "generate_samples", out=tmp_path, rows=5, format=sample_format, stdout=io.StringIO()
    )
    folder = tmp_path / samples.DEMO_LAYOUTS[0].tpa_code
    sample = next(path for path in folder.glob("medical-5*") if not path.name.endswith(".layout.json"))
    if sample_format == "fixed":
        await save_layout(tpa, json.loads(sample.with_suffix(".layout.json").read_text()), user="tests")

    row = await upload_and_process(operator_client, tpa, sample.name, sample.read_bytes())

    assert row["STATUS"] == "SUCCESS", row["ERROR_MESSAGE"]
    assert row["ROWS_LOADED"] == 5
