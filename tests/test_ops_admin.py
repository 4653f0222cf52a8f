import uuid
from pathlib import Path

import pytest
from django.test import AsyncClient

from medallion import events
from medallion.task_registry import TASKS, register_task
from medallion.warehouse import migrate, warehouse
from medallion.warehouse.migrate import Migration, discover
from ops import schema_check
from ops.clear_data import clear_all_preview
from ops.metrics import requests

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN_PAGES = (
    "/operations/tasks",
    "/operations/tasks?layer=OPS",
    "/operations/logs",
    "/operations/logs?tab=errors",
    "/operations/logs?tab=api-requests",
    "/operations/logs?tab=file-processing",
    "/operations/logs?tab=tasks",
    "/operations/system",
    "/operations/schema",
    "/operations/clear-data",
    "/operations/audit",
)


async def test_metrics_refuse_everyone_but_admins(anonymous_client, viewer_client, operator_client, admin_client):
    response = await anonymous_client.get("/metrics")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    assert (await viewer_client.get("/metrics")).status_code == 403
    assert (await operator_client.get("/metrics")).status_code == 403
    assert (await anonymous_client.get("/metrics", headers={"Authorization": "Bearer nope"})).status_code == 401

    response = await admin_client.get("/metrics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain; version=0.0.4")
    body = response.content.decode()
    for family in (
        "medallion_warehouse_up 1",
        "# TYPE medallion_http_requests_total counter",
        "medallion_warehouse_pool_size",
        "medallion_warehouse_executor_queue",
        "medallion_warehouse_query_seconds{quantile=",
        "# TYPE medallion_cache_hits_total counter",
        'medallion_cache_misses_total{namespace="tpas"}',
        "# TYPE medallion_queue_files gauge",
        'medallion_log_entries_dropped_total{table="OPS.API_REQUEST_LOG"}',
    ):
        assert family in body


async def test_metrics_token_for_scrapers(settings, anonymous_client):
    settings.METRICS_TOKEN = "scrape-secret"
    ok = await anonymous_client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert ok.status_code == 200 and "medallion_warehouse_up" in ok.content.decode()
    wrong = await anonymous_client.get("/metrics", headers={"Authorization": "Bearer scrape-secre"})
    assert wrong.status_code == 401


async def test_route_metrics_middleware_counts_by_route(admin_client):
    client = AsyncClient()
    await client.aforce_login(admin_client.user)
    before = requests.counts[("GET", "api/bronze/tasks", 200)]
    await client.get("/api/bronze/tasks")
    await client.get("/api/bronze/tasks")
    await client.get("/api/no/such/route/here")
    assert requests.counts[("GET", "api/bronze/tasks", 200)] == before + 2
    assert requests.latency["api/bronze/tasks"].count >= 2
    body = (await client.get("/metrics")).content.decode()
    assert 'medallion_http_requests_total{method="GET",route="api/bronze/tasks",status="200"}' in body
    assert 'medallion_http_request_duration_seconds_bucket{route="api/bronze/tasks",le="+Inf"}' in body
    assert "/api/no/such/route/here" not in body


@pytest.mark.parametrize("path", ADMIN_PAGES)
async def test_admin_pages_refuse_non_admins(anonymous_client, viewer_client, operator_client, admin_client, path):
    response = await anonymous_client.get(path)
    assert response.status_code == 302 and "/accounts/login" in response["Location"]
    assert (await viewer_client.get(path)).status_code == 403
    assert (await operator_client.get(path)).status_code == 403
    assert (await admin_client.get(path)).status_code == 200


async def test_schema_validation_shape(admin_client, viewer_client):
    assert (await viewer_client.get("/api/admin/validate-schema")).status_code == 403
    report = (await admin_client.get("/api/admin/validate-schema")).json()
    for group in ("bronze", "silver", "gold", "procedures"):
        assert set(report[group]) == {"status", "required_count", "existing_count"}
    assert report["bronze"] == {
        "status": "PASS",
        "required_count": report["bronze"]["required_count"],
        "existing_count": report["bronze"]["required_count"],
    }
    assert report["bronze"]["required_count"] >= 3 and report["ops"]["status"] == "PASS"
    assert report["procedures"] == {"status": "PASS", "required_count": 0, "existing_count": 0}
    checks = {c["check_name"]: c for c in report["critical_checks"]}
    assert checks["Transform Readiness"] == {
        "check_name": "Transform Readiness",
        "status": "READY",
        "details": "All components present",
    }
    assert checks["Warehouse DDL Version"]["status"] == "READY"
    assert report["missing_procedures"] == [] and report["pending_migrations"] == []
    assert report["overall_status"] in {"COMPLETE", "INCOMPLETE"}


def extra_migrations(monkeypatch, folder: Path, scripts: dict[str, str], *modules: object) -> None:
    """Migrations written to `folder` (file name -> DDL) that the given modules discover besides the real ones."""
    extra = []
    for name, text in scripts.items():
        (folder / name).write_text(text)
        extra.append(Migration(int(name[:4]), Path(name).stem, folder / name))
    for module in modules:
        monkeypatch.setattr(module, "discover", lambda: [*discover(), *extra])
    schema_check.declarations.cache_clear()


async def test_schema_validation_reports_unapplied_ddl(admin_client, monkeypatch, tmp_path):
    scripts = {
        "0599_gold_extra.sql": "CREATE TABLE IF NOT EXISTS GOLD.NOT_THERE_YET (ID INTEGER);\n"
        "ALTER TABLE OPS.TASKS ADD COLUMN X INT;\n",
        "0598_alter.sql": "ALTER TABLE OPS.TASKS ADD COLUMN Y INT;\n",
    }
    extra_migrations(monkeypatch, tmp_path, scripts, schema_check)
    try:
        report = (await admin_client.get("/api/admin/validate-schema")).json()
    finally:
        schema_check.declarations.cache_clear()
    assert report["overall_status"] == "INCOMPLETE"
    assert report["gold"]["status"] == "FAIL"
    assert report["gold"]["existing_count"] == report["gold"]["required_count"] - 1
    assert "GOLD.NOT_THERE_YET" in report["missing_tables"]
    assert "migration 0598_alter not applied" in report["missing_tables"]
    checks = {c["check_name"]: c for c in report["critical_checks"]}
    assert checks["Warehouse DDL Version"]["status"] == "NOT READY"
    assert "0599_gold_extra" in checks["Warehouse DDL Version"]["details"]


async def test_repair_recreates_a_dropped_table_with_its_later_columns_and_seed_rows(
    admin_client, monkeypatch, tmp_path
):
    scripts = {
        "9997_probe.sql": "CREATE TABLE IF NOT EXISTS OPS.REPAIR_PROBE (ID INTEGER);\n"
        "INSERT INTO OPS.REPAIR_PROBE (ID) VALUES (7);\n",
        "9998_probe_column.sql": "ALTER TABLE OPS.REPAIR_PROBE ADD COLUMN NOTE VARCHAR(10);\n",
    }
    extra_migrations(monkeypatch, tmp_path, scripts, migrate, schema_check)
    wh = warehouse()
    try:
        await migrate.migrate(wh)
        await wh.execute("DROP TABLE OPS.REPAIR_PROBE")
        assert await migrate.migrate(wh) == [], "migrate applies each migration once: it cannot repair"
        page = (await admin_client.get("/operations/schema")).content.decode()
        assert "<code>OPS.REPAIR_PROBE</code>" in page and "warehouse_migrate --repair" in page

        assert await migrate.repair(wh) == ["OPS.REPAIR_PROBE"]

        assert await wh.fetch_all("SELECT ID, NOTE FROM OPS.REPAIR_PROBE") == [{"ID": 7, "NOTE": None}]
        report = (await admin_client.get("/api/admin/validate-schema")).json()
        assert "OPS.REPAIR_PROBE" not in report["missing_tables"]
        assert await migrate.repair(wh) == []
    finally:
        schema_check.declarations.cache_clear()
        await wh.execute("DROP TABLE IF EXISTS OPS.REPAIR_PROBE")
        await wh.execute("DELETE FROM OPS.SCHEMA_VERSION WHERE VERSION IN (9997, 9998)")


async def test_declared_objects_are_parsed_from_ddl():
    text = 'create table if not exists silver.a (x int);\nCREATE OR REPLACE VIEW "GOLD"."V_B" AS SELECT 1;'
    assert schema_check.declared_objects(text) == ("SILVER.A", "GOLD.V_B")


async def test_task_page_actions_are_audited(admin_client):
    name = f"PAGE_TASK_{uuid.uuid4().hex[:6].upper()}"

    async def run() -> dict[str, int]:
        return {"records_processed": 0}

    register_task(name, layer="GOLD", run=run, description="page test", schedule="60 MINUTE")
    try:
        page = await admin_client.get("/operations/tasks?layer=GOLD")
        assert name in page.content.decode()
        response = await admin_client.post(f"/operations/tasks/{name}/suspend?layer=GOLD")
        assert response.status_code == 302 and response["Location"] == "/operations/tasks?layer=GOLD"
        response = await admin_client.post(f"/operations/tasks/{name}/schedule?layer=GOLD", {"schedule": "every day"})
        assert response.status_code == 302
        listed = (await admin_client.get("/api/gold/tasks")).json()
        task = next(t for t in listed if t["name"] == name)
        assert task["state"] == "suspended" and task["schedule"] == "60 MINUTE"
        audit = (await admin_client.get(f"/api/admin/audit?entity_type=task&entity_id={name}")).json()
        assert [a["ACTION"] for a in audit] == ["SUSPEND"]
        assert audit[0]["BEFORE_VALUE"] == {"state": "started"} and audit[0]["AFTER_VALUE"] == {"state": "suspended"}
        assert audit[0]["USER_NAME"] == admin_client.user.username
    finally:
        TASKS.pop(name, None)


async def test_logs_page_resolves_errors(admin_client):
    source = f"page-{uuid.uuid4().hex[:8]}"
    events.log_error(source, "disk full")
    await events.flush_all()
    error_id = await warehouse().fetch_value("SELECT ERROR_ID FROM OPS.ERROR_LOG WHERE ERROR_SOURCE = ?", (source,))
    page = await admin_client.get(f"/operations/logs?tab=errors&source={source}")
    assert "disk full" in page.content.decode()
    response = await admin_client.post(
        f"/operations/logs?tab=errors&source={source}",
        {"error_id": error_id, "resolution_status": "RESOLVED", "resolution_notes": "freed space"},
    )
    assert response.status_code == 302
    row = await warehouse().fetch_one(
        "SELECT RESOLUTION_STATUS, RESOLUTION_NOTES, RESOLVED_BY FROM OPS.ERROR_LOG WHERE ERROR_ID = ?", (error_id,)
    )
    assert row == {
        "RESOLUTION_STATUS": "RESOLVED",
        "RESOLUTION_NOTES": "freed space",
        "RESOLVED_BY": admin_client.user.username,
    }
    bad = await admin_client.get("/operations/logs?tab=errors&days=999")
    assert bad.status_code == 200 and "days" in bad.content.decode()


async def test_clear_data_page_shows_what_will_go(admin_client, unique_code, settings):
    folder = Path(settings.WAREHOUSE_STAGE_DIR) / "SRC" / unique_code
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "claims.csv").write_text("a\n1\n")
    body = (await admin_client.get("/operations/clear-data")).content.decode()
    for text in (
        "SRC",
        "PROCESSING",
        "COMPLETED",
        "ERROR",
        "ARCHIVE",
        "BRONZE.RAW_DATA_TABLE",
        "BRONZE.FILE_PROCESSING_QUEUE",
        "DELETE",
        "clear_data.js",
    ):
        assert text in body
    preview = await clear_all_preview()
    assert [s["stage"] for s in preview["stages"]] == ["SRC", "PROCESSING", "COMPLETED", "ERROR", "ARCHIVE"]
    assert preview["stages"][0]["files"] >= 1 and preview["stages"][0]["bytes"] >= 4
    script = (Path(settings.BASE_DIR) / "static" / "ops" / "clear_data.js").read_text()
    assert 'data-url="/api/bronze/clear-all-data"' in body
    assert "form.dataset.url" in script and 'confirm: "DELETE"' in script


@pytest.mark.parametrize("page", ["tpas", "tasks", "logs", "audit", "system", "schema", "clear-data"])
async def test_old_admin_paths_redirect_to_operations_keeping_method_and_query(admin_client, page):
    response = await admin_client.post(f"/admin/{page}?layer=GOLD", {"x": "1"})
    assert response.status_code == 308
    assert response["Location"] == f"/operations/{page}?layer=GOLD"
    assert (await admin_client.get(f"/operations/{page}")).status_code == 200
