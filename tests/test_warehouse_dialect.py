"""Red-team finding 7 (and the REGEX part of 5): rules are checked in the warehouse's own dialect, a refused
default leaves nothing behind, and expressions cannot build unbounded strings."""

import pytest

from silver.expressions import MAX_PADDED_LENGTH, ExpressionError, compile_expression
from tests.test_silver_transform_support import build_table

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def claims(tpa: str):
    return await build_table(tpa)


async def _rule(client, fixture, pattern: str):
    body = {
        "tpa": fixture.tpa,
        "table_name": fixture.schema_table,
        "rule_name": "PATTERN",
        "rule_type": "REGEX",
        "target_column": "CLAIM_ID",
        "parameters": {"pattern": pattern},
    }
    return await client.post("/api/silver/rules", body, content_type="application/json")


@pytest.mark.parametrize("pattern", [r"(a)\1", "a{99999999999}", "(?<=a)b", "a{2000}"])
async def test_regex_the_warehouse_cannot_run_is_refused(operator_client, claims, pattern):
    response = await _rule(operator_client, claims, pattern)
    assert response.status_code == 422, (pattern, response.status_code, response.content[:300])
    assert response.json()["errors"][0]["field"] == "parameters.pattern"
    listed = await operator_client.get(f"/api/silver/rules?tpa={claims.tpa}")
    assert listed.json() == []


async def test_regex_the_warehouse_runs_is_stored(operator_client, claims):
    assert (await _rule(operator_client, claims, r"^C[0-9]+$")).status_code == 201


@pytest.mark.parametrize("default", ["a\x00b", "two\nlines"])
async def test_refused_default_commits_no_column(operator_client, default):
    table = "NULDEFAULT"
    body = {"table_name": table, "column_name": "NOTE", "data_type": "VARCHAR(10)", "default_value": default}
    response = await operator_client.post("/api/silver/schemas", body, content_type="application/json")
    assert response.status_code == 422, response.content
    listed = await operator_client.get("/api/silver/schemas")
    assert not [row for row in listed.json() if row.get("TABLE_NAME") == table]


@pytest.mark.parametrize(
    "expression",
    [
        "LPAD(src, 2000000000, 'x')",
        f"RPAD(src, {MAX_PADDED_LENGTH + 1})",
        "LPAD(src, LENGTH(src) * 1000, '0')",
        "REPLACE(src, 'a', src)",
        "REGEXP_REPLACE(src, '.', '" + "x" * 200 + "')",
    ],
)
def test_string_building_functions_are_bounded(expression):
    with pytest.raises(ExpressionError):
        compile_expression(expression, variables={"src": "x"})


def test_bounded_string_building_still_compiles():
    assert compile_expression("LPAD(src, 10, '0')", variables={"src": "x"}) == "LPAD(x, 10, '0')"
    assert compile_expression("REPLACE(src, '-', '')", variables={"src": "x"}) == "REPLACE(x, '-', '')"
