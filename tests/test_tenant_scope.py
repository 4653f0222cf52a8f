"""Tenant scope beyond the access matrix: caches never cross scopes, token scopes narrow the user's, and every
access decision that matters leaves an audit row with its request id."""

import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient
from django.utils import timezone

from medallion.models import ApiToken, TpaScope
from medallion.roles import grant_role
from medallion.warehouse import warehouse
from tests.conftest import _client_for
from tests.test_silver_tables import load_bronze
from tpa.services import create_tpa

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def tenants(transactional_db) -> tuple[str, str]:
    codes = []
    for label in ("A", "B"):
        code = await create_tpa(f"TEN{label}{uuid.uuid4().hex[:8].upper()}", f"Tenant {label}", "")
        await load_bronze(code, [{"Claim Number": f"{code}-1"}])
        codes.append(code)
    return codes[0], codes[1]


async def _scoped(role: str, *codes: str):
    client = await _client_for(role)
    for code in codes:
        await TpaScope.objects.acreate(user=client.user, tpa_code=code.lower())
    return client


def _codes(response) -> set[str]:
    return {row["TPA_CODE"] for row in response.json()}


async def test_scoped_users_see_their_tpas_even_after_an_unscoped_user_filled_the_cache(tenants, admin_client):
    own, other = tenants
    assert {own, other} <= _codes(await admin_client.get("/api/tpas"))
    assert other in (await admin_client.get("/api/bronze/raw-data")).content.decode()
    scoped = await _scoped("viewer", own)
    assert _codes(await scoped.get("/api/tpas")) == {own}
    rows = (await scoped.get("/api/bronze/raw-data")).json()
    assert rows and {row["TPA"] for row in rows} == {own}
    assert (await scoped.get(f"/api/tpas/{other}")).status_code in (404, 405)
    assert (await scoped.get(f"/api/bronze/source-fields?tpa={other}")).status_code == 404
    assert (await scoped.get(f"/api/bronze/source-fields?tpa={own.lower()}")).status_code == 200
    both = await _scoped("viewer", own, other)
    assert _codes(await both.get("/api/tpas")) >= {own, other}


async def test_token_scope_narrows_the_users_and_read_only_tokens_cannot_write(tenants):
    own, other = tenants
    operator = await _scoped("operator", own)
    token, raw = await sync_to_async(ApiToken.issue)(operator.user)
    token.tpa_codes = [other]
    await token.asave()
    bearer = {"Authorization": f"Bearer {raw}"}
    assert _codes(await AsyncClient().get("/api/tpas", headers=bearer)) == set()
    unscoped = await _client_for("admin")
    read_only, raw_read_only = await sync_to_async(ApiToken.issue)(unscoped.user)
    read_only.read_only = True
    await read_only.asave()
    headers = {"Authorization": f"Bearer {raw_read_only}"}
    assert (await AsyncClient().get("/api/tpas", headers=headers)).status_code == 200
    created = await AsyncClient().post(
        "/api/tpas", {"tpa_code": "NEVER_MADE", "tpa_name": "x"}, content_type="application/json", headers=headers
    )
    assert created.status_code == 403


async def _audit_rows(action: str) -> list[dict]:
    return await warehouse().fetch_all(
        "SELECT USER_NAME, ENTITY_ID, REQUEST_ID FROM OPS.AUDIT_LOG WHERE ACTION = ? ORDER BY AUDIT_ID", (action,)
    )


async def test_audit_rows_carry_the_request_id(admin_client):
    code = f"AUD{uuid.uuid4().hex[:8].upper()}"
    response = await admin_client.post(
        "/api/tpas", {"tpa_code": code, "tpa_name": "Audited"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    rows = await warehouse().fetch_all(
        "SELECT REQUEST_ID FROM OPS.AUDIT_LOG WHERE ENTITY_ID = ? AND ACTION = 'CREATE'", (code,)
    )
    assert [row["REQUEST_ID"] for row in rows] == [response["X-Request-ID"]]


async def test_token_scope_and_role_changes_in_the_admin_are_audited(admin_client):
    await sync_to_async(grant_role)(admin_client.user, "admin")
    user = (await _client_for("viewer")).user
    added = await admin_client.post("/django-admin/medallion/apitoken/add/", {"user": user.pk, "name": "ci"})
    assert added.status_code == 200
    token = await ApiToken.objects.aget(user=user, name="ci")
    raw = added.content.decode().split('<code class="api-token">', 1)[1].split("</code>", 1)[0]
    revoked = await admin_client.post(
        "/django-admin/medallion/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert revoked.status_code == 302
    refused = await AsyncClient().get("/api/tpas", headers={"Authorization": f"Bearer {raw}"})
    assert refused.status_code == 401
    scope = await admin_client.post("/django-admin/medallion/tpascope/add/", {"user": user.pk, "tpa_code": "acme"})
    assert scope.status_code == 302
    assert await TpaScope.objects.filter(user=user, tpa_code="ACME").aexists()
    for action in ("TOKEN_CREATE", "TOKEN_REVOKE", "TOKEN_USE_AFTER_REVOKE"):
        rows = [row for row in await _audit_rows(action) if row["ENTITY_ID"] == str(token.pk)]
        assert len(rows) == 1 and rows[0]["REQUEST_ID"], action
    scope_rows = [row for row in await _audit_rows("SCOPE_CHANGE") if row["ENTITY_ID"] == user.username]
    assert len(scope_rows) == 1 and scope_rows[0]["REQUEST_ID"]
    token_after = await ApiToken.objects.aget(pk=token.pk)
    assert token_after.revoked_at is not None and token_after.revoked_at <= timezone.now()


async def test_stage_listings_show_only_the_scope(tenants, operator_client):
    from tests.test_bad_inputs import upload

    own, other = tenants
    for code in (own, other):
        assert (await upload(operator_client, code, f"{code.lower()}.csv", b"a,b\n1,2\n")).status_code == 201
    everything = {entry["name"].split("/")[0] for entry in (await operator_client.get("/api/bronze/stages/SRC")).json()}
    assert {own, other} <= everything
    scoped = await _scoped("operator", own)
    listed = (await scoped.get("/api/bronze/stages/SRC")).json()
    assert listed and {entry["name"].split("/")[0] for entry in listed} == {own}
    refused = await scoped.delete(f"/api/bronze/stages/SRC/files?file_path={other}/{other.lower()}.csv")
    assert refused.status_code == 404
    page = await scoped.get("/bronze/stages")
    assert other not in page.content.decode()
