"""Red-team finding 5: what a client gets wrong answers 4xx with a readable message, on pages and the API; never
500, and never 503 "warehouse not available"."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.test_silver_tables import create_physical, load_bronze, new_schema_table

pytestmark = pytest.mark.django_db(transaction=True)

HUGE = str(10**30)
HOSTILE_PAGE_PARAMETERS = [
    {"limit": "abc"},
    {"limit": HUGE},
    {"offset": HUGE},
    {"offset": "-5"},
    {"offset": "1e9"},
    {"page": HUGE},
    {"page": "x"},
    {"sort": "NO_SUCH_COLUMN"},
    {"sort": "x" * 5000},
    {"search": "x" * 5000},
    {"search": "\x00"},
    {"status": "NOPE"},
]


@pytest.fixture
async def silver_tpa(operator_client, tpa) -> str:
    await load_bronze(tpa, [{"Claim Number": "C1"}])
    table = await new_schema_table(operator_client)
    assert (await create_physical(operator_client, tpa, table)).status_code in (200, 201)
    await operator_client.post("/select-tpa", {"tpa": tpa})
    return tpa


@pytest.mark.parametrize("path", ["/silver/data", "/silver/quarantine", "/bronze/data", "/gold/analytics"])
async def test_hostile_page_parameters_answer_4xx_or_a_page(operator_client, silver_tpa, path):
    for parameters in HOSTILE_PAGE_PARAMETERS:
        response = await operator_client.get(path, parameters)
        assert response.status_code < 500, (path, parameters, response.status_code)
        if response.status_code >= 400:
            assert b"Traceback" not in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/silver/mappings/export.csv?tpa=NO_SUCH_TPA",
        "/gold/analytics/CLAIMS_ANALYTICS/export.csv?tpa=NO_SUCH_TPA",
        "/silver/data?tpa=NO_SUCH_TPA",
    ],
)
async def test_unknown_tpa_on_pages_and_exports_is_not_a_server_error(operator_client, path):
    response = await operator_client.get(path)
    assert response.status_code in (200, 302, 404), response.status_code


async def test_deep_json_and_too_many_fields_or_files_are_client_errors(operator_client, tpa):
    deep = "[" * 100000 + "]" * 100000
    response = await operator_client.post("/api/silver/schemas", deep, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    fields = "&".join(f"f{n}=1" for n in range(2000))
    response = await operator_client.post("/select-tpa", fields, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400, response.content[:200]
    files = {f"file{n}": SimpleUploadedFile(f"f{n}.csv", b"a\n1\n") for n in range(200)}
    response = await operator_client.post("/api/bronze/upload", {"tpa": tpa, **files})
    assert response.status_code in (400, 413), response.content[:200]
    assert "detail" in json.loads(response.content)
