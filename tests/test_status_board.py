"""The status board, the admin's landing page: every connection of the user's tenants at a glance.

Alice belongs to Gymnázium A and is its tenant IT administrator; Bob belongs to Autoškola B.
Neither sees the other's connections; the superuser sees them all.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection as database
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sync.console.status_board import ICONS, STRIP_RUNS
from sync.models import Incident, SyncRun
from sync.run import lease
from sync.run.schedule import expected_interval
from tenants.models import Connection, Tenant

BOARD = reverse("admin:index")
GROUP = "Tenant IT administrator"
GROUP_PERMISSIONS = {
    "tenants.view_tenant",
    "tenants.view_connection",
    "tenants.change_connection",
    "tenants.run_sync",
    "tenants.test_connection",
    "tenants.view_account",
    "tenants.add_account",
    "tenants.change_account",
    "tenants.delete_account",
    "sync.view_syncrun",
    "sync.view_incident",
}


def connection_in(slug: str, source="bakalari", *, created_ago=timedelta(0), **fields):
    tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
    fields.setdefault("base_url", f"https://{slug}.example.cz")
    connection = Connection.objects.create(tenant=tenant, source=source, **fields)
    Connection.objects.filter(pk=connection.pk).update(created_at=timezone.now() - created_ago)
    return connection


def it_administrator(username: str, tenant: Tenant) -> User:
    user = User.objects.create_user(username, is_staff=True)
    user.groups.add(Group.objects.get(name=GROUP))
    tenant.staff.add(user)
    return user


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run_of(connection: Connection, status: str, *, ago: timedelta, seconds: int = 5) -> SyncRun:
    created = timezone.now() - ago
    run = SyncRun.objects.create(connection=connection, trigger="cron", status=status)
    SyncRun.objects.filter(pk=run.pk).update(
        created_at=created, started_at=created, finished_at=created + timedelta(seconds=seconds)
    )
    return run


def shown(response) -> set[int]:
    return {row.connection.pk for row in response.context["board_rows"]}


@pytest.fixture
def every_state(db):
    now, window = timezone.now(), 2 * expected_interval()
    return {
        "ok": connection_in("ok", last_success_at=now - window / 2, last_sync_status="ok"),
        "late": connection_in("late", last_success_at=now - 2 * window, last_sync_status="ok"),
        "never": connection_in("never"),
        "failing": connection_in("failing", last_success_at=now, last_sync_status="failed"),
        "disabled": connection_in("disabled", enabled=False),
    }


def test_the_landing_page_lists_exactly_the_users_tenants_connections(db):
    a, b = connection_in("gym-a"), connection_in("auto-b", "sari")
    alice = it_administrator("alice", a.tenant)
    bob = it_administrator("bob", b.tenant)

    assert shown(client_of(alice).get(BOARD)) == {a.pk}
    assert shown(client_of(bob).get(BOARD)) == {b.pk}
    html = client_of(alice).get(BOARD).content.decode()
    assert "Auto-B" not in html


def test_the_superuser_sees_every_connection_and_the_app_list_below(admin_client, every_state):
    html = admin_client.get(BOARD).content.decode()

    assert len(admin_client.get(BOARD).context["board_rows"]) == len(every_state)
    assert "app-tenants" in html  # the app list stays reachable, below the board
    assert html.index('id="status-board"') < html.index("app-tenants")


@pytest.mark.parametrize("state", ["ok", "late", "never", "failing", "disabled"])
def test_each_state_reads_as_a_word_with_an_icon(admin_client, every_state, state):
    html = admin_client.get(BOARD, {"tenant": every_state[state].tenant_id}).content.decode()
    words = {"ok": "OK", "late": "Late", "never": "Never synced", "failing": "Failing"}
    word = words.get(state, "Disabled")

    assert (
        f'data-state="{state}"><span class="board-icon" aria-hidden="true">{ICONS[state]}</span>'
        f" {word}" in html
    )


def test_the_counts_line_names_the_failing_and_the_late_of_all(admin_client, every_state):
    response = admin_client.get(BOARD, {"state": "ok"})  # filters narrow the rows, not the counts

    assert response.context["board_counts"] == "1 failing, 1 late of 5"
    assert "1 failing, 1 late of 5" in response.content.decode()


def test_the_filters_narrow_by_tenant_source_state_and_tenant_name(admin_client, every_state):
    sari = connection_in("ok", "sari", last_success_at=timezone.now(), last_sync_status="ok")
    ok = every_state["ok"]

    assert shown(admin_client.get(BOARD, {"tenant": ok.tenant_id})) == {ok.pk, sari.pk}
    assert shown(admin_client.get(BOARD, {"source": "sari"})) == {sari.pk}
    assert shown(admin_client.get(BOARD, {"state": "failing"})) == {every_state["failing"].pk}
    Tenant.objects.filter(pk=every_state["never"].tenant_id).update(name="Gymnázium Nerudova")
    assert shown(admin_client.get(BOARD, {"q": "NERUD"})) == {every_state["never"].pk}
    assert shown(admin_client.get(BOARD, {"state": "ok", "source": "bakalari"})) == {ok.pk}


def test_the_last_success_says_how_long_ago_and_the_exact_time_on_hover(admin_client, db):
    connection_in("skola", last_success_at=timezone.now() - timedelta(minutes=12))

    html = admin_client.get(BOARD).content.decode()

    assert ">12\xa0minutes ago</span>" in html
    assert re.search(r'<span title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T">12', html)


def test_the_run_strip_shows_the_last_30_runs_with_status_and_duration(admin_client, db):
    connection = connection_in("skola")
    runs = [run_of(connection, "ok", ago=timedelta(hours=40 - i)) for i in range(35)]
    latest = run_of(connection, "failed", ago=timedelta(minutes=1), seconds=90)

    response = admin_client.get(BOARD)
    (row,) = response.context["board_rows"]
    html = response.content.decode()

    assert len(row.runs) == STRIP_RUNS
    assert row.runs[-1] == latest and runs[0] not in row.runs
    assert html.count('class="board-run"') == STRIP_RUNS
    href = reverse("admin:sync_syncrun_change", args=[latest.pk])
    assert f'data-status="failed" href="{href}" title="Failed · 1\xa0minute ·' in html


def test_the_open_incident_is_shown_and_linked_to_its_page(admin_client, db):
    connection = connection_in("skola", last_sync_status="failed")
    Incident.objects.create(
        connection=connection,
        cause="failing",
        opened_at=timezone.now() - timedelta(days=2),
        closed_at=timezone.now() - timedelta(days=1),
        message="old and closed",
    )
    incident = Incident.objects.create(
        connection=connection,
        cause="needs_person",
        opened_at=timezone.now(),
        message="The server refused the password.",
    )

    html = admin_client.get(BOARD).content.decode()

    href = reverse("admin:sync_incident_change", args=[incident.pk])
    assert (
        f'<a class="board-incident" href="{href}" title="The server refused the password.">'
        "Needs a person</a>" in html
    )
    assert "old and closed" not in html


def test_the_next_run_follows_the_schedule(admin_client, db, settings):
    settings.SYNC_SCHEDULE = "*/15 * * * *"
    connection_in("skola")

    response = admin_client.get(BOARD)
    upcoming = response.context["board_next_run"]

    assert upcoming.minute % 15 == 0 and upcoming > timezone.now()
    assert upcoming - timezone.now() <= timedelta(minutes=15)
    assert "(*/15 * * * *)" in response.content.decode()


def board_queries(client) -> int:
    with CaptureQueriesContext(database) as queries:
        assert client.get(BOARD).status_code == 200
    return len(queries)


def test_the_board_reads_as_many_queries_for_2_connections_as_for_30(db):
    tenant = Tenant.objects.create(name="Skola", slug="skola")
    alice = it_administrator("alice", tenant)
    client = client_of(alice)

    def add_connections(count: int):
        for i in range(count):
            connection = Connection.objects.create(tenant=tenant, source=f"source-{i}")
            run_of(connection, "ok", ago=timedelta(hours=1))
            run_of(connection, "failed", ago=timedelta(days=3))
            Incident.objects.create(connection=connection, cause="late", opened_at=timezone.now())

    add_connections(2)
    few = board_queries(client)
    Connection.objects.all().delete()
    add_connections(30)

    assert board_queries(client) == few
    assert len(client.get(BOARD).context["board_rows"]) == 30


def test_the_tenant_it_administrator_group_holds_exactly_its_permissions(db):
    group = Group.objects.get(name=GROUP)
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    mirrored = Permission.objects.filter(
        content_type__app_label__in=["bakalari", "sari"], codename__startswith="view_"
    )

    assert mirrored.exists()
    assert granted == GROUP_PERMISSIONS | {
        f"{p.content_type.app_label}.{p.codename}" for p in mirrored
    }
    assert not any(p.split(".")[0] == "auth" or "apitoken" in p for p in granted)


def test_a_tenant_it_administrator_opens_the_board_a_connection_syncs_and_tests(db, settings):
    settings.SYNC_EXECUTOR = "thread"
    connection = connection_in("skola", base_url="https://localhost")
    busy = SyncRun.objects.create(connection=connection, trigger="cron", status="running")
    lease.claim(connection.pk, busy.pk)  # the sync is refused as busy, after the permission check
    client = client_of(it_administrator("alice", connection.tenant))

    assert client.get(BOARD).status_code == 200
    page = reverse("admin:tenants_connection_change", args=[connection.pk])
    assert client.get(page).status_code == 200
    synced = client.post(
        reverse("admin:tenants_connection_sync", args=[connection.pk]), follow=True
    )
    assert "is already syncing" in synced.content.decode()
    tested = client.post(
        reverse("admin:tenants_connection_test", args=[connection.pk]), follow=True
    )
    assert f"Test of {connection}" in tested.content.decode()
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
