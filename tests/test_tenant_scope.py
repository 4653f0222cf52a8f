"""Tenant scope beyond the access matrix: caches never cross scopes, token scopes narrow the user's, and every
access decision that matters leaves an audit row with its request id."""

import uuid
from datetime import timedelta

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


async def test_home_counters_and_files_chart_count_the_scope_only(tenants, operator_client):
    from bronze.queue import files_per_day
    from medallion.clock import utc_now
    from medallion.scope import tpa_scope
    from ops import overview
    from tests.test_bad_inputs import upload

    own, other = tenants
    for code, files in ((own, 1), (other, 2)):
        for number in range(files):
            assert (await upload(operator_client, code, f"home{number}.csv", b"a,b\n1,2\n")).status_code == 201
    with tpa_scope([own]):
        home = await overview.overview()
        per_day = await files_per_day(utc_now() - timedelta(days=1))
    assert [tpa.code for tpa in home.tpas] == [own]
    assert home.counters["TPAS"] == 1 and home.counters["FILES_TODAY"] == home.counters["IN_QUEUE"] == 1
    assert sum(int(row["FILES"]) for row in per_day) == 1
    page = (await (await _scoped("viewer", own)).get("/")).content.decode()
    assert own in page and other not in page


async def test_a_scoped_event_stream_carries_its_tpas_events_and_only_the_topic_of_the_rest():
    from medallion import stream
    from tests.test_stream import _next_event

    own, other = (f"EVT{label}{uuid.uuid4().hex[:8].upper()}" for label in ("A", "B"))
    subscriber = stream.bus.open_stream("scoped-reader", frozenset(stream.TOPICS), frozenset({own}))
    assert subscriber is not None
    try:
        stream.publish("queue", tpa=other, file_name=f"{other}/secret.csv", status="PENDING")
        stream.publish("queue", tpa=own.lower(), file_name=f"{own}/mine.csv", status="PENDING")
        stream.publish("refresh", run_id="r1", status="FAILED", error=f"{other} broke", tpas_refreshed=7)
        delivered = [subscriber.queue.get_nowait() for _ in range(subscriber.queue.qsize())]
    finally:
        stream.bus.close_stream("scoped-reader", subscriber)
    assert [(event.topic, event.data) for event in delivered] == [
        ("queue", {"tpa": own.lower(), "file_name": f"{own}/mine.csv", "status": "PENDING"}),
        ("refresh", {}),
    ]
    replayed = stream.bus.since(delivered[0].id - 2, frozenset(stream.TOPICS), frozenset({own}))
    assert [event.data for event in replayed] == [event.data for event in delivered]

    response = await (await _scoped("viewer", own)).get("/api/events?topics=queue")
    chunks = aiter(response.streaming_content)
    try:
        await anext(chunks)
        stream.publish("queue", tpa=other, file_name=f"{other}/secret.csv", status="PENDING")
        stream.publish("queue", tpa=own, file_name=f"{own}/mine.csv", status="PENDING")
        event = await _next_event(chunks, "queue")
    finally:
        await chunks.aclose()
    assert f"{own}/mine.csv" in event and other not in event


async def test_a_scoped_admin_does_not_get_into_the_django_admin(tenants, admin_client):
    own, _ = tenants
    scoped = await _scoped("admin", own)
    for client in (admin_client, scoped):
        await sync_to_async(grant_role)(client.user, "admin")
    assert (await admin_client.get("/django-admin/medallion/tpascope/")).status_code == 200
    refused = await scoped.get("/django-admin/medallion/tpascope/")
    assert refused.status_code == 302 and "/django-admin/login/" in refused["Location"]
