"""Who may call what: every `/api` route of the contract's table and every page, for each role.

Routes that their engineers have not built yet answer from the catch-all; they are skipped (with the reason)
only while they are missing, so the matrix becomes strict by itself as routes land.
"""

import re
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient
from django.urls import Resolver404, resolve
from django.utils import timezone

from medallion import views as medallion_views
from medallion.models import ApiToken
from medallion.roles import ROLES, has_role
from tests.openapi import CONTRACT, HARMLESS_BODIES, Endpoint, api_endpoints, contract_table_rows, load_endpoints

pytestmark = pytest.mark.django_db(transaction=True)

API = api_endpoints()
UNSAFE = [endpoint for endpoint in API if endpoint.method in ("POST", "PUT", "PATCH", "DELETE")]
PROTECTED = [endpoint for endpoint in API if endpoint.role != "none"]
ADMIN_PAGES = tuple(f"/operations/{page}" for page in ("tpas", "tasks", "logs", "system", "schema", "clear-data"))
VIEWER_PAGES = (
    "/",
    "/bronze/status",
    "/bronze/stages",
    "/bronze/data",
    "/bronze/fields",
    "/silver/schemas",
    "/silver/mappings",
    "/silver/transform",
    "/silver/data",
    "/silver/quality",
    "/gold/analytics",
    "/gold/metrics",
    "/gold/quality",
    "/gold/rules",
)
PAGES = [*((path, "viewer") for path in VIEWER_PAGES), ("/bronze/upload", "operator")]
PAGES += [(path, "admin") for path in ADMIN_PAGES]


def require_route(url: str) -> None:
    try:
        match = resolve(url.split("?")[0])
    except Resolver404:
        pytest.skip(f"{url} is not implemented yet (no route)")
    if match.func is medallion_views.api_not_found:
        pytest.skip(f"{url} is not implemented yet (answered by the /api catch-all)")


async def call(client: AsyncClient, endpoint: Endpoint, *, headers: dict[str, str] | None = None, url: str = ""):
    target = url or endpoint.url()
    method = endpoint.method.lower()
    extra = {"headers": headers or {}}
    if endpoint.method == "GET":
        return await client.get(target, **extra)
    if endpoint.parameters.multipart:
        return await client.post(target, {"tpa": "NO_SUCH_TPA_X"}, **extra)
    body = HARMLESS_BODIES.get(endpoint.id, {})
    return await getattr(client, method)(target, body, content_type="application/json", **extra)


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and isinstance(body["detail"], str) and body["detail"]


def test_endpoint_table_is_the_contracts():
    if not CONTRACT.exists():
        pytest.skip(f"the contract is not beside the repository ({CONTRACT})")
    saved = [(e.id, e.method, e.path, e.role) for e in load_endpoints()]
    assert saved == contract_table_rows()
    assert len(saved) == 80


@pytest.mark.parametrize("endpoint", API, ids=str)
async def test_api_route_roles(endpoint, anonymous_client, viewer_client, operator_client, admin_client):
    require_route(endpoint.url())
    clients = {"viewer": viewer_client, "operator": operator_client, "admin": admin_client}
    anonymous = await call(anonymous_client, endpoint)
    if endpoint.role == "none":
        assert anonymous.status_code < 500 and anonymous.status_code not in (401, 403)
    else:
        assert_error(anonymous, 401, "not_authenticated")
        assert "Location" not in anonymous
    for role, client in clients.items():
        response = await call(client, endpoint)
        needed = endpoint.role if endpoint.role in ROLES else None
        if needed is not None and not has_role(role, needed):
            assert_error(response, 403, "permission_denied")
        else:
            assert response.status_code not in (401, 403), (role, response.status_code, response.content[:300])
            assert response.status_code < 500, (role, response.status_code, response.content[:300])
            assert response["Content-Type"].startswith("application/json")


async def test_user_without_a_role_is_refused_everything_but_u1(transactional_db):
    from tests.conftest import _client_for

    client = await _client_for(None)
    assert (await client.get("/api/user/current")).status_code == 200
    for endpoint in PROTECTED:
        if endpoint.role in ROLES and resolve(endpoint.url()).func is not medallion_views.api_not_found:
            assert_error(await call(client, endpoint), 403, "permission_denied")


async def _csrf_session(user) -> tuple[AsyncClient, str]:
    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(user)
    await client.get("/api/user/current")
    return client, client.cookies["XSRF-TOKEN"].value


@pytest.mark.parametrize("endpoint", UNSAFE, ids=str)
async def test_csrf_enforced_on_unsafe_session_requests(endpoint, admin_client):
    require_route(endpoint.url())
    client, token = await _csrf_session(admin_client.user)
    assert_error(await call(client, endpoint), 403, "csrf_failed")
    cross_site = {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}
    assert_error(await call(client, endpoint, headers=cross_site), 403, "csrf_failed")
    assert_error(await call(client, endpoint, headers={"X-XSRF-TOKEN": "forged" * 6}), 403, "csrf_failed")
    accepted = await call(client, endpoint, headers={"X-XSRF-TOKEN": token})
    assert accepted.status_code not in (401, 403), accepted.content[:300]


async def _token(user, **fields) -> tuple[ApiToken, str]:
    token, raw = await sync_to_async(ApiToken.issue)(user)
    for name, value in fields.items():
        setattr(token, name, value)
    await token.asave()
    return token, raw


async def test_api_tokens_carry_roles_skip_csrf_and_can_be_revoked(viewer_client, admin_client):
    admin_token, admin_raw = await _token(admin_client.user)
    _, viewer_raw = await _token(viewer_client.user)
    strict = AsyncClient(enforce_csrf_checks=True)
    response = await strict.delete("/api/tpas/NO_SUCH_TPA_X", headers={"Authorization": f"Bearer {viewer_raw}"})
    assert_error(response, 403, "permission_denied")
    response = await strict.delete("/api/tpas/NO_SUCH_TPA_X", headers={"Authorization": f"Bearer {admin_raw}"})
    assert_error(response, 404, "tpa_not_found")
    admin_token.revoked_at = timezone.now()
    await admin_token.asave()
    response = await strict.get("/api/tpas", headers={"Authorization": f"Bearer {admin_raw}"})
    assert_error(response, 401, "invalid_token")
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("endpoint", PROTECTED, ids=str)
async def test_revoked_expired_and_unknown_tokens_are_refused(endpoint, admin_client):
    require_route(endpoint.url())
    _, revoked = await _token(admin_client.user, revoked_at=timezone.now())
    _, expired = await _token(admin_client.user, expires_at=timezone.now() - timezone.timedelta(seconds=1))
    for raw in (revoked, expired, "mdl_unknown", "' OR 1=1 --"):
        response = await call(AsyncClient(), endpoint, headers={"Authorization": f"Bearer {raw}"})
        assert_error(response, 401, "invalid_token")


async def test_a_bearer_token_wins_over_the_session_cookie(admin_client, viewer_client):
    _, viewer_raw = await _token(viewer_client.user)
    response = await admin_client.get("/api/logs/stats", headers={"Authorization": f"Bearer {viewer_raw}"})
    if response.status_code == 404 and response.json()["code"] == "not_found":
        response = await admin_client.delete(
            "/api/tpas/NO_SUCH_TPA_X", headers={"Authorization": f"Bearer {viewer_raw}"}
        )
    assert_error(response, 403, "permission_denied")


@pytest.mark.parametrize(("path", "role"), PAGES, ids=[path for path, _ in PAGES])
async def test_page_roles(path, role, anonymous_client, viewer_client, operator_client, admin_client):
    require_route(path)
    response = await anonymous_client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login?next=")
    for client_role, client in (("viewer", viewer_client), ("operator", operator_client), ("admin", admin_client)):
        response = await client.get(path)
        expected = 200 if has_role(client_role, role) else 403
        assert response.status_code == expected, (client_role, response.status_code)
        assert response["Content-Type"].startswith("text/html")


async def test_django_admin_is_for_admins_only(anonymous_client, viewer_client, operator_client):
    for client in (anonymous_client, viewer_client, operator_client):
        response = await client.get("/django-admin/")
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert "/login" in response["Location"]
        tokens = await client.get("/django-admin/medallion/apitoken/")
        assert tokens.status_code in (302, 403)


async def test_page_forms_need_csrf(admin_client):
    require_route("/operations/tpas")
    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(admin_client.user)
    response = await client.post("/select-tpa", {"tpa": "X", "next": "/"})
    assert response.status_code == 403
    response = await client.post("/operations/tpas/add", {"tpa_code": "CSRF_X", "tpa_name": "x"})
    assert response.status_code == 403


# --------------------------------------------------------------------------- tenant scope

SCOPE_KINDS = ("user scoped to A", "token scoped to A", "read-only token scoped to A")
SCOPED_PAGES = [path for path, _ in PAGES]
tried: set[tuple[str, str, str]] = set()


@pytest.fixture
async def two_tpas(transactional_db):
    from silver.mappings import create_mapping
    from silver.rules import create_rule
    from tests.test_silver_tables import load_bronze
    from tpa.services import create_tpa

    codes = []
    for label in ("A", "B"):
        code = await create_tpa(f"SCOPE{label}{uuid.uuid4().hex[:8].upper()}", f"Scope tenant {label}", "scope test")
        await load_bronze(code, [{"Claim Number": f"{label}-1", "Member": f"{label}-member"}])
        mapping = {"tpa": code, "source_field": "Claim Number", "target_table": "MEDICAL_CLAIMS"}
        await create_mapping({**mapping, "target_column": "CLAIM_ID"}, user="scope-test")
        rule = {"tpa": code, "table_name": "MEDICAL_CLAIMS", "rule_name": "HAS_ID", "rule_type": "NOT_NULL"}
        await create_rule({**rule, "target_column": "CLAIM_ID"}, user="scope-test")
        codes.append(code)
    return codes


async def _scoped_principals(own: str) -> list[tuple[str, str, AsyncClient, dict[str, str]]]:
    """(role, scope kind, client, headers): a scoped session user, a scoped token and a read-only scoped token."""
    from medallion.models import TpaScope
    from tests.conftest import _client_for

    principals = []
    for role in ROLES:
        session = await _client_for(role)
        await TpaScope.objects.acreate(user=session.user, tpa_code=own)
        principals.append((role, SCOPE_KINDS[0], session, {}))
        unscoped = await _client_for(role)
        _, raw = await _token(unscoped.user, tpa_codes=[own])
        principals.append((role, SCOPE_KINDS[1], AsyncClient(), {"Authorization": f"Bearer {raw}"}))
        _, read_only = await _token(unscoped.user, tpa_codes=[own], read_only=True)
        principals.append((role, SCOPE_KINDS[2], AsyncClient(), {"Authorization": f"Bearer {read_only}"}))
    return principals


async def _call_for_tpa(client: AsyncClient, endpoint: Endpoint, tpa: str, headers: dict[str, str]):
    """The endpoint aimed at `tpa` wherever it takes one (path, query, JSON body or upload form)."""
    target = endpoint.url({"tpa_code": tpa})
    if "tpa" in endpoint.parameters.query:
        target += ("&" if "?" in target else "?") + f"tpa={tpa}"
    if endpoint.method == "GET":
        return await client.get(target, headers=headers)
    if endpoint.parameters.multipart:
        return await client.post(target, {"tpa": tpa}, headers=headers)
    body = HARMLESS_BODIES.get(endpoint.id, {})
    if isinstance(body, dict) and "tpa" in endpoint.parameters.body:
        body = {**body, "tpa": tpa}
    method = getattr(client, endpoint.method.lower())
    return await method(target, body, content_type="application/json", headers=headers)


GHOST = "SCOPEGHOSTNEVERCREATED"
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ][0-9:.]+Z?")


def _masked(response, code: str) -> str:
    """The answer with the asked-for code and times blanked: what tells one TPA from another."""
    return _TIMESTAMP.sub("<time>", response.content.decode().replace(code, "<tpa>"))


def _aims_at_a_tpa(endpoint: Endpoint) -> bool:
    parameters = endpoint.parameters
    return (
        "tpa_code" in endpoint.path_parameters
        or "tpa" in parameters.query
        or "tpa" in parameters.body
        or (parameters.multipart)
    )


@pytest.mark.parametrize("endpoint", PROTECTED, ids=str)
async def test_scoped_users_and_tokens_never_reach_another_tpa(endpoint, two_tpas):
    """Aimed at TPA B, a principal scoped to TPA A gets exactly what it gets for a TPA that does not exist (404
    wherever an unknown TPA is 404); without a TPA it gets A's data only ("All TPAs" is its TPAs). Read-only
    tokens write nothing."""
    require_route(endpoint.url())
    own, other = two_tpas
    for role, kind, client, headers in await _scoped_principals(own):
        tried.add((endpoint.id, role, kind))
        read_only = kind == SCOPE_KINDS[2]
        writes = endpoint.method != "GET"
        if _aims_at_a_tpa(endpoint):
            aimed = await _call_for_tpa(client, endpoint, other, headers)
            ghost = await _call_for_tpa(client, endpoint, GHOST, headers)
            assert aimed.status_code < 500, (role, kind, aimed.status_code, aimed.content[:300])
            assert (aimed.status_code, _masked(aimed, other)) == (ghost.status_code, _masked(ghost, GHOST)), (
                role,
                kind,
                aimed.content[:300],
            )
        plain = await call(client, endpoint, headers=headers)
        assert plain.status_code < 500, (role, kind, plain.status_code, plain.content[:300])
        assert other not in plain.content.decode(), (role, kind, plain.content[:300])
        if read_only and writes:
            assert_error(plain, 403, "permission_denied")


@pytest.mark.parametrize("path", SCOPED_PAGES)
async def test_scoped_pages_never_show_another_tpa(path, two_tpas):
    require_route(path)
    own, other = two_tpas
    for role, kind, client, _ in await _scoped_principals(own):
        if kind != SCOPE_KINDS[0]:
            continue
        tried.add((path, role, kind))
        plain = await client.get(path)
        assert plain.status_code in (200, 403), (role, path, plain.status_code)
        assert other not in plain.content.decode(), (role, path)
        aimed, ghost = await client.get(path, {"tpa": other}), await client.get(path, {"tpa": GHOST})
        assert aimed.status_code == ghost.status_code, (role, path)
        assert aimed.content.decode().count(other) == ghost.content.decode().count(GHOST), (role, path)


def test_zz_report_the_scoped_matrix_size():
    """Runs last in this module: how many (route, role, scope) combinations the two tests above tried."""
    print(f"\nscoped access matrix: {len(tried)} route x role x scope combinations tried")
