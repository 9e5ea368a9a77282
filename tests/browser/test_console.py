"""The console in a real browser: log in, connect to the sandbox, test, sync now, read history.

Debian's chromium drives it (CI installs it with apt); screenshots of each step are kept in
test-artifacts/browser/.
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

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: apt-get install chromium"
    ),
    pytest.mark.django_db(transaction=True),
]


@contextmanager
def chromium_page():
    """A page of a headless Chromium. The database is used only outside this block: Playwright
    runs an event loop in this thread, where Django would hand out a separate connection."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_an_operator_connects_tests_syncs_and_reads_the_history(live_server, served, settings):
    settings.SYNC_EXECUTOR = "thread"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain http here
    served.apps["bakalari"].faults.latency = 0.02  # a sync of a few seconds, to be watched
    tenant = Tenant.objects.create(name="Gymnázium Demo", slug="demo")
    User.objects.create_superuser("operator", password=PASSWORD)

    with chromium_page() as page:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "operator")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        expect(page.locator("#user-tools")).to_contain_text("operator")

        page.goto(f"{live_server.url}/admin/tenants/connection/add/")
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
        expect(page.locator("#run-live [data-live=streams]")).to_have_text("8 of 8")
        pupils = page.locator("#run-counts tbody tr").nth(5)
        expect(pupils).to_have_text(re.compile(r"pupils\s*598"))
        assert page.evaluate("window.stillTheSamePage") is True
        shot(page, "4-sync-finished")

        page.goto(connection_page)
        page.click("text=Sync history")
        rows = page.locator("#result_list tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("OK")
        expect(rows.first).to_contain_text("2682 created")
        shot(page, "5-history")

    connection = Connection.objects.get(tenant=tenant)
    assert connection.base_url == f"{served.url}/bakalari"
    assert connection.last_test_ok is True
    assert SyncRun.objects.get(connection=connection).status == "ok"
