"""Red-team finding 9: CSP without inline script, no-store on member data, HTTPS settings from the environment,
an idle session timeout, and `check --deploy` clean for the documented production settings."""

import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from medallion.sessions import LAST_SEEN_KEY
from tests.e2e_support import process_env

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "SECURE_COOKIES": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO=https",
}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def test_no_template_carries_inline_script():
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "templates").rglob("*.html"))
        if INLINE_SCRIPT.search(path.read_text()) or EVENT_HANDLER.search(path.read_text())
    ]
    assert not offenders


@pytest.mark.parametrize("path", ["/", "/bronze/status", "/bronze/stages", "/silver/schemas", "/gold/analytics"])
async def test_pages_carry_csp_and_no_store(viewer_client, path):
    response = await viewer_client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("script-src", 1)[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    assert response["Cache-Control"] == "no-store"
    assert not INLINE_SCRIPT.search(response.content.decode())


async def test_api_answers_are_not_stored(viewer_client):
    response = await viewer_client.get("/api/tpas")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"


async def test_idle_session_ends(viewer_client):
    assert (await viewer_client.get("/api/tpas")).status_code == 200
    session = await viewer_client.asession()
    await session.aset(LAST_SEEN_KEY, time.time() - settings.SESSION_IDLE_TIMEOUT - 1)
    await session.asave()
    viewer_client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    ended = await viewer_client.get("/api/tpas")
    assert ended.status_code == 401
    page = await viewer_client.get("/silver/schemas")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login")


def _manage(data_dir: Path, *args: str, **environment: str) -> subprocess.CompletedProcess:
    env = process_env(data_dir, SECRET_KEY=secrets.token_urlsafe(50), **environment)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_check_deploy_is_clean_for_the_documented_production_settings(tmp_path):
    clean = _manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "no issues" in clean.stdout
    development = _manage(tmp_path, "check", "--deploy")
    assert "security.W004" in development.stderr + development.stdout
    shown = _manage(
        tmp_path,
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)",
        **PRODUCTION,
    )
    assert "('HTTP_X_FORWARDED_PROTO', 'https') 31536000 True True True" in shown.stdout, shown.stderr
