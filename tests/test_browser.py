"""Headless Chromium (Debian's package) through Playwright against a live `manage.py serve`: the first run from
upload to Gold charts, a bad file's reason on screen, and a viewer who sees no write buttons. Screenshots go to
test-artifacts/browser/."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from demo import samples
from tests.e2e_support import BASE_DIR, Site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
ARTIFACTS = BASE_DIR / "test-artifacts" / "browser"
PASSWORD = "browser-test-password-1"
LAYOUTS = {layout.tpa_code: layout for layout in samples.DEMO_LAYOUTS}
FIRST, SECOND = "PROVIDER_A", "MERIDIAN"
TABLE = "MEDICAL_CLAIMS"
WAIT_MS = 60_000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _ensure_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update"], capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "chromium"], capture_output=True, timeout=900)
    if not CHROMIUM.exists():
        _unavailable("Debian's chromium is not installed and could not be installed")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    _ensure_chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def live():
    site = Site()
    site.user("browser-admin", "admin", PASSWORD)
    site.user("browser-viewer", "viewer", PASSWORD)
    token = site.token("browser-script", "admin")
    server = site.serve()
    with server.client(token) as client:
        for code in (FIRST, SECOND):
            assert client.post("/api/tpas", json={"tpa_code": code, "tpa_name": LAYOUTS[code].name}).status_code == 201
    server.site, server.token = site, token
    yield server
    server.stop()
    site.remove()


def _signed_in(browser, live, username: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{live.url}/accounts/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit], form button")
    page.wait_for_url(f"{live.url}/")
    return page


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _upload(page, live, tpa: str, path: Path) -> None:
    page.goto(f"{live.url}/bronze/upload")
    page.select_option("#upload-tpa", tpa)
    page.set_input_files("#file-input", str(path))
    page.click("#start-upload")
    page.wait_for_selector(f"#uploads li:has-text('{path.name}') .outcome.SUCCESS")


def _map_and_create(live, tpa: str) -> None:
    with live.client(live.token) as client:
        body = {"tpa": tpa, "target_table": TABLE, "source_table": "RAW_DATA_TABLE", "top_n": 1}
        mapped = client.post("/api/silver/mappings/auto-ml", json=body)
        assert mapped.status_code == 200 and mapped.json()["mappings_created"] > 0, mapped.text
        for mapping in client.get("/api/silver/mappings", params={"tpa": tpa, "target_table": TABLE}).json():
            if not mapping["APPROVED"]:
                assert client.post(f"/api/silver/mappings/{mapping['MAPPING_ID']}/approve").status_code == 200
        created = client.post("/api/silver/tables/create", json={"tpa": tpa, "table_name": TABLE})
        assert created.status_code in (200, 201), created.text


def _transform(page, live, code: str) -> None:
    _map_and_create(live, code)
    page.goto(f"{live.url}/silver/mappings?tpa={code}&table={TABLE}")
    _shot(page, f"03-mappings-{code}")
    page.goto(f"{live.url}/silver/transform?tpa={code}&table={TABLE}")
    with page.expect_navigation():  # the page reloads itself after showing the result
        page.click("#run-button")
        # A selector, not wait_for_function: the Content-Security-Policy refuses the eval that one needs.
        page.wait_for_selector("#run-result:not(:empty)")
        result = page.inner_text("#run-result")
    _shot(page, f"04-transform-{code}")
    assert result.startswith("SUCCESS: Transformed"), (code, result)


def test_first_run_from_upload_to_gold_charts(browser, live, tmp_path):
    page = _signed_in(browser, live, "browser-admin")
    suffix = {code: "csv" if LAYOUTS[code].delimiter == "," else "txt" for code in (FIRST, SECOND)}
    files = {
        code: samples.write_csv(tmp_path / f"{code.lower()}-medical.{suffix[code]}", LAYOUTS[code], "MEDICAL", 300)
        for code in (FIRST, SECOND)
    }
    for code, path in files.items():
        _upload(page, live, code, path)
    _shot(page, "01-uploaded")
    page.goto(f"{live.url}/bronze/status")
    for path in files.values():
        page.wait_for_selector(f"#queue-rows tr:has-text('{path.name}') .badge.SUCCESS")
    _shot(page, "02-status-success")

    _transform(page, live, FIRST)
    page.goto(f"{live.url}/silver/data?tpa={FIRST}&table={TABLE}")
    assert page.locator("table.data tbody tr").count() > 0
    _shot(page, "05-silver-data")
    page.goto(f"{live.url}/silver/quality?tpa={FIRST}&table={TABLE}")
    page.click("#run-check")
    page.wait_for_selector("text=/\\d+(\\.\\d+)?\\s?%/")
    _shot(page, "06-quality-score")

    page.goto(f"{live.url}/gold/analytics?tpa={FIRST}")
    with page.expect_navigation():
        page.click("#refresh-now")
    page.wait_for_load_state()
    assert page.locator("text=No refresh has run yet").count() == 0
    assert page.locator(".charts svg").count() >= 4
    assert page.locator(".charts >> text=No data yet").count() == 0, "Gold charts are empty after the refresh"
    _shot(page, "07-gold-charts")
    _transform(page, live, SECOND)


def test_a_bad_file_shows_its_reason(browser, live, tmp_path):
    page = _signed_in(browser, live, "browser-admin")
    bad = tmp_path / "ragged-claims.csv"
    bad.write_bytes(b"a,b,c\r\n1,2,3\r\n4,5\r\n")
    _upload(page, live, FIRST, bad)
    page.goto(f"{live.url}/bronze/status")
    row = page.locator(f"#queue-rows tr:has-text('{bad.name}')")
    row.locator(".badge.FAILED").wait_for()
    reason = row.locator(".result").inner_text()
    assert len(reason) > 10 and "Traceback" not in reason
    _shot(page, "08-bad-file-reason")


def test_a_viewer_sees_no_write_buttons(browser, live):
    page = _signed_in(browser, live, "browser-viewer")
    for path, forbidden in (
        ("/bronze/status", "text=Reprocess"),
        ("/bronze/stages", "#delete-selected"),
        (f"/silver/transform?tpa={FIRST}&table={TABLE}", "#run-button"),
        (f"/silver/quality?tpa={FIRST}&table={TABLE}", "#run-check"),
        (f"/silver/mappings?tpa={FIRST}&table={TABLE}", "button:has-text('Approve')"),
        (f"/gold/analytics?tpa={FIRST}", "#refresh-now"),
    ):
        response = page.goto(f"{live.url}{path}")
        assert response.status == 200, path
        assert page.locator(forbidden).count() == 0, f"{path} shows {forbidden} to a viewer"
    assert page.goto(f"{live.url}/bronze/upload").status == 403
    assert page.goto(f"{live.url}/operations/tpas").status == 403
    _shot(page, "09-viewer-readonly")
