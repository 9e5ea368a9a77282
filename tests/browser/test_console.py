"""The console in a real browser: log in, connect to the sandbox, test, sync now, read history.

Debian's chromium drives it (CI installs it with apt); screenshots of each step are kept in
test-artifacts/browser/. Every page is watched for errors, a script or style refused by the
Content-Security-Policy among them: the console works under the policy or the test fails.
"""

import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from playwright.sync_api import expect, sync_playwright

from sync.models import SyncRun
from sync.sources.bakalari import dataset
from tenants.models import Connection, Tenant

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(django_settings.BASE_DIR) / "test-artifacts" / "browser"
PASSWORD = "Operátor-Heslo-2026"
# The browser logs a refusal itself too; this names the directive and what was refused.
REPORT_REFUSALS = """document.addEventListener("securitypolicyviolation", (event) => console.error(
  `refused by ${event.violatedDirective}: ${event.blockedURI} at line ${event.lineNumber}`
));"""

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: apt-get install chromium"
    ),
    pytest.mark.django_db(transaction=True),
]


@contextmanager
def chromium_page():
    """A page of a headless Chromium; an error any of its pages or popups logs fails the test
    when the block ends. The database is used only outside this block: Playwright runs an event
    loop in this thread, where Django would hand out a separate connection."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.add_init_script(REPORT_REFUSALS)
        context.on("page", lambda page: watch(page, errors))
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()
    assert errors == []


def watch(page, errors: list[str]) -> None:
    page.on("console", lambda message: keep_error(message, errors))
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))


def keep_error(message, errors: list[str]) -> None:
    where = message.location.get("url", "")
    if message.type == "error" and not where.endswith("/favicon.ico"):  # the site has none
        errors.append(f"{where}: {message.text}")


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.whole_school  # a sync of a whole school, long enough to watch
def test_an_operator_connects_tests_syncs_and_reads_the_history(live_server, served, settings):
    settings.SYNC_EXECUTOR = "thread"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain http here
    # a sync of a few seconds, to be watched: 154 answers, 4 at a time
    served.apps["bakalari"].faults.latency = 0.1
    tenant = Tenant.objects.create(name="Gymnázium Demo", slug="demo")
    User.objects.create_superuser("operator", password=PASSWORD)

    with chromium_page() as page:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "operator")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        expect(page.locator("#user-tools")).to_contain_text("operator")

        page.goto(f"{live_server.url}/admin/tenants/connection/add/")
        with page.expect_popup() as popup:  # the admin's own scripts: "+" beside the tenant
            page.click("#add_id_tenant")
        popup.value.fill("#id_name", "Gymnázium Vedlejší")
        popup.value.fill("#id_slug", "vedlejsi")
        popup.value.click("input[name=_save]")
        expect(page.locator("#id_tenant option:checked")).to_have_text("Gymnázium Vedlejší")
        page.select_option("#id_tenant", str(tenant.pk))
        page.select_option("#id_source", "bakalari")
        expect(page.locator("fieldset.source-sari")).to_be_hidden()
        page.fill("#id_bakalari__base_url", f"{served.url}/bakalari/login")
        page.fill("#id_bakalari__username", dataset.DEMO_USERNAME)
        page.fill("#id_bakalari__password", dataset.DEMO_PASSWORD)
        shot(page, "1-add-connection")
        page.click("input[name=_saveandtest]")
        messages = page.locator("ul.messagelist")
        expect(messages).to_contain_text(
            "Test of Gymnázium Demo · Bakaláři succeeded: Logged in as"
        )
        expect(page).to_have_url(re.compile(r"/admin/tenants/connection/\d+/change/$"))
        connection_page = page.url
        shot(page, "2-saved-and-tested")

        page.click("button[name=test]")
        expect(messages).to_contain_text("Test of Gymnázium Demo · Bakaláři succeeded")

        page.click("button[name=sync]")
        expect(page).to_have_url(re.compile(r"/admin/sync/syncrun/[0-9a-f-]{36}/change/$"))
        page.evaluate("window.stillTheSamePage = true")  # a full reload would forget it
        status = page.locator("#run-live [data-live=status_label]")
        expect(status).to_have_text(re.compile("Queued|Running"))
        expect(page.locator("#run-live [data-live=stage]")).to_contain_text("fetching")
        bar = page.locator("#run-live progress")
        expect(bar).to_have_attribute("value", re.compile(r"^([1-9]|[1-8][0-9])$"))  # fetching
        shot(page, "3-sync-in-progress")
        expect(status).to_have_text("OK", timeout=30_000)
        expect(page.locator("#run-live [data-live=streams]")).to_have_text("11 of 11")
        pupils = page.locator("#run-counts tbody tr").nth(6)
        expect(pupils).to_have_text(re.compile(r"pupils\s*598"))
        assert page.evaluate("window.stillTheSamePage") is True
        shot(page, "4-sync-finished")
        page.reload()  # what the run covered is on the finished run's page
        coverage = page.locator("#coverage")
        expect(coverage).to_contain_text("Everything known to exist was covered")
        expect(coverage).to_contain_text("pupils of 30 of 30 known classes")

        page.goto(connection_page)
        expect(page.locator("#coverage")).to_contain_text("pupils of 30 of 30 known classes")
        page.click("text=Sync history")
        rows = page.locator("#result_list tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("OK")
        expect(rows.first).to_contain_text("6841 created")
        shot(page, "5-history")

        page.goto(f"{live_server.url}/admin/bakalari/pupil/")
        expect(page.locator("#result_list tbody tr")).to_have_count(100)
        page.goto(f"{live_server.url}/admin/tenants/tenant/")
        page.click("#action-toggle")  # the admin's own scripts: select every row
        expect(page.locator(".action-counter")).to_contain_text("2 of 2 selected")
        page.goto(f"{live_server.url}/admin/sync/syncrun/export/")
        fields = page.locator(".selectable-field-export-row input[type=checkbox]:visible")
        expect(fields.first).to_be_checked()
        page.uncheck("input[name=select-all-toggle]")  # import-export's attribute handler
        expect(fields.first).not_to_be_checked()

    connection = Connection.objects.get(tenant=tenant)
    assert connection.base_url == f"{served.url}/bakalari"
    assert connection.last_test_ok is True
    assert SyncRun.objects.get(connection=connection).status == "ok"
