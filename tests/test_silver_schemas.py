import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from medallion.errors import ApiError
from medallion.warehouse import warehouse
from silver.schema_types import default_sql, normalize_default, parse_data_type
from tests.test_silver_tables import INJECTIONS, canary, new_schema_table  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

SPEC_CSV = Path(__file__).resolve().parent.parent / "silver" / "seed" / "target_schemas.csv"


async def _columns(client, table):
    return (await client.get(f"/api/silver/schemas?table_name={table.lower()}")).json()


async def _add(client, **body):
    return await client.post("/api/silver/schemas", body, content_type="application/json")


async def test_seed_has_exactly_the_standard_columns(viewer_client):
    expected: dict[str, list[tuple]] = {}
    for row in csv.DictReader(SPEC_CSV.open()):
        default = None if row["DEFAULT_VALUE"] in ("", "N/A") else row["DEFAULT_VALUE"]
        spec = (row["COLUMN_NAME"], row["DATA_TYPE"], row["NULLABLE"] == "Y", default, row["DESCRIPTION"])
        expected.setdefault(row["TABLE_NAME"], []).append(spec)
    assert set(expected) == {"MEDICAL_CLAIMS", "DENTAL_CLAIMS", "PHARMACY_CLAIMS", "MEMBER_ELIGIBILITY"}
    for table, columns in expected.items():
        rows = await _columns(viewer_client, table)
        got = [(r["COLUMN_NAME"], r["DATA_TYPE"], r["NULLABLE"], r["DEFAULT_VALUE"], r["DESCRIPTION"]) for r in rows]
        assert got == columns
        assert [r["SCHEMA_ID"] for r in rows] == sorted(r["SCHEMA_ID"] for r in rows)
        assert all(r["ACTIVE"] is True and r["TABLE_NAME"] == table for r in rows)
    names = await viewer_client.get("/api/silver/schemas/medical_claims/columns")
    assert names.json() == [c[0] for c in expected["MEDICAL_CLAIMS"]]


async def test_list_is_ordered_by_table_then_id(viewer_client):
    rows = (await viewer_client.get("/api/silver/schemas?tpa=ignored")).json()
    assert rows == sorted(rows, key=lambda r: (r["TABLE_NAME"], r["SCHEMA_ID"]))
    assert set(rows[0]) == {
        "SCHEMA_ID", "TABLE_NAME", "COLUMN_NAME", "DATA_TYPE", "NULLABLE", "DEFAULT_VALUE", "DESCRIPTION", "ACTIVE",
        "CREATED_TIMESTAMP", "UPDATED_TIMESTAMP",
    }  # fmt: skip


async def test_unknown_table_columns_and_cortex_models(viewer_client):
    missing = await viewer_client.get("/api/silver/schemas/NO_SUCH_TABLE/columns")
    assert missing.status_code == 404 and missing.json()["code"] == "schema_table_not_found"
    assert (await viewer_client.get("/api/silver/cortex-models")).json() == []


async def test_create_column_creates_table_and_reflects_at_once(operator_client, viewer_client):
    table = await new_schema_table(operator_client)
    response = await _add(
        operator_client,
        table_name=table,
        column_name="paid_amount",
        data_type="number( 18 , 2 )",
        nullable=False,
        default_value="1,000.50",
        description="Paid",
        tpa="IGNORED",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Target schema created successfully" and isinstance(body["schema_id"], int)
    assert body["physical_tables_updated"] == [] and body["physical_tables_not_updated"] == []
    rows = await _columns(viewer_client, table)
    assert [(r["COLUMN_NAME"], r["DATA_TYPE"], r["NULLABLE"], r["DEFAULT_VALUE"]) for r in rows] == [
        ("CLAIM_ID", "VARCHAR(100)", True, None),
        ("PAID_AMOUNT", "NUMBER(18,2)", False, "1,000.50"),
    ]
    duplicate = await _add(operator_client, table_name=table, column_name="PAID_AMOUNT", data_type="FLOAT")
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "column_exists"
    forbidden = await _add(viewer_client, table_name=table, column_name="X", data_type="FLOAT")
    assert forbidden.status_code == 403


@pytest.mark.parametrize(
    "data_type",
    ["VARCHAR(0)", "VARCHAR(16777217)", "NUMBER(39,2)", "NUMBER(5,6)", "INT(4)", "BLOB", "STRING(10)", "", 42,
     "VARCHAR(10); DROP TABLE SILVER.CANARY", "NUMBER(18,2) DEFAULT 1"],
)  # fmt: skip
async def test_invalid_data_types(operator_client, canary, data_type):  # noqa: F811
    table = await new_schema_table(operator_client)
    response = await _add(operator_client, table_name=table, column_name="X", data_type=data_type)
    assert response.status_code == 422 and response.json()["code"] == "invalid_data_type"
    assert await canary()


@pytest.mark.parametrize(
    ("data_type", "default_value"),
    [
        ("DATE", "2024-01-01"),
        ("DATE", "'01/02/2024'"),
        ("DATE", "CURRENT_TIMESTAMP()"),
        ("TIMESTAMP_NTZ", "CURRENT_DATE()"),
        ("TIME", "'25 o clock'"),
        ("NUMBER(18,2)", "abc"),
        ("NUMBER(18,2)", "CURRENT_DATE()"),
        ("INTEGER", "1; DROP TABLE SILVER.CANARY"),
        ("BOOLEAN", "yes"),
        ("DATE", "NOW()"),
        ("DATE", "'2024-13-45'"),
        ("DATE", "'2023-02-29'"),
        ("TIMESTAMP_NTZ", "'2024-02-30 10:00:00'"),
        ("TIMESTAMP_NTZ", "'2024-01-31 24:00:00'"),
        ("TIME", "'12:61'"),
        ("NUMBER(5,2)", "1234.5"),
        ("NUMBER(5,2)", "1.234"),
        ("NUMBER", "2.5"),
        ("INTEGER", "1.5"),
        ("VARCHAR(3)", "'ABCD'"),
    ],
)
async def test_invalid_defaults(operator_client, canary, data_type, default_value):  # noqa: F811
    table = await new_schema_table(operator_client)
    response = await _add(
        operator_client, table_name=table, column_name="X", data_type=data_type, default_value=default_value
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_default_value"
    assert response.json()["errors"][0]["field"] == "default_value"
    assert await canary()


async def test_non_nullable_needs_a_default_and_names_are_checked(operator_client):
    table = await new_schema_table(operator_client)
    no_default = await _add(operator_client, table_name=table, column_name="X", data_type="DATE", nullable=False)
    assert no_default.status_code == 422 and no_default.json()["code"] == "invalid_default_value"
    reserved = await _add(operator_client, table_name=table, column_name="_RECORD_ID", data_type="INTEGER")
    assert reserved.status_code == 422 and reserved.json()["code"] == "reserved_column_name"
    missing = await _add(operator_client, column_name="X", data_type="INTEGER")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "table_name"
    not_bool = await _add(operator_client, table_name=table, column_name="X", data_type="INTEGER", nullable="maybe")
    assert not_bool.status_code == 422


@pytest.mark.parametrize("injection", INJECTIONS)
async def test_injection_in_table_and_column_names(operator_client, canary, injection):  # noqa: F811
    table = await new_schema_table(operator_client)
    for body in (
        {"table_name": injection, "column_name": "X", "data_type": "INTEGER"},
        {"table_name": table, "column_name": injection, "data_type": "INTEGER"},
    ):
        response = await _add(operator_client, **body)
        assert response.status_code == 422
    columns = await operator_client.get(f"/api/silver/schemas/{injection}/columns")
    assert columns.status_code == 404
    delete = await operator_client.delete(f"/api/silver/schemas/table/{injection}")
    assert delete.status_code == 404
    assert await canary()


async def test_update_column(operator_client, viewer_client):
    table = await new_schema_table(operator_client, [("SERVICE_DATE", "DATE")])
    column = (await _columns(viewer_client, table))[0]
    path = f"/api/silver/schemas/{column['SCHEMA_ID']}"

    response = await operator_client.put(
        path, {"nullable": False, "default_value": "CURRENT_DATE()", "description": "When"}, "application/json"
    )
    assert response.status_code == 200
    assert response.json() == {
        "message": "Target schema updated successfully",
        "schema_id": column["SCHEMA_ID"],
        "physical_tables_not_updated": [],
    }
    row = (await _columns(viewer_client, table))[0]
    assert (row["NULLABLE"], row["DEFAULT_VALUE"], row["DESCRIPTION"]) == (False, "CURRENT_DATE()", "When")
    assert row["UPDATED_TIMESTAMP"] is not None

    unchanged = await operator_client.put(path, {"data_type": None, "description": ""}, "application/json")
    assert unchanged.status_code == 200
    row = (await _columns(viewer_client, table))[0]
    assert (row["DATA_TYPE"], row["DEFAULT_VALUE"], row["DESCRIPTION"]) == ("DATE", "CURRENT_DATE()", None)

    clears_needed_default = await operator_client.put(path, {"default_value": ""}, "application/json")
    assert clears_needed_default.status_code == 422
    assert clears_needed_default.json()["code"] == "invalid_default_value"
    type_mismatch = await operator_client.put(path, {"data_type": "BOOLEAN"}, "application/json")
    assert type_mismatch.json()["code"] == "invalid_default_value"
    bad_type = await operator_client.put(path, {"data_type": "GEOGRAPHY"}, "application/json")
    assert bad_type.json()["code"] == "invalid_data_type"
    nothing = await operator_client.put(path, {"table_name": "X"}, "application/json")
    assert nothing.status_code == 422 and nothing.json()["code"] == "validation_error"
    unknown = await operator_client.put("/api/silver/schemas/999999999", {"nullable": True}, "application/json")
    assert unknown.status_code == 404 and unknown.json()["code"] == "schema_column_not_found"


async def test_delete_column_and_table(operator_client, viewer_client, tpa):
    from tests.test_silver_tables import create_physical, load_bronze

    table = await new_schema_table(operator_client, [("CLAIM_ID", "VARCHAR(100)"), ("MEMBER_ID", "VARCHAR(100)")])
    await load_bronze(tpa, [{"Claim": "C1", "Member": "M1"}])
    for source, target in (("Claim", "CLAIM_ID"), ("Member", "MEMBER_ID")):
        created = await operator_client.post(
            "/api/silver/mappings",
            {"tpa": tpa, "source_field": source, "target_table": table, "target_column": target},
            content_type="application/json",
        )
        assert created.status_code == 201
    member = (await _columns(viewer_client, table))[1]
    deleted = await operator_client.delete(f"/api/silver/schemas/{member['SCHEMA_ID']}")
    assert deleted.json() == {"message": "Target schema column deleted successfully", "mappings_deleted": 1}
    again = await operator_client.delete(f"/api/silver/schemas/{member['SCHEMA_ID']}")
    assert again.status_code == 404 and again.json()["code"] == "schema_column_not_found"

    await create_physical(operator_client, tpa, table)
    in_use = await operator_client.delete(f"/api/silver/schemas/table/{table}?tpa={tpa}")
    assert in_use.status_code == 409 and in_use.json()["code"] == "schema_in_use"
    assert f"{tpa}_{table}" in in_use.json()["detail"]

    other = await new_schema_table(operator_client, [("A", "INTEGER"), ("B", "INTEGER")])
    response = await operator_client.delete(f"/api/silver/schemas/table/{other.lower()}")
    assert response.json() == {
        "message": f"Table schema '{other}' and all associated mappings and rules deleted successfully",
        "columns_deleted": 2,
        "mappings_deleted": 0,
    }
    assert await _columns(viewer_client, other) == []
    missing = await operator_client.delete(f"/api/silver/schemas/table/{other}")
    assert missing.status_code == 404 and missing.json()["code"] == "schema_table_not_found"


async def test_csv_export_and_import(operator_client, viewer_client):
    exported = await viewer_client.get("/silver/schemas/export.csv")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    lines = exported.content.decode().splitlines()
    assert lines[0] == "TABLE_NAME,COLUMN_NAME,DATA_TYPE,NULLABLE,DEFAULT_VALUE,DESCRIPTION"
    assert 'MEDICAL_CLAIMS,BILLED_AMOUNT,"NUMBER(18,2)",N,0.00,Amount billed' in lines

    table = "IMPORTED_" + (await new_schema_table(operator_client))
    content = (
        "TABLE_NAME,COLUMN_NAME,DATA_TYPE,NULLABLE,DEFAULT_VALUE,DESCRIPTION\n"
        f'{table},CLAIM_ID,VARCHAR(100),N,N/A,Claim\n{table},PAID,"NUMBER(18,2)",Y,0.00,Paid\n'
        "MEDICAL_CLAIMS,CLAIM_ID,VARCHAR(100),N,N/A,already there\n"
    )
    upload = SimpleUploadedFile("defs.csv", content.encode(), content_type="text/csv")
    response = await operator_client.post("/silver/schemas/import", {"file": upload})
    assert response.status_code == 302
    rows = await _columns(viewer_client, table)
    assert [(r["COLUMN_NAME"], r["NULLABLE"], r["DEFAULT_VALUE"]) for r in rows] == [
        ("CLAIM_ID", False, None),
        ("PAID", True, "0.00"),
    ]

    bad = SimpleUploadedFile("bad.csv", f"TABLE_NAME,COLUMN_NAME,DATA_TYPE\n{table},X,BLOB\n".encode())
    await operator_client.post("/silver/schemas/import", {"file": bad})
    page = await operator_client.get("/silver/schemas")
    assert "Line 2" in page.content.decode() and len(await _columns(viewer_client, table)) == 2


async def test_schemas_page_renders(operator_client):
    page = await operator_client.get("/silver/schemas")
    assert page.status_code == 200
    html = page.content.decode()
    assert "MEDICAL_CLAIMS" in html and "Add column" in html and "Create physical table" in html


def test_type_grammar_and_default_sql():
    assert parse_data_type("varchar").text == "VARCHAR"
    assert parse_data_type("Decimal(10, 2)").text == "DECIMAL(10,2)"
    assert parse_data_type("timestamp_ltz").family == "timestamp"
    for text in ("CHAR(3)", "STRING", "TEXT", "BIGINT", "SMALLINT", "DOUBLE", "TIME", "TIMESTAMP_TZ", "VARIANT"):
        assert parse_data_type(text).text == text
    date = parse_data_type("DATE")
    assert normalize_default("null", date) is None and normalize_default("current_date()", date) == "CURRENT_DATE()"
    assert normalize_default("FOO()", parse_data_type("VARCHAR")) == "FOO()"
    with pytest.raises(ApiError):
        normalize_default("SYSDATE()", date)
    assert default_sql("1,000.50", "NUMBER(18,2)") == "1000.50"
    assert default_sql("-999.990", "NUMBER(5,2)") == "-999.990" and default_sql("7.0", "INTEGER") == "7.0"
    assert default_sql("'2024-02-29'", "DATE") == "'2024-02-29'::DATE"
    assert default_sql("'2024-02-29T23:59:59.123456789Z'", "TIMESTAMP_TZ") is not None
    assert default_sql("'ABC'", "VARCHAR(3)") == "'ABC'" and default_sql("'it''s'", "VARCHAR(4)") == "'it\\'s'"
    assert default_sql("'it''s'", "VARCHAR") == "'it\\'s'" and default_sql("PENDING", "VARCHAR") == "'PENDING'"
    assert default_sql("'2024-01-31'", "DATE") == "'2024-01-31'::DATE"
    assert default_sql("CURRENT_TIMESTAMP()", "TIMESTAMP_NTZ") == "CURRENT_TIMESTAMP()"
    assert default_sql("CURRENT_TIMESTAMP()", "TIMESTAMP_NTZ", constant_only=True) is None
    assert default_sql("1", "BOOLEAN") == "TRUE" and default_sql("{}", "VARIANT") is None


async def test_csv_round_trip_is_lossless(operator_client, viewer_client, admin_client):
    table = await new_schema_table(operator_client, [])
    columns = [
        ("CODE", "VARCHAR(10)", False, "N/A", "Code, or 'N/A'"),
        ("QUOTED", "VARCHAR(10)", True, "'it''s'", 'A "quoted"\nmulti-line description'),
        ("WORD", "VARCHAR(10)", True, "null text", None),
        ("PAID", "NUMBER(18,2)", False, "1,000.50", ""),
        ("SEEN", "DATE", True, "'2024-02-29'", "Leap day"),
        ("TODAY", "DATE", False, "CURRENT_DATE()", "Today"),
        ("FLAG", "BOOLEAN", True, None, "No default"),
    ]
    for name, data_type, nullable, default, description in columns:
        body = {"table_name": table, "column_name": name, "data_type": data_type, "nullable": nullable}
        response = await _add(operator_client, **body, default_value=default, description=description)
        assert response.status_code == 201, response.content
    before = await _columns(viewer_client, table)

    exported = (await viewer_client.get("/silver/schemas/export.csv")).content.decode()
    own_lines = [line for line in csv.reader(exported.splitlines(keepends=True)) if line[0] in ("TABLE_NAME", table)]
    assert (await admin_client.delete(f"/api/silver/schemas/table/{table}")).status_code == 200
    content = io.StringIO()
    csv.writer(content).writerows(own_lines)
    upload = SimpleUploadedFile("defs.csv", content.getvalue().encode(), content_type="text/csv")
    assert (await operator_client.post("/silver/schemas/import", {"file": upload})).status_code == 302

    def meaning(row: dict) -> tuple:
        default = default_sql(row["DEFAULT_VALUE"], row["DATA_TYPE"])
        return row["COLUMN_NAME"], row["DATA_TYPE"], row["NULLABLE"], default, row["DESCRIPTION"] or None

    after = await _columns(viewer_client, table)
    assert [meaning(row) for row in after] == [meaning(row) for row in before]
    assert meaning(after[0])[3] == "'N/A'"


async def test_definition_changes_reach_empty_physical_tables_and_drift_is_reported(
    operator_client, viewer_client, admin_client, tpa
):
    from tests.test_silver_tables import create_physical

    table = await new_schema_table(operator_client, [("WHEN_SEEN", "DATE"), ("UNITS", "INTEGER")])
    assert (await create_physical(operator_client, tpa, table)).status_code in (200, 201)
    physical = f"{tpa}_{table}"
    when_seen, units = await _columns(viewer_client, table)

    changed = await operator_client.put(
        f"/api/silver/schemas/{when_seen['SCHEMA_ID']}", {"data_type": "NUMBER(18,2)", "default_value": "0"},
        "application/json",
    )  # fmt: skip
    assert changed.status_code == 200 and changed.json()["physical_tables_not_updated"] == []
    assert (await operator_client.delete(f"/api/silver/schemas/{units['SCHEMA_ID']}")).status_code == 200

    columns = {row["COLUMN_NAME"]: row for row in await _physical_types(physical)}
    assert "UNITS" not in columns
    assert columns["WHEN_SEEN"]["DATA_TYPE"].upper().startswith(("DECIMAL", "NUMBER"))
    assert "0" in str(columns["WHEN_SEEN"]["COLUMN_DEFAULT"])
    report = (await admin_client.get("/api/admin/validate-schema")).json()
    drift = next(c for c in report["critical_checks"] if c["check_name"] == "Silver Table Columns")
    assert physical not in drift["details"]

    await warehouse().execute(f'ALTER TABLE SILVER."{physical}" ADD COLUMN STRAY VARCHAR')
    await warehouse().execute(f'ALTER TABLE SILVER."{physical}" DROP COLUMN WHEN_SEEN')
    report = (await admin_client.get("/api/admin/validate-schema")).json()
    drift = next(c for c in report["critical_checks"] if c["check_name"] == "Silver Table Columns")
    assert drift["status"] == "NOT READY" and report["overall_status"] == "INCOMPLETE"
    assert f"{physical}.WHEN_SEEN is missing" in drift["details"]
    assert f"{physical}.STRAY is not in the definition" in drift["details"]
    await warehouse().execute(f'DROP TABLE SILVER."{physical}"')
    await warehouse().execute("DELETE FROM SILVER.CREATED_TABLES WHERE TABLE_NAME = ?", (physical,))


async def _physical_types(name: str) -> list[dict]:
    return await warehouse().fetch_all(
        "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_DEFAULT FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'SILVER' "
        "AND TABLE_NAME = ?",
        (name,),
    )
