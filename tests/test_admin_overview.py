"""Which connections are late or failing, and how often they succeeded, in the admin's lists."""

from datetime import timedelta

import pytest
from django.db import connection as database
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sync.models import SyncRun
from sync.run import lease
from sync.run.health import connection_health
from sync.run.schedule import expected_interval
from tenants.models import Connection, Tenant

CONNECTIONS = reverse("admin:tenants_connection_changelist")


def connection_in(slug: str, *, created_ago=timedelta(0), active=True, **fields) -> Connection:
    tenant = Tenant.objects.create(name=slug.title(), slug=slug, active=active)
    connection = Connection.objects.create(tenant=tenant, source="bakalari", **fields)
    Connection.objects.filter(pk=connection.pk).update(created_at=timezone.now() - created_ago)
    return connection


@pytest.fixture
def every_state(db):
    now, window = timezone.now(), 2 * expected_interval()
    return {
        "ok": connection_in("ok", last_success_at=now - window / 2, last_sync_status="ok"),
        "late": connection_in("late", last_success_at=now - 2 * window, last_sync_status="ok"),
        "late-never": connection_in("late-never", created_ago=2 * window),
        "never": connection_in("never"),
        "failing": connection_in("failing", last_success_at=now, last_sync_status="failed"),
        "disabled": connection_in("disabled", enabled=False),
        "inactive": connection_in("inactive", active=False, last_sync_status="failed"),
    }


@pytest.mark.parametrize("state", ["ok", "late", "never", "failing", "disabled"])
def test_the_health_filter_agrees_with_sync_health(admin_client, every_state, state):
    expected = {h.connection.pk for h in connection_health() if h.state == state}

    listed = admin_client.get(CONNECTIONS, {"health": state}).context["cl"].result_list

    assert expected  # every state is present in the fixture
    assert {c.pk for c in listed} == expected
    assert {c.health.state for c in listed} == {state}


def test_the_list_shows_the_state_and_the_success_rate_of_the_last_day(admin_client, db):
    connection = connection_in("skola", last_success_at=timezone.now(), last_sync_status="ok")
    for status, hours_ago in [("ok", 1), ("ok", 2), ("partial", 3), ("failed", 4), ("failed", 30)]:
        run = SyncRun.objects.create(connection=connection, trigger="cron", status=status)
        SyncRun.objects.filter(pk=run.pk).update(
            created_at=timezone.now() - timedelta(hours=hours_ago)
        )
    lease.claim(connection.pk, run.pk)

    page = admin_client.get(CONNECTIONS).content.decode()

    assert '<td class="field-health_cell">OK (syncing now)</td>' in page
    assert '<td class="field-success_rate_cell">75% of 4</td>' in page


@pytest.mark.parametrize("changelist", [CONNECTIONS, reverse("admin:tenants_tenant_changelist")])
def test_health_costs_no_query_per_row(admin_client, db, changelist):
    def queries() -> int:
        with CaptureQueriesContext(database) as captured:
            admin_client.get(changelist)
        return len(captured.captured_queries)

    for n in range(3):
        connection_in(f"skola-{n}")
    with_three = queries()
    for n in range(3, 30):
        connection_in(f"skola-{n}")
    assert queries() == with_three


def test_the_tenant_list_shows_each_connections_state(admin_client, every_state):
    page = admin_client.get(reverse("admin:tenants_tenant_changelist")).content.decode()
    assert "Bakaláři: Failing" in page
    assert "Bakaláři: Late" in page
