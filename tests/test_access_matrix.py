"""Who may call what: every `/api` route of the contract's table and every page, for each role.

Routes that their engineers have not built yet answer from the catch-all; they are skipped (with the reason)
only while they are missing, so the matrix becomes strict by itself as routes land.
"""

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient
from django.urls import Resolver404, get_resolver, resolve
from django.utils import timezone

from medallion import openapi
from medallion import views as medallion_views
from medallion.models import ApiToken
from medallion.openapi import Parameters
from medallion.roles import ROLES, has_role
from tests.openapi import (
    CONTRACT,
    HARMLESS_BODIES,
    HARMLESS_PATH_VALUES,
    PATH_PARAMETER,
    Endpoint,
    api_endpoints,
    contract_table_rows,
    load_endpoints,
)

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
tried: set[tuple[str, str, str]] = set()
NOTHING, TPA_QUERY, TPA_BODY = Parameters(), Parameters(query=("tpa",)), Parameters(body=("tpa",))
# Every /api route beyond the contract's table, with what aims it at a TPA besides its path parameters (the "tpa"
# query or body field; "ids" takes queue ids). A new route fails test_every_route_is_in_the_scoped_matrix until
# it is listed here or in EXEMPT_API with the reason.
EXTRA_API: dict[tuple[str, str], Parameters] = {
    ("GET", "/api/admin/audit"): NOTHING,
    ("GET", "/api/admin/tasks"): NOTHING,
    ("POST", "/api/admin/tasks/{task_name}/resume"): NOTHING,
    ("POST", "/api/admin/tasks/{task_name}/run"): NOTHING,
    ("PUT", "/api/admin/tasks/{task_name}/schedule"): NOTHING,
    ("POST", "/api/admin/tasks/{task_name}/suspend"): NOTHING,
    ("GET", "/api/bronze/files/reconciliation"): Parameters(query=("ids",)),
    ("GET", "/api/bronze/files/{queue_id}/reconciliation"): NOTHING,
    ("GET", "/api/bronze/layouts"): TPA_QUERY,
    ("POST", "/api/bronze/layouts"): TPA_BODY,
    ("DELETE", "/api/bronze/layouts/{layout_name}"): TPA_QUERY,
    ("GET", "/api/gold/lineage"): TPA_QUERY,
    ("POST", "/api/gold/quality/run"): TPA_BODY,
    ("GET", "/api/gold/reconciliation/monthly"): TPA_QUERY,
    ("POST", "/api/gold/refresh"): TPA_BODY,
    ("GET", "/api/gold/refresh/runs"): TPA_QUERY,
    ("POST", "/api/gold/rules/quality"): TPA_BODY,
    ("PUT", "/api/gold/rules/quality/{rule_id}"): TPA_BODY,
    ("POST", "/api/gold/rules/transformation"): TPA_BODY,
    ("PUT", "/api/gold/rules/transformation/{rule_id}"): TPA_BODY,
    ("PATCH", "/api/logs/errors/{error_id}"): NOTHING,
    ("GET", "/api/openapi.json"): NOTHING,
    ("GET", "/api/ops/alerts/deliveries"): NOTHING,
    ("GET", "/api/ops/alerts/subscriptions"): NOTHING,
    ("POST", "/api/ops/alerts/subscriptions"): TPA_BODY,
    ("DELETE", "/api/ops/alerts/subscriptions/{subscription_id}"): NOTHING,
    ("GET", "/api/ops/expectations"): TPA_QUERY,
    ("POST", "/api/ops/expectations"): TPA_BODY,
    ("DELETE", "/api/ops/expectations/{file_kind}"): TPA_QUERY,
    ("GET", "/api/silver/claims/{claim_id}/versions"): TPA_QUERY,
    ("GET", "/api/silver/data/export"): TPA_QUERY,
    ("GET", "/api/silver/flags"): TPA_QUERY,
    ("GET", "/api/silver/lineage/records/{record_id}"): NOTHING,
    ("POST", "/api/silver/mappings/builtin/x12-837"): TPA_BODY,
    ("POST", "/api/silver/mappings/preview"): TPA_BODY,
    ("PATCH", "/api/silver/mappings/{mapping_id}"): NOTHING,
    ("GET", "/api/silver/quarantine"): TPA_QUERY,
    ("GET", "/api/silver/quarantine/export"): TPA_QUERY,
    ("POST", "/api/silver/quarantine/release"): TPA_BODY,
    ("GET", "/api/silver/rules"): TPA_QUERY,
    ("POST", "/api/silver/rules"): TPA_BODY,
    ("PUT", "/api/silver/rules/{rule_id}"): NOTHING,
    ("DELETE", "/api/silver/rules/{rule_id}"): NOTHING,
    ("GET", "/api/silver/transform/batches/{batch_id}"): NOTHING,
    ("GET", "/api/silver/transform/history"): TPA_QUERY,
}
EXEMPT_API = {
    ("GET", "/api/events"): "streams until the client leaves; tests/test_tenant_scope.py checks a scoped stream",
}
# Every page (and other non-API route); path parameters aim a page at a TPA's resource, the "tpa" query and form field
# at the TPA itself.
SCOPED_PAGES = (
    *VIEWER_PAGES, "/bronze/upload", *ADMIN_PAGES, "/operations/audit", "/operations/alerts", "/api/docs", "/metrics",
    "/select-tpa", "/silver/schemas/export.csv", "/silver/schemas/import", "/silver/mappings/overview",
    "/silver/mappings/export.csv", "/silver/mappings/import", "/silver/mappings/prompt-template", "/silver/quarantine",
    "/silver/flags", "/silver/lineage/{record_id}", "/gold/analytics/{table_name}/export.csv",
    "/bronze/files/{queue_id}/reconciliation", "/gold/reconciliation", "/gold/reconciliation/export.csv",
    "/gold/lineage", "/bronze/layouts", "/operations/alerts/expectations", "/operations/alerts/expectations/delete",
    "/operations/alerts/subscriptions", "/operations/alerts/subscriptions/{subscription_id}/delete",
    *(f"/operations/tasks/{{task_name}}/{action}" for action in ("resume", "run", "schedule", "suspend")),
    "/operations/tpas/add",
    *(f"/operations/tpas/{{tpa_code}}/{action}" for action in ("activate", "conversions", "deactivate", "delete")),
    "/operations/tpas/{tpa_code}/edit",
)  # fmt: skip
EXEMPT_ROUTES = {
    "/accounts/": "sign-in and sign-out show no TPA data (tests/test_login_throttle.py)",
    "/django-admin/": "Django's admin is for staff accounts (test_django_admin_is_for_admins_only)",
    "/^admin/": "old admin addresses redirect to /operations/<page>, which the matrix tries",
    "/^api/": "the /api catch-all answers 404 to everything",
}
# Values a route needs besides the TPA, so that the TPA is what decides its answer.
FIXED_QUERY = {
    "/api/gold/lineage": "year=2026&month=1",
    "/gold/lineage": "year=2026&month=1",
    "/api/gold/reconciliation/monthly": "month=2026-01",
    "/gold/reconciliation": "month=2026-01",
    "/gold/reconciliation/export.csv": "month=2026-01",
    **{
        path: "table_name=MEDICAL_CLAIMS"
        for path in (
            "/api/silver/data", "/api/silver/data/stats", "/api/silver/data/export", "/api/silver/flags",
            "/api/silver/quarantine", "/api/silver/quarantine/export", "/api/silver/claims/{claim_id}/versions",
        )
    },
}  # fmt: skip
FIXED_BODY: dict[str, dict[str, str]] = {
    "/api/silver/quarantine/release": {"table_name": "MEDICAL_CLAIMS"},
    "/api/silver/mappings/preview": {"source_field": "Claim Number", "target_table": "MEDICAL_CLAIMS"},
}
PAGE_PATH_VALUES = {"table_name": "CLAIMS_ANALYTICS"}
RESOURCES = ("queue_id", "record_id", "mapping_id", "rule_id", "batch_id")


def _endpoint(route: openapi.Route) -> Endpoint:
    contract = {(endpoint.method, endpoint.path): endpoint for endpoint in API}
    key = (route.method, route.path)
    return contract.get(key) or Endpoint("-", route.method, route.path, route.role, EXTRA_API.get(key, NOTHING))


SCOPED_API = [
    endpoint
    for endpoint in map(_endpoint, openapi.routes())
    if endpoint.role != "none" and (endpoint.method, endpoint.path) not in EXEMPT_API
]


def _resolved_routes() -> dict[str, Any]:
    routes = openapi.walk(get_resolver().url_patterns)
    return {openapi.CONVERTER.sub(r"{\g<name>}", route): view for route, view in routes}


def test_every_route_is_in_the_scoped_matrix():
    """Derived from the URL resolver: a route the scoped matrix does not try is listed here with the reason."""
    listed_api = {(endpoint.method, endpoint.path) for endpoint in API} | set(EXTRA_API) | set(EXEMPT_API)
    resolved_api = {(route.method, route.path) for route in openapi.routes()}
    assert sorted(resolved_api - listed_api) == [], "add these API routes to EXTRA_API (or EXEMPT_API, with why)"
    assert sorted((set(EXTRA_API) | set(EXEMPT_API)) - resolved_api) == [], "these listed API routes are gone"
    other = {
        route
        for route, view in _resolved_routes().items()
        if not route.startswith(openapi.API_PREFIX) or hasattr(view, "page_role")
    }
    exempt = {route for route in other if route.startswith(tuple(EXEMPT_ROUTES))}
    assert sorted(other - exempt - set(SCOPED_PAGES)) == [], "add these pages to SCOPED_PAGES (or EXEMPT_ROUTES)"
    assert sorted(set(SCOPED_PAGES) - other) == [], "these listed pages are gone"


@dataclass(frozen=True)
class Tenant:
    code: str
    resources: dict[str, str]  # path parameter -> this TPA's value (its file's queue id, a record id, ...)

    @property
    def values(self) -> dict[str, str]:
        return {"tpa_code": self.code, **self.resources}


GHOST = "SCOPEGHOSTNEVERCREATED"
NOBODY = Tenant(GHOST, {name: HARMLESS_PATH_VALUES[name] for name in RESOURCES})


async def _tenant(label: str) -> Tenant:
    """A TPA with a loaded file, a Bronze record, a mapping, a rule, a transform batch and an expected file."""
    from medallion.clock import utc_now
    from medallion.warehouse import warehouse
    from ops.cadence import Expectation, cadence_of, save_expectation
    from silver.mappings import create_mapping
    from silver.rules import create_rule
    from tests.test_silver_tables import load_bronze
    from tpa.services import create_tpa

    code = await create_tpa(f"SCOPE{label}{uuid.uuid4().hex[:8].upper()}", f"Scope tenant {label}", "scope test")
    await load_bronze(code, [{"Claim Number": f"{label}-1", "Member": f"{label}-member"}])
    wh, now, batch_id = warehouse(), utc_now(), uuid.uuid4().hex
    await wh.execute(
        "INSERT INTO BRONZE.FILE_PROCESSING_QUEUE (FILE_NAME, TPA, FILE_TYPE, STATUS, DISCOVERED_TIMESTAMP, "
        "PROCESSED_TIMESTAMP, RETRY_COUNT, ROWS_LOADED) VALUES (?, ?, 'CSV', 'SUCCESS', ?, ?, 0, 1)",
        (f"{code}/claims.csv", code, now, now),
    )
    queue_id = await wh.fetch_value("SELECT MAX(QUEUE_ID) FROM BRONZE.FILE_PROCESSING_QUEUE WHERE TPA = ?", (code,))
    await wh.execute("UPDATE BRONZE.RAW_DATA_TABLE SET QUEUE_ID = ? WHERE TPA = ?", (queue_id, code))
    record_id = await wh.fetch_value("SELECT MAX(RECORD_ID) FROM BRONZE.RAW_DATA_TABLE WHERE TPA = ?", (code,))
    await wh.execute(
        "INSERT INTO SILVER.TRANSFORM_BATCHES (BATCH_ID, TPA, TARGET_TABLE, SCHEMA_TABLE, MODE, STATUS, STARTED_AT) "
        "VALUES (?, ?, 'MEDICAL_CLAIMS', 'MEDICAL_CLAIMS', 'FULL', 'SUCCESS', ?)",
        (batch_id, code, now),
    )
    mapping = {"tpa": code, "source_field": "Claim Number", "target_table": "MEDICAL_CLAIMS"}
    mapping_id = await create_mapping({**mapping, "target_column": "CLAIM_ID"}, user="scope-test")
    rule = {"tpa": code, "table_name": "MEDICAL_CLAIMS", "rule_name": "HAS_ID", "rule_type": "NOT_NULL"}
    rule_id = (await create_rule({**rule, "target_column": "CLAIM_ID"}, user="scope-test"))["RULE_ID"]
    monthly = cadence_of("MONTHLY", day=1, weekday=None, cron=None)
    await save_expectation(Expectation(code, "MEDICAL", "*", monthly), user="scope-test")
    ids = {"queue_id": queue_id, "record_id": record_id, "mapping_id": mapping_id, "rule_id": rule_id}
    return Tenant(code, {**{name: str(value) for name, value in ids.items()}, "batch_id": batch_id})


@pytest.fixture
async def two_tpas(transactional_db) -> tuple[Tenant, Tenant]:
    return await _tenant("A"), await _tenant("B")


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


def _aimed_values(path: str, tenant: Tenant) -> dict[str, str]:
    """The path values aiming `path` at the tenant's resources (rule ids are Silver's: Gold rules span TPAs)."""
    values = {**PAGE_PATH_VALUES, **tenant.values}
    if not path.startswith(("/api/silver/", "/silver/")):
        values.pop("rule_id")
    return {name: value for name, value in values.items() if "{" + name + "}" in path}


def _aimed_url(path: str, tenant: Tenant, query: tuple[str, ...] = ("tpa",)) -> str:
    target = PATH_PARAMETER.sub(
        lambda match: quote({**HARMLESS_PATH_VALUES, **_aimed_values(path, tenant)}[match.group(1)], safe=""), path
    )
    parameters = [f"tpa={tenant.code}"] if "tpa" in query else []
    parameters += [f"ids={tenant.resources['queue_id']}"] if "ids" in query else []
    parameters += [FIXED_QUERY[path]] if path in FIXED_QUERY else []
    return target + ("?" + "&".join(parameters) if parameters else "")


async def _call_for_tpa(client: AsyncClient, endpoint: Endpoint, tenant: Tenant, headers: dict[str, str]):
    """The endpoint aimed at the tenant wherever it takes one (path, query, JSON body or upload form)."""
    target = _aimed_url(endpoint.path, tenant, endpoint.parameters.query)
    if endpoint.method == "GET":
        return await client.get(target, headers=headers)
    if endpoint.parameters.multipart:
        return await client.post(target, {"tpa": tenant.code}, headers=headers)
    body = {**HARMLESS_BODIES.get(endpoint.id, {}), **FIXED_BODY.get(endpoint.path, {})}
    if isinstance(HARMLESS_BODIES.get(endpoint.id), list):
        body = HARMLESS_BODIES[endpoint.id]
    elif "tpa" in endpoint.parameters.body:
        body = {**body, "tpa": tenant.code}
    method = getattr(client, endpoint.method.lower())
    return await method(target, body, content_type="application/json", headers=headers)


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ][0-9:.]+Z?")


def _masked(response, path: str, tenant: Tenant) -> str:
    """The answer with the asked-for code, ids and times blanked: what tells one TPA from another."""
    text = _TIMESTAMP.sub("<time>", response.content.decode()).replace(tenant.code, "<tpa>")
    for name, value in _aimed_values(path, tenant).items():
        text = re.sub(rf"\b{re.escape(value)}\b", f"<{name}>", text)
    return text


def _aims_at_a_tpa(endpoint: Endpoint) -> bool:
    parameters = endpoint.parameters
    return (
        bool(set(endpoint.path_parameters) & {"tpa_code", *RESOURCES})
        or bool({"tpa", "ids"} & set(parameters.query))
        or "tpa" in parameters.body
        or parameters.multipart
    )


@pytest.mark.parametrize("endpoint", SCOPED_API, ids=str)
async def test_scoped_users_and_tokens_never_reach_another_tpa(endpoint, two_tpas):
    """Aimed at TPA B or its resources, a principal scoped to TPA A gets exactly what it gets for a TPA (or id) that
    does not exist (404 wherever an unknown one is 404); without a TPA it gets A's data only ("All TPAs" is its
    TPAs). Read-only tokens write nothing."""
    require_route(endpoint.url())
    own, other = two_tpas
    for role, kind, client, headers in await _scoped_principals(own.code):
        tried.add((str(endpoint), role, kind))
        read_only = kind == SCOPE_KINDS[2]
        writes = endpoint.method != "GET" and endpoint.role != "viewer"  # a viewer's POST (a preview) reads
        if _aims_at_a_tpa(endpoint):
            aimed = await _call_for_tpa(client, endpoint, other, headers)
            ghost = await _call_for_tpa(client, endpoint, NOBODY, headers)
            assert aimed.status_code < 500, (role, kind, aimed.status_code, aimed.content[:300])
            assert (aimed.status_code, _masked(aimed, endpoint.path, other)) == (
                ghost.status_code,
                _masked(ghost, endpoint.path, NOBODY),
            ), (role, kind, aimed.content[:300])
        plain = await call(client, endpoint, headers=headers)
        assert plain.status_code < 500, (role, kind, plain.status_code, plain.content[:300])
        assert other.code not in plain.content.decode(), (role, kind, plain.content[:300])
        if read_only and writes:
            assert_error(plain, 403, "permission_denied")


@pytest.mark.parametrize("path", SCOPED_PAGES)
async def test_scoped_pages_never_show_another_tpa(path, two_tpas):
    """Read (GET) and posted to (a form naming the TPA), aimed at TPA B or its resources, a page looks to a user
    scoped to A exactly as for a TPA that does not exist; aimed at A's own resources it never shows B."""
    own, other = two_tpas
    for role, kind, client, _ in await _scoped_principals(own.code):
        if kind != SCOPE_KINDS[0]:
            continue
        tried.add((path, role, kind))
        plain = await client.get(_aimed_url(path, own))
        assert plain.status_code in (200, 302, 403), (role, path, plain.status_code)
        assert other.code not in await _seen(plain), (role, path)
        for method in ("GET", "POST"):
            aimed, ghost = [await _page_call(client, method, path, tenant) for tenant in (other, NOBODY)]
            assert aimed.status_code == ghost.status_code, (role, path, method)
            assert (await _seen(aimed)).count(other.code) == (await _seen(ghost)).count(GHOST), (role, path, method)


async def _seen(response) -> str:
    """What the client reads: the body (streamed or not) and where a redirect sends it."""
    if not response.streaming:
        return response.content.decode() + response.get("Location", "")
    if response.is_async:
        chunks = [chunk async for chunk in response.streaming_content]
    else:
        chunks = list(response.streaming_content)
    return b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in chunks).decode()


async def _page_call(client: AsyncClient, method: str, path: str, tenant: Tenant):
    if method == "GET":
        return await client.get(_aimed_url(path, tenant))
    return await client.post(_aimed_url(path, tenant), {"tpa": tenant.code})


def test_zz_report_the_scoped_matrix_size():
    """Runs last in this module: how many (route, role, scope) combinations the two tests above tried."""
    print(f"\nscoped access matrix: {len(tried)} route x role x scope combinations tried")
