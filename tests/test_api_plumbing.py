import os
import subprocess
import sys

import pytest
from django.test import AsyncClient

from medallion.middleware import api_request_log
from medallion.warehouse import warehouse

pytestmark = pytest.mark.django_db(transaction=True)


async def test_health_endpoints(anonymous_client):
    response = await anonymous_client.get("/api/health")
    assert response.status_code == 200 and response.json()["status"] == "healthy"
    assert response["X-Request-ID"]
    db = (await anonymous_client.get("/api/health/db")).json()
    assert db["database"] == "connected" and db["warehouse"] is None and db["database_name"] == "MEDALLION"
    assert (await anonymous_client.get("/api/health/ready")).json()["status"] == "ready"


async def test_current_user(admin_client, anonymous_client):
    body = (await admin_client.get("/api/user/current")).json()
    assert body["role"] == "admin" and body["warehouse"] == "embedded" and body["snowflake_role"] is None
    assert body["username"] == admin_client.user.username
    assert (await anonymous_client.get("/api/user/current")).status_code == 401


async def test_unknown_route_and_wrong_method(viewer_client):
    response = await viewer_client.get("/api/nothing/here")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = await viewer_client.delete("/api/tpas")
    assert response.status_code == 405 and response["Allow"] == "GET, POST"
    assert response.json()["code"] == "method_not_allowed"


async def test_no_trailing_slash_redirects(viewer_client):
    response = await viewer_client.get("/api/tpas/")
    assert response.status_code == 404


async def test_malformed_and_oversized_bodies(admin_client):
    response = await admin_client.post("/api/tpas", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "malformed_request"
    response = await admin_client.post("/api/tpas", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    big = '{"tpa_code": "A", "tpa_name": "' + "x" * (1024 * 1024 + 10) + '"}'
    response = await admin_client.post("/api/tpas", big, content_type="application/json")
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


async def _session_client(role_client):
    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(role_client.user)
    await client.get("/api/tpas")
    return client


async def test_csrf_is_enforced_for_session_requests(admin_client, unique_code):
    client = await _session_client(admin_client)
    token = client.cookies["XSRF-TOKEN"].value
    body = {"tpa_code": unique_code, "tpa_name": "CSRF"}
    response = await client.post("/api/tpas", body, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    response = await client.post("/api/tpas", body, content_type="application/json", headers={"X-XSRF-TOKEN": token})
    assert response.status_code == 201
    response = await client.put(
        f"/api/tpas/{unique_code}",
        {"tpa_name": "Django header"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200


async def test_fetch_metadata_fallback_needs_same_origin(admin_client, tpa):
    client = await _session_client(admin_client)
    same_origin = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}
    response = await client.patch(
        f"/api/tpas/{tpa}/status", {"active": True}, content_type="application/json", headers=same_origin
    )
    assert response.status_code == 200
    for headers in (
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://evil.example"},
        {},
    ):
        response = await client.patch(
            f"/api/tpas/{tpa}/status", {"active": True}, content_type="application/json", headers=headers
        )
        assert response.status_code == 403, headers


async def test_bearer_tokens_work_without_csrf_and_can_be_revoked(admin_client, unique_code):
    from django.utils import timezone

    token, raw = await _issue(admin_client.user)
    client = AsyncClient(enforce_csrf_checks=True)
    headers = {"Authorization": f"Bearer {raw}"}
    response = await client.post(
        "/api/tpas", {"tpa_code": unique_code, "tpa_name": "Token"}, content_type="application/json", headers=headers
    )
    assert response.status_code == 201
    token.revoked_at = timezone.now()
    await token.asave()
    response = await client.get("/api/tpas", headers=headers)
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"
    assert response["WWW-Authenticate"] == "Bearer"
    response = await client.get("/api/tpas", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401


async def _issue(user):
    from asgiref.sync import sync_to_async

    from medallion.models import ApiToken

    return await sync_to_async(ApiToken.issue)(user)


async def test_api_requests_are_audited_without_secrets(viewer_client, tpa):
    await viewer_client.get(f"/api/tpas?tpa={tpa.lower()}", headers={"Authorization": "Basic c2VjcmV0"})
    await api_request_log.drain()
    rows = await warehouse().fetch_all(
        "SELECT * FROM OPS.API_REQUEST_LOG WHERE TPA_CODE = ? ORDER BY REQUEST_ID DESC", (tpa,)
    )
    assert rows and rows[0]["USER_NAME"] == viewer_client.user.username
    assert rows[0]["REQUEST_PATH"] == "/api/tpas" and rows[0]["RESPONSE_STATUS"] == 200
    assert "c2VjcmV0" not in str(rows[0]) and "sessionid" not in str(rows[0])


async def test_pages_need_login(anonymous_client, viewer_client):
    response = await anonymous_client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login")
    response = await viewer_client.get("/")
    assert response.status_code == 200 and b"Medallion" in response.content
    assert (await viewer_client.get("/operations/tpas")).status_code == 403


def test_refuses_to_start_with_default_secret_key_when_debug_is_off(settings):
    env = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DEBUG"}}
    env["DJANGO_SETTINGS_MODULE"] = "medallion.settings"
    env["DATA_DIR"] = os.environ["DATA_DIR"]
    env["ENV_FILE"] = os.devnull
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


@pytest.mark.services
def test_django_tables_on_postgresql(postgres_url, settings, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "medallion.settings",
        "SECRET_KEY": "pg-test",
        "DATABASE_URL": postgres_url,
        "DATA_DIR": str(tmp_path),
    }
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, capture_output=True, timeout=300)
    token = subprocess.run(
        [*manage, "createapitoken", "pg-script", "--role", "operator"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.strip()
    assert token.startswith("mdl_") and len(token.splitlines()) == 1
