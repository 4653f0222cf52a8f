"""Headless Chromium (Debian's package) through Playwright against a live `manage.py serve`: the first run from
upload to Gold charts, a bad file's reason on screen, a viewer who sees no write buttons, every page as every
role without a console error, uncaught exception or failed request, and a file followed live from upload to
SUCCESS on the status page and home without a reload. Screenshots go to test-artifacts/browser/."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from demo import samples
from tests.e2e_support import BASE_DIR, Site

# pure: the app runs in its own server process; this process never opens the warehouse.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.pure]

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
    site.user("browser-operator", "operator", PASSWORD)
    token = site.token("browser-script", "admin")
    server = site.serve()
    with server.client(token) as client:
        for code in (FIRST, SECOND):
            assert client.post("/api/tpas", json={"tpa_code": code, "tpa_name": LAYOUTS[code].name}).status_code == 201
    server.site, server.token = site, token
    yield server
    server.stop()
    site.remove()


class Problems(list):
    """Console errors, uncaught exceptions and failed requests of one page, as they happen."""

    def watch(self, page) -> None:
        page.on("console", lambda message: message.type == "error" and self.append(f"console: {message.text}"))
        page.on("pageerror", lambda error: self.append(f"uncaught: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", lambda response: response.status >= 400 and self.append(
            f"HTTP {response.status}: {response.url}"))  # fmt: skip

    def _failed(self, request) -> None:
        # Leaving a page aborts what it still had in flight (its event stream, a background fetch, the favicon that
        # Chromium requests after load): the browser reports those as ERR_ABORTED. A missing resource still fails
        # the test through its HTTP status, and a page that itself fails to load fails it in goto().
        if "ERR_ABORTED" in (request.failure or ""):
            return
        self.append(f"failed: {request.url} {request.failure}")


def _signed_in(browser, live, username: str, problems: Problems | None = None):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    if problems is not None:
        problems.watch(page)
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
    page.wait_for_selector(f"#uploads li[data-uploaded$='/{path.name}']")
    page.wait_for_selector("#uploads li.process-note")


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
    # The transform answers in place (no reload to race the next navigation, which once ended in
    # net::ERR_ABORTED on /silver/data on a loaded machine); its history re-renders from the event stream.
    page.click("#run-button")
    # A selector, not wait_for_function: the Content-Security-Policy refuses the eval that one needs.
    page.wait_for_selector("#run-result:not(:empty)")
    page.wait_for_selector("#transform-history .badge.SUCCESS")
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
    page.wait_for_selector(".messages .msg-success")
    page.wait_for_selector("text=/\\d+(\\.\\d+)?\\s?%/")
    _shot(page, "06-quality-score")

    page.goto(f"{live.url}/gold/analytics?tpa={FIRST}")
    page.click("#refresh-now")
    page.wait_for_selector(".messages .msg-success:has-text('Gold refresh success')")
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
    try:
        row.locator(".badge.FAILED").wait_for()
    finally:
        _shot(page, "08-bad-file-reason")
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


LATE_ERRORS_MS = 400  # scripts that fail after load (the event stream, htmx) still count
PAGE_ROLES = {"admin": "browser-admin", "operator": "browser-operator", "viewer": "browser-viewer"}


@pytest.mark.parametrize("role", PAGE_ROLES)
def test_every_page_as_each_role_is_console_clean(browser, live, role):
    from django.urls import reverse

    from medallion.context import NAVIGATION
    from medallion.roles import has_role

    problems = Problems()
    page = _signed_in(browser, live, PAGE_ROLES[role], problems)
    names = ["home", *(name for _, links in NAVIGATION for _, name, needed in links if has_role(role, needed))]
    (ARTIFACTS / "pages").mkdir(exist_ok=True)
    for name in names:
        if name == "admin:index":
            continue
        path = reverse(name)
        response = page.goto(f"{live.url}{path}?tpa={FIRST}")
        page.wait_for_load_state("load")
        page.wait_for_timeout(LATE_ERRORS_MS)
        assert response.status == 200, (role, path)
        _shot(page, f"pages/{role}-{name}")
    assert problems == [], problems


def test_a_file_is_followed_live_from_upload_to_success_on_status_and_home(browser, live, tmp_path):
    status = _signed_in(browser, live, "browser-viewer")
    home = status.context.new_page()
    status.goto(f"{live.url}/bronze/status?tpa={SECOND}")
    home.goto(f"{live.url}/")
    for page in (status, home):
        page.evaluate("window.notReloaded = true")
        page.wait_for_function("document.readyState === 'complete'")
    path = samples.write_csv(tmp_path / "live-claims.csv", LAYOUTS[SECOND], "MEDICAL", 40)

    with live.client(live.token) as client:
        with path.open("rb") as stream:
            sent = client.post("/api/bronze/upload", data={"tpa": SECOND}, files={"file": (path.name, stream)})
        assert sent.status_code == 201, sent.text
        assert client.post("/api/bronze/process").status_code == 202

    status.wait_for_selector(f"#queue-rows tr:has-text('{path.name}') .badge.SUCCESS")
    home.wait_for_selector(f"#tpa-overview tr[data-tpa='{SECOND}'] .last-file:has-text('{path.name}') .badge.SUCCESS")
    assert status.evaluate("window.notReloaded") and home.evaluate("window.notReloaded")
    _shot(status, "10-live-status")
    _shot(home, "11-live-home")
