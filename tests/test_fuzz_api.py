"""Arbitrary strings in every path, query and body parameter of every `/api` endpoint: never a 5xx, always the
contract's error shape, and no SQL from the input ever runs (a planted canary table survives with its row)."""

import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient
from django.urls import resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medallion import views as medallion_views
from medallion.models import ApiToken
from medallion.warehouse import warehouse
from tests.e2e_support import multipart
from tests.openapi import INTEGER_PATH_PARAMETERS, Endpoint, api_endpoints, openapi_document

pytestmark = pytest.mark.django_db(transaction=True)

CANARY = f"CANARY_{uuid.uuid4().hex[:8].upper()}"
CANARY_NOTE = "the canary lives"
INJECTIONS = [
    f"x'; DROP TABLE OPS.{CANARY}; --",
    f'x"; DELETE FROM OPS.{CANARY}; --',
    f"' OR '1'='1'; TRUNCATE TABLE OPS.{CANARY}; --",
    f"A) UNION ALL SELECT NOTE FROM OPS.{CANARY} --",
    f"$$; DROP TABLE OPS.{CANARY}; $$",
    f"IDENTIFIER('OPS.{CANARY}')",
    f"OPS.{CANARY}",
    f"PROVIDER_A_CLAIMS; DROP TABLE OPS.{CANARY}",
    "../../../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "SRC/../../warehouse",
    "a/b",
    "\x00",
    "line\r\nX-Injected: 1",
    "\u202egnp.exe",
    "<script>alert(1)</script>",
    "{{7*7}}${7*7}",
    '=HYPERLINK("http://x","click")',
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "true",
    "null",
    "",
    " ",
    "é" * 300,
    "😀" * 50,
    "A" * 5000,
    "_RESERVED",
    "*",
    "%",
    "\\",
]
strings = st.one_of(
    st.sampled_from(INJECTIONS),
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.from_regex(r"[A-Za-z0-9_]{1,60}", fullmatch=True),
)
json_values = st.one_of(
    strings,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(strings, max_size=3),
    st.dictionaries(strings, strings, max_size=2),
)
DRIVER_TEXT = ("Traceback", "Catalog Error", "Binder Error", "Parser Error", "ProgrammingError", "duckdb", "sqlglot")
ENDPOINTS = [endpoint for endpoint in api_endpoints() if endpoint.role != "none" or endpoint.path_parameters]


@pytest.fixture
async def canary():
    wh = warehouse()
    await wh.execute(f"CREATE TABLE IF NOT EXISTS OPS.{CANARY} (ID INTEGER, NOTE VARCHAR)")
    if not await wh.fetch_value(f"SELECT COUNT(*) AS N FROM OPS.{CANARY}"):
        await wh.execute(f"INSERT INTO OPS.{CANARY} (ID, NOTE) VALUES (1, ?)", (CANARY_NOTE,))
    yield
    rows = await wh.fetch_all(f"SELECT ID, NOTE FROM OPS.{CANARY}")
    assert rows == [{"ID": 1, "NOTE": CANARY_NOTE}], "SQL from a request ran against the canary table"


@pytest.fixture
async def admin_token(admin_client) -> str:
    _, raw = await sync_to_async(ApiToken.issue)(admin_client.user)
    return raw


def _path_strategy(endpoint: Endpoint) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries(
        {name: st.one_of(strings, st.integers().map(str)) if name in INTEGER_PATH_PARAMETERS else strings
         for name in endpoint.path_parameters}
    )  # fmt: skip


def _body_strategy(endpoint: Endpoint) -> st.SearchStrategy[object]:
    parameters = endpoint.parameters
    if parameters.body:
        fields = {name: json_values for name in parameters.body}
        body = st.fixed_dictionaries({}, optional=fields)
        if endpoint.id == "B18":
            body = body.filter(lambda value: value.get("confirm") != "DELETE")
        return body
    if parameters.body_is_array:
        return st.lists(strings, max_size=4)
    return json_values


def assert_contract_shape(endpoint: Endpoint, response, sent: object) -> None:
    context = (str(endpoint), response.status_code, response.content[:400], repr(sent)[:400])
    assert response.status_code < 500, context
    assert response["Content-Type"].startswith("application/json"), context
    body = json.loads(response.content)
    if response.status_code >= 400:
        assert isinstance(body.get("detail"), str) and body["detail"], context
        assert isinstance(body.get("code"), str), context
        assert not any(marker in body["detail"] for marker in DRIVER_TEXT), context


def _must_exist(endpoint: Endpoint) -> None:
    if resolve(endpoint.url()).func is medallion_views.api_not_found:
        pytest.skip(f"{endpoint} is not implemented yet")


FUZZ = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=False,
    database=None,
)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
@FUZZ
@given(data=st.data())
async def test_arbitrary_parameters_never_break_the_server(endpoint, canary, admin_token, data):
    _must_exist(endpoint)
    path_values = data.draw(_path_strategy(endpoint), label="path")
    query = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(endpoint.parameters.query, strings)))
    url = endpoint.url(path_values)
    if query:
        url = f"{url}?{urlencode(query)}"
    headers = {"Authorization": f"Bearer {admin_token}"}
    client = AsyncClient()
    sent: object = query
    if endpoint.method == "GET":
        response = await client.get(url, headers=headers)
    elif endpoint.parameters.multipart:
        sent = {"tpa": data.draw(strings, label="tpa"), "name": data.draw(strings, label="file name")}
        content = data.draw(st.binary(max_size=200), label="content")
        response = await _upload(client, url, headers, sent["tpa"], sent["name"], content)
    else:
        sent = data.draw(_body_strategy(endpoint), label="body")
        send = getattr(client, endpoint.method.lower())
        response = await send(url, json.dumps(sent), content_type="application/json", headers=headers)
    assert_contract_shape(endpoint, response, (url, sent))


async def _upload(client: AsyncClient, url: str, headers: dict[str, str], tpa: str, name: str, content: bytes):
    body, content_type = multipart({"tpa": tpa}, name, content)
    return await client.post(url, body, content_type=content_type, headers=headers)


async def test_unknown_routes_and_encoded_paths_answer_json(admin_token, canary):
    client = AsyncClient()
    headers = {"Authorization": f"Bearer {admin_token}"}
    for raw in INJECTIONS:
        response = await client.get(f"/api/{quote(raw, safe='')}", headers=headers)
        assert response.status_code == 404 and response.json()["code"] == "not_found", raw
        response = await client.get(f"/api/tpas/{quote(raw, safe='')}/status", headers=headers)
        assert response.status_code in (404, 405), raw


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(tmp_path: Path):
    """Schemathesis against a live `manage.py serve`, driven by the OpenAPI document built from the table."""
    schemathesis = shutil.which("schemathesis", path=str(Path(__import__("sys").executable).parent))
    if schemathesis is None:
        pytest.skip("schemathesis is not installed (pip install schemathesis)")
    from tests.e2e_support import Site

    site = Site()
    token = site.token("fuzzer", "admin")
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(openapi_document(exclude=("B18",))))
    server = site.serve()
    try:
        result = subprocess.run(
            [schemathesis, "run", str(document), "--url", server.url, "--checks", "not_a_server_error",
             "--header", f"Authorization: Bearer {token}", "--max-examples", "8", "--workers", "4",
             "--phases", "examples,fuzzing", "--request-timeout", "30", "--suppress-health-check", "all",
             "--generation-database", "none", "--seed", "20241128"],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    finally:
        server.stop()
        site.remove()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    generated = re.search(r"(\d+) generated", result.stdout)
    assert generated and int(generated.group(1)) >= 300, result.stdout[-3000:]
    assert "Traceback" not in server.log(), server.log()[-4000:]
