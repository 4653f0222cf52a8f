"""Red-team finding 8: credentials in query strings never reach the API request log."""

import json
import uuid

import pytest

from medallion.middleware import api_request_log
from medallion.redaction import REDACTED, loggable_params
from medallion.warehouse import warehouse

pytestmark = pytest.mark.django_db(transaction=True)

CREDENTIAL_PARAMETERS = ("access_token", "password", "token", "api_key", "client_secret", "X-Amz-Signature", "auth")


async def test_credentials_in_the_query_string_are_redacted(viewer_client, tpa):
    secret = f"S{uuid.uuid4().hex}"
    query = {name: secret for name in CREDENTIAL_PARAMETERS} | {"tpa": tpa.lower(), "limit": "5"}
    response = await viewer_client.get("/api/bronze/queue", query)
    request_id = response["X-Request-ID"]
    await api_request_log.drain()
    row = await warehouse().fetch_one(
        "SELECT REQUEST_PARAMS, TPA_CODE FROM OPS.API_REQUEST_LOG WHERE REQUEST_UUID = ?", (request_id,)
    )
    assert row is not None
    logged = row["REQUEST_PARAMS"] if isinstance(row["REQUEST_PARAMS"], dict) else json.loads(row["REQUEST_PARAMS"])
    assert secret not in json.dumps(logged)
    assert {name: logged[name] for name in CREDENTIAL_PARAMETERS} == dict.fromkeys(CREDENTIAL_PARAMETERS, REDACTED)
    assert logged["tpa"] == tpa.lower() and logged["limit"] == "5" and row["TPA_CODE"] == tpa


def test_ordinary_parameters_are_kept_and_cut():
    assert loggable_params({"tpa": "ACME", "search": "x" * 500}) == {"tpa": "ACME", "search": "x" * 200}
