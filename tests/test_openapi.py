"""/api/openapi.json is generated from the route table, agrees with the contract's §3 table (its copy in
tests/data, checked against the contract in test_access_matrix), and /api/docs shows it with Swagger UI."""

from typing import Any

import pytest

from medallion import openapi
from tests.openapi import api_endpoints

pytestmark = pytest.mark.django_db(transaction=True)


async def _document(client: Any) -> dict[str, Any]:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


async def test_every_contract_route_is_documented_with_its_role(viewer_client: Any) -> None:
    document = await _document(viewer_client)
    documented = {
        (method.upper(), path): operation["x-role"]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    contract = {(endpoint.method, endpoint.path): endpoint.role for endpoint in api_endpoints()}

    assert document["openapi"] == "3.1.0"
    assert {key: documented.get(key) for key in contract} == contract
    assert set(documented) == {(route.method, route.path) for route in openapi.routes()}
    assert documented[("GET", "/api/openapi.json")] == "viewer"
    assert set(documented.values()) == {"none", "authenticated", "viewer", "operator", "admin"}


async def test_operations_carry_parameters_bodies_errors_and_both_auth_schemes(viewer_client: Any) -> None:
    document = await _document(viewer_client)
    queue = document["paths"]["/api/bronze/queue"]["get"]
    reprocess = document["paths"]["/api/bronze/reprocess/{queue_id}"]["post"]
    upload = document["paths"]["/api/bronze/upload"]["post"]
    health = document["paths"]["/api/health"]["get"]

    assert [p["name"] for p in queue["parameters"]] == ["tpa", "status", "file_type", "limit", "offset"]
    assert reprocess["parameters"][0] == {
        "name": "queue_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}
    }  # fmt: skip
    assert "multipart/form-data" in upload["requestBody"]["content"] and upload["x-role"] == "operator"
    assert queue["responses"]["422"] == {"$ref": "#/components/responses/E422"}
    assert document["components"]["schemas"]["Error"]["required"] == ["detail", "code"]
    assert set(document["components"]["securitySchemes"]) == {"bearer", "session"}
    assert health["security"] == [] and "401" not in health["responses"]


def test_every_listed_parameter_belongs_to_a_real_route() -> None:
    routes = {(route.method, route.path) for route in openapi.routes()}

    assert set(openapi.PARAMETERS) - routes == set()


async def test_the_document_needs_a_signed_in_caller(anonymous_client: Any) -> None:
    assert (await anonymous_client.get("/api/openapi.json")).status_code == 401


async def test_docs_page_serves_the_vendored_swagger_ui(viewer_client: Any) -> None:
    page = (await viewer_client.get("/api/docs")).content.decode()
    bundle = await viewer_client.get("/static/vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js")

    assert "vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js" in page and 'data-spec="/api/openapi.json"' in page
    assert bundle.status_code == 200
