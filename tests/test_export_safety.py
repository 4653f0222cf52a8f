"""Red-team findings 3 and 6: every CSV export neutralises formulas (and imports them back unchanged), and
download names never carry what a request put in them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from medallion.csv_export import safe_filename
from silver import mappings
from tests.test_bad_inputs import assert_neutralised
from tests.test_silver_tables import load_bronze, new_schema_table

pytestmark = pytest.mark.django_db(transaction=True)

FORMULA_FIELD = '=HYPERLINK("http://evil.example","click")'


async def test_mapping_export_neutralises_headers_and_descriptions_and_imports_back(operator_client, tpa):
    await load_bronze(tpa, [{FORMULA_FIELD: "x", "Claim Number": "C1"}])
    table = await new_schema_table(operator_client, [("CLAIM_ID", "VARCHAR(100)"), ("NOTE", "VARCHAR(100)")])
    body = {"tpa": tpa, "target_table": table, "target_column": "NOTE", "source_field": FORMULA_FIELD}
    created = await operator_client.post(
        "/api/silver/mappings", {**body, "description": "@SUM(1)"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    await operator_client.post("/select-tpa", {"tpa": tpa})
    exported = await operator_client.get("/silver/mappings/export.csv")
    assert exported.status_code == 200
    text = exported.content.decode()
    assert_neutralised(text, "Silver mappings export")

    await operator_client.delete(f"/api/silver/mappings/{created.json()['mapping_id']}")
    imported = await mappings.import_csv(tpa, text, user="test")
    assert imported["mappings_created"] == 1
    restored = [row for row in await mappings.list_mappings(tpa, table) if row["TARGET_COLUMN"] == "NOTE"]
    assert restored[0]["SOURCE_FIELD"] == FORMULA_FIELD and restored[0]["DESCRIPTION"] == "@SUM(1)"


async def test_schema_export_neutralises_descriptions(operator_client):
    table = await new_schema_table(operator_client)
    response = await operator_client.post(
        "/api/silver/schemas",
        {"table_name": table, "column_name": "NOTE", "data_type": "VARCHAR(10)", "description": FORMULA_FIELD},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    exported = await operator_client.get("/silver/schemas/export.csv")
    assert exported.status_code == 200
    assert_neutralised(exported.content.decode(), "Silver schemas export")
    upload = SimpleUploadedFile("schemas.csv", exported.content, content_type="text/csv")
    reimported = await operator_client.post("/silver/schemas/import", {"file": upload})
    assert reimported.status_code in (200, 302)


@pytest.mark.parametrize(
    "hostile", ['x"; filename="evil.exe', "a\r\nSet-Cookie: stolen=1", "../../etc/passwd", "é\u2028"]
)
async def test_download_names_are_safe(viewer_client, hostile):
    response = await viewer_client.get("/gold/analytics/PROVIDER_PERFORMANCE/export.csv", {"tpa": hostile})
    assert response.status_code in (200, 404), response.status_code
    if response.status_code == 200:
        disposition = response["Content-Disposition"]
        assert disposition.count("filename=") == 1 and "\r" not in disposition and "\n" not in disposition
        name = disposition.split("filename=", 1)[1].strip('"')
        assert name == safe_filename(name) and "/" not in name and '"' not in name
        assert "Set-Cookie" not in response.headers


def test_safe_filename_keeps_ordinary_names():
    assert safe_filename("provider_performance-acme.csv") == "provider_performance-acme.csv"
    assert safe_filename('a"b\r\n.csv') == "a_b_.csv"
    assert safe_filename("...") == "export"
