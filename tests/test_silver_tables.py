import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from medallion.caching import invalidate
from medallion.warehouse import warehouse
from silver import tables

pytestmark = pytest.mark.django_db(transaction=True)

INJECTIONS = (
    'X"; DROP TABLE SILVER.CANARY; --',
    "CLAIMS'); DROP TABLE SILVER.CANARY; --",
    "A B",
    "CANARY; DELETE FROM SILVER.CANARY",
)
METADATA = ["_RECORD_ID", "_FILE_NAME", "_FILE_ROW_NUMBER", "_TPA", "_BATCH_ID", "_LOAD_TIMESTAMP", "_LOADED_BY"]


@pytest.fixture
async def canary() -> Any:
    await warehouse().execute("CREATE TABLE IF NOT EXISTS SILVER.CANARY (X INTEGER)")
    await warehouse().execute("INSERT INTO SILVER.CANARY (X) VALUES (1)")
    before = await warehouse().fetch_value("SELECT COUNT(*) FROM SILVER.CANARY")

    async def still_alive() -> bool:
        return await warehouse().fetch_value("SELECT COUNT(*) FROM SILVER.CANARY") == before

    return still_alive


async def new_schema_table(client: Any, columns: Sequence[tuple[str, str]] = (("CLAIM_ID", "VARCHAR(100)"),)) -> str:
    name = f"S{uuid.uuid4().hex[:10].upper()}"
    for column, data_type in columns:
        response = await client.post(
            "/api/silver/schemas",
            {"table_name": name.lower(), "column_name": column, "data_type": data_type},
            content_type="application/json",
        )
        assert response.status_code == 201, response.json()
    return name


async def load_bronze(tpa: str, records: Sequence[dict[str, Any]], file_name: str = "claims.csv") -> None:
    rows = [(tpa, file_name, number, record) for number, record in enumerate(records, start=1)]
    columns = ['"TPA"', '"FILE_NAME"', '"FILE_ROW_NUMBER"', '"RAW_DATA"']
    await warehouse().insert_rows('"BRONZE"."RAW_DATA_TABLE"', columns, rows, json_columns=['"RAW_DATA"'])


async def physical_columns(name: str) -> list[str]:
    rows = await warehouse().fetch_all(
        "SELECT COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'SILVER' AND TABLE_NAME = ? "
        "ORDER BY ORDINAL_POSITION",
        (name,),
    )
    return [row["COLUMN_NAME"] for row in rows]


async def create_physical(client: Any, tpa: str, table: str) -> Any:
    return await client.post(
        f"/api/silver/tables/create?table_name={table.lower()}&tpa={tpa.lower()}",
        "null",
        content_type="application/json",
    )


async def test_create_physical_table_from_query_with_null_body(operator_client, tpa):
    table = await new_schema_table(operator_client, [("CLAIM_ID", "VARCHAR(100)"), ("PAID", "NUMBER(18,2)")])
    response = await create_physical(operator_client, tpa, table)
    assert response.status_code == 201
    name = f"{tpa}_{table}"
    assert response.json() == {
        "message": f"Table {name} created successfully",
        "physical_table_name": name,
        "result": f"Successfully created table: {name} (2 columns + 7 metadata columns)",
    }
    assert await physical_columns(name) == ["CLAIM_ID", "PAID", *METADATA]

    listed = (await operator_client.get(f"/api/silver/tables?tpa={tpa.lower()}")).json()
    assert [row["TABLE_NAME"] for row in listed] == [name]
    row = listed[0]
    assert row["SCHEMA_TABLE"] == table and row["TPA"] == tpa and row["ROW_COUNT"] == 0 and row["BYTES"] == 0
    assert row["CREATED_AT"].endswith("Z") and row["CREATED_BY"] == operator_client.user.username
    assert set(row) >= {"TABLE_NAME", "SCHEMA_TABLE", "TPA", "CREATED_AT", "CREATED_BY", "DESCRIPTION", "LAST_UPDATED"}

    exists = await operator_client.get(f"/api/silver/tables/exists?table_name={table.lower()}&tpa={tpa.lower()}")
    assert exists.json() == {"exists": True, "physical_table_name": name}


async def test_create_from_json_body_and_errors(operator_client, admin_client, tpa, unique_code):
    table = await new_schema_table(operator_client)
    response = await operator_client.post(
        "/api/silver/tables/create", {"table_name": table, "tpa": tpa}, content_type="application/json"
    )
    assert response.status_code == 201

    again = await create_physical(operator_client, tpa, table)
    assert again.status_code == 409 and again.json()["code"] == "table_exists"

    unknown_tpa = await create_physical(operator_client, unique_code + "X", table)
    assert unknown_tpa.status_code == 404 and unknown_tpa.json()["code"] == "tpa_not_found"

    bad_name = await create_physical(operator_client, tpa, "x; DROP TABLE y")
    assert bad_name.status_code == 404 and bad_name.json()["code"] == "schema_table_not_found"

    missing = await operator_client.post("/api/silver/tables/create", {"tpa": tpa}, content_type="application/json")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "table_name"

    await admin_client.patch(f"/api/tpas/{tpa}/status", {"active": False}, content_type="application/json")
    other = await new_schema_table(operator_client)
    inactive = await create_physical(operator_client, tpa, other)
    assert inactive.status_code == 409 and inactive.json()["code"] == "tpa_inactive"


async def test_add_schema_drawer_creates_a_schema_table_with_no_columns_yet(operator_client, tpa):
    brand_new = f"N{uuid.uuid4().hex[:10].upper()}"

    response = await create_physical(operator_client, tpa, brand_new)
    schema = (await operator_client.get(f"/api/silver/schemas?table_name={brand_new}")).json()
    added = await operator_client.post(
        "/api/silver/schemas",
        {"table_name": brand_new, "column_name": "CLAIM_ID", "data_type": "VARCHAR(100)"},
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["schema_table_created"] is True
    assert response.json()["physical_table_name"] == f"{tpa}_{brand_new}"
    assert "starter column RECORD_KEY" in response.json()["result"]
    assert [row["COLUMN_NAME"] for row in schema] == ["RECORD_KEY"]
    assert added.status_code == 201 and added.json()["physical_tables_updated"] == [f"{tpa}_{brand_new}"]


async def test_exists_for_unknown_and_missing_parameters(viewer_client, tpa):
    response = await viewer_client.get(f"/api/silver/tables/exists?table_name=NOPE&tpa={tpa}")
    assert response.json() == {"exists": False, "physical_table_name": f"{tpa}_NOPE"}
    unknown = await viewer_client.get("/api/silver/tables/exists?table_name=NOPE&tpa=NOBODY_HERE")
    assert unknown.json()["exists"] is False
    missing = await viewer_client.get("/api/silver/tables/exists?table_name=NOPE")
    assert missing.status_code == 422


async def test_row_count_comes_from_the_warehouse(operator_client, tpa):
    table = await new_schema_table(operator_client)
    await create_physical(operator_client, tpa, table)
    await warehouse().execute(f'INSERT INTO SILVER."{tpa}_{table}" ("CLAIM_ID", "_RECORD_ID") VALUES (?, ?)', ("C1", 1))
    await invalidate("silver_tables")
    row = (await operator_client.get(f"/api/silver/tables?tpa={tpa}")).json()[0]
    assert row["ROW_COUNT"] == 1


async def test_new_column_is_added_to_existing_physical_tables(operator_client, tpa):
    table = await new_schema_table(operator_client)
    await create_physical(operator_client, tpa, table)
    response = await operator_client.post(
        "/api/silver/schemas",
        {"table_name": table, "column_name": "status", "data_type": "varchar(20)", "default_value": "'PENDING'"},
        content_type="application/json",
    )
    assert response.status_code == 201
    name = f"{tpa}_{table}"
    assert response.json()["physical_tables_updated"] == [name]
    assert response.json()["physical_tables_not_updated"] == []
    assert await physical_columns(name) == ["CLAIM_ID", *METADATA, "STATUS"]
    await warehouse().execute(f'INSERT INTO SILVER."{name}" ("_RECORD_ID") VALUES (1)')
    assert await warehouse().fetch_value(f'SELECT "STATUS" FROM SILVER."{name}"') == "PENDING"


async def test_type_change_is_refused_while_physical_tables_hold_data(operator_client, tpa):
    table = await new_schema_table(operator_client, [("CLAIM_ID", "VARCHAR(100)"), ("PAID", "NUMBER(18,2)")])
    await create_physical(operator_client, tpa, table)
    paid = next(c for c in (await operator_client.get(f"/api/silver/schemas?table_name={table}")).json())
    schema_id = paid["SCHEMA_ID"]

    empty = await operator_client.put(
        f"/api/silver/schemas/{schema_id}", {"data_type": "VARCHAR(50)"}, content_type="application/json"
    )
    assert empty.status_code == 200
    assert empty.json()["physical_tables_not_updated"] == []  # an empty table gets the new type

    await warehouse().execute(f'INSERT INTO SILVER."{tpa}_{table}" ("_RECORD_ID") VALUES (1)')
    with_data = await operator_client.put(
        f"/api/silver/schemas/{schema_id}", {"data_type": "NUMBER(10,0)"}, content_type="application/json"
    )
    assert with_data.status_code == 409 and with_data.json()["code"] == "schema_in_use"
    assert f"{tpa}_{table}" in with_data.json()["detail"]
    description_only = await operator_client.put(
        f"/api/silver/schemas/{schema_id}", {"description": "still fine"}, content_type="application/json"
    )
    assert description_only.status_code == 200


async def test_delete_physical_table(admin_client, operator_client, tpa):
    table = await new_schema_table(operator_client, [("CLAIM_ID", "VARCHAR(100)"), ("MEMBER_ID", "VARCHAR(100)")])
    await create_physical(operator_client, tpa, table)
    await load_bronze(tpa, [{"Claim": "C1"}])
    mapping = await operator_client.post(
        "/api/silver/mappings",
        {"tpa": tpa, "source_field": "Claim", "target_table": table, "target_column": "CLAIM_ID"},
        content_type="application/json",
    )
    assert mapping.status_code == 201

    forbidden = await operator_client.delete(f"/api/silver/tables/delete?table_name={table}&tpa={tpa}")
    assert forbidden.status_code == 403

    response = await admin_client.delete(f"/api/silver/tables/delete?table_name={table.lower()}&tpa={tpa.lower()}")
    name = f"{tpa}_{table}"
    assert response.status_code == 200
    assert response.json() == {
        "message": f"Table {name} and associated mappings and rules deleted successfully",
        "physical_table_name": name,
    }
    assert await physical_columns(name) == []
    assert (await admin_client.get(f"/api/silver/tables?tpa={tpa}")).json() == []
    assert (await admin_client.get(f"/api/silver/mappings?tpa={tpa}")).json() == []

    again = await admin_client.delete(f"/api/silver/tables/delete?table_name={table}&tpa={tpa}")
    assert again.status_code == 404 and again.json()["code"] == "table_not_found"
    no_tpa = await admin_client.delete(f"/api/silver/tables/delete?table_name={table}&tpa=NOBODY_HERE")
    assert no_tpa.status_code == 404 and no_tpa.json()["code"] == "tpa_not_found"
    missing = await admin_client.delete(f"/api/silver/tables/delete?tpa={tpa}")
    assert missing.status_code == 422


async def test_delete_while_a_run_holds_the_table_is_refused(admin_client, operator_client, tpa):
    table = await new_schema_table(operator_client)
    await create_physical(operator_client, tpa, table)
    async with tables.exclusive_operation(tpa, table):
        response = await admin_client.delete(f"/api/silver/tables/delete?table_name={table}&tpa={tpa}")
        assert response.status_code == 409 and response.json()["code"] == "operation_in_progress"
        tpa_delete = await admin_client.delete(f"/api/tpas/{tpa}")
        assert tpa_delete.status_code == 409 and tpa_delete.json()["code"] == "operation_in_progress"
    assert not await tables.operation_running(tpa)


async def test_tpa_delete_drops_its_tables_and_mappings(admin_client, operator_client, tpa):
    table = await new_schema_table(operator_client)
    await create_physical(operator_client, tpa, table)
    await load_bronze(tpa, [{"Claim": "C1"}])
    await operator_client.post(
        "/api/silver/mappings",
        {"tpa": tpa, "source_field": "Claim", "target_table": table, "target_column": "CLAIM_ID"},
        content_type="application/json",
    )
    response = await admin_client.delete(f"/api/tpas/{tpa}")
    assert response.status_code == 200 and response.json()["tables_dropped"] == 1
    assert await physical_columns(f"{tpa}_{table}") == []
    registry = await warehouse().fetch_value("SELECT COUNT(*) FROM SILVER.CREATED_TABLES WHERE TPA = ?", (tpa,))
    mappings = await warehouse().fetch_value("SELECT COUNT(*) FROM SILVER.FIELD_MAPPINGS WHERE TPA = ?", (tpa,))
    assert registry == 0 and mappings == 0


async def test_clear_all_hook_drops_only_registered_tables(operator_client, tpa):
    from bronze.cleanup import clear_all_hooks

    assert tables.drop_all_registered_tables in clear_all_hooks
    table = await new_schema_table(operator_client)
    await create_physical(operator_client, tpa, table)
    await warehouse().execute(f'CREATE TABLE SILVER."{tpa}_UNREGISTERED" (A INTEGER)')
    # Same code path as the clear-all hook, limited to this TPA so other tests' tables survive.
    assert await tables.drop_tpa_tables(tpa) == 1
    assert await physical_columns(f"{tpa}_{table}") == []
    assert await physical_columns(f"{tpa}_UNREGISTERED") == ["A"]
    assert await warehouse().fetch_value("SELECT COUNT(*) FROM SILVER.CREATED_TABLES WHERE TPA = ?", (tpa,)) == 0


@pytest.mark.parametrize("injection", INJECTIONS)
async def test_injection_in_table_and_tpa_names(admin_client, operator_client, tpa, canary, injection):
    table = await new_schema_table(operator_client)
    for name_table, name_tpa in ((injection, tpa), (table, injection)):
        create = await operator_client.post(
            "/api/silver/tables/create", {"table_name": name_table, "tpa": name_tpa}, content_type="application/json"
        )
        assert 400 <= create.status_code < 500
        exists = await operator_client.get("/api/silver/tables/exists", {"table_name": name_table, "tpa": name_tpa})
        assert exists.status_code == 200 and exists.json()["exists"] is False
        delete = await admin_client.delete(f"/api/silver/tables/delete?{_query(name_table, name_tpa)}")
        assert 400 <= delete.status_code < 500
    assert await canary()


def _query(table: str, tpa: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"table_name": table, "tpa": tpa})
