"""Logs and error pages never carry cookies, tokens, passwords or claim rows: a flow runs with recognisable
secrets, then every OPS log table and everything written to Python logging is searched for them."""

import logging
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import AsyncClient

from medallion import worker
from medallion.events import flush_all
from medallion.middleware import api_request_log
from medallion.models import ApiToken
from medallion.warehouse import warehouse
from tests.test_bad_inputs import upload

pytestmark = pytest.mark.django_db(transaction=True)

LOG_TABLES = {"API_REQUEST_LOG", "APPLICATION_LOG", "ERROR_LOG", "FILE_PROCESSING_LOG", "AUDIT_LOG"}


def _operator_with_password(password: str):
    user = get_user_model().objects.create_user(f"hygiene-{uuid.uuid4().hex[:6]}", password=password)
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    _, raw = ApiToken.issue(user)
    return user, raw


async def _log_text() -> str:
    wh = warehouse()
    present = await wh.fetch_all(
        "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'OPS' AND TABLE_NAME LIKE '%_LOG'"
    )
    names = {row["TABLE_NAME"] for row in present}
    assert set(LOG_TABLES) <= names, names
    rows = [row for name in sorted(names) for row in await wh.fetch_all(f"SELECT * FROM OPS.{name}")]
    return "\n".join(str(row) for row in rows)


async def test_no_secret_or_claim_row_reaches_a_log(caplog, tpa):
    caplog.set_level(logging.DEBUG)
    password = f"Pw-{uuid.uuid4().hex}"
    claim_secret = f"MEMBERSECRET{uuid.uuid4().hex[:12].upper()}"
    user, token = await sync_to_async(_operator_with_password)(password)

    browser = AsyncClient()
    login = await browser.post("/accounts/login", {"username": user.username, "password": password})
    assert login.status_code == 302, login.content[:500]
    bad_login = await browser.post("/accounts/login", {"username": user.username, "password": password + "x"})
    assert bad_login.status_code == 200
    session = browser.cookies["sessionid"].value
    await browser.get("/api/user/current")
    xsrf = browser.cookies["XSRF-TOKEN"].value

    scripted = AsyncClient()
    bearer = {"Authorization": f"Bearer {token}"}
    good = f"member_id,member_name\r\nM1,{claim_secret}\r\n".encode()
    ragged = f"member_id,member_name\r\nM1,{claim_secret},extra\r\n".encode()
    for name, content in (("good.csv", good), ("ragged.csv", ragged)):
        response = await upload(scripted, tpa, name, content, Authorization=f"Bearer {token}")
        assert response.status_code == 201, response.content
    await scripted.get(f"/api/bronze/raw-data?tpa={tpa}&search={claim_secret[:6]}", headers=bearer)
    await scripted.get("/api/tpas", headers={"Authorization": f"Bearer {token}x"})
    await scripted.post("/api/tpas", {"tpa_code": "X", "tpa_name": password}, content_type="application/json",
                        headers=bearer)  # fmt: skip
    await browser.post("/api/tpas", {"tpa_code": "Y"}, content_type="application/json")
    await worker.run_until_idle()
    not_found_page = await browser.get("/no/such/page", headers={"Cookie": f"sessionid={session}"})
    api_error = await browser.get("/api/no/such/endpoint", headers=bearer)
    await api_request_log.drain()
    await flush_all()

    secrets = {"password": password, "token": token, "session": session, "xsrf": xsrf, "claim value": claim_secret}
    logged = await _log_text() + "\n".join(record.getMessage() for record in caplog.records)
    leaks = [label for label, value in secrets.items() if value in logged]
    assert not leaks, f"found in logs: {leaks}"
    pages = not_found_page.content.decode(errors="replace") + api_error.content.decode(errors="replace")
    assert not [label for label, value in secrets.items() if value in pages]
    assert tpa in logged, "the flow did not reach the logs at all"
