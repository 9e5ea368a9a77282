import os
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tenants.models import Connection, Tenant


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With REQUIRE_TOOLS set (as .ci/run sets it, having installed every tool), a test skipped
    for a missing tool (a browser, cron, a broker, pg_dump) fails: green must mean exercised.
    Tests marked postgres_only may still skip on SQLite."""
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and os.environ.get("REQUIRE_TOOLS")):
        return
    if item.get_closest_marker("postgres_only") or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped, but REQUIRE_TOOLS says every tool is here: {reason}"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A SQLite test database file of this run's own, so two test runs side by side never
    drop each other's tables."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = Path(database["TEST"]["NAME"])
        database["TEST"]["NAME"] = str(name.with_stem(f"{name.stem}-{os.getpid()}"))


@pytest.fixture
def tenant(db):
    return Tenant.objects.create(name="Gymnázium Příkladová", slug="gympri")


@pytest.fixture
def make_connection(tenant):
    def make(**fields):
        fields.setdefault("tenant", tenant)
        fields.setdefault("source", "bakalari")
        fields.setdefault("base_url", "https://skola.example.cz")
        fields.setdefault("options", {"username": "ucitel"})
        fields.setdefault("secrets", {"password": "s3cr3t-Heslo-řžč"})
        return Connection.objects.create(**fields)

    return make


@pytest.fixture
def fresh_key():
    return Fernet.generate_key().decode()


from tests.alert_servers import *  # noqa: E402,F403 - where alerts go: SMTP, webhooks
from tests.fixtures_bakalari import *  # noqa: E402,F403 - each source's sandbox fixtures
from tests.fixtures_sari import *  # noqa: E402,F403
from tests.fixtures_served import *  # noqa: E402,F403
