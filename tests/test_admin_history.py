"""The run history in the admin: the list, its filters and cost, a run's page, live progress."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection as database
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sync.models import SyncRun
from tenants.models import Connection, Tenant

RUNS = reverse("admin:sync_syncrun_changelist")
PUPILS = {"created": 598, "updated": 2, "unchanged": 10, "missing": 1}


@pytest.fixture
def schools(db):
    """Two tenants, a Bakaláři and a SARI connection each."""
    connections = []
    for slug in ("skola-a", "skola-b"):
        tenant = Tenant.objects.create(name=slug.title(), slug=slug)
        for source in ("bakalari", "sari"):
            connections.append(Connection.objects.create(tenant=tenant, source=source))
    return connections


@pytest.fixture
def member(schools):
    """Staff of the first tenant who may look at its history."""
    user = User.objects.create_user("clen", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_syncrun"))
    schools[0].tenant.staff.add(user)
    return user


def add_runs(connections, count: int, user=None) -> None:
    now = timezone.now()
    statuses = ["ok", "failed", "partial", "running"]
    SyncRun.objects.bulk_create(
        [
            SyncRun(
                connection=connections[i % len(connections)],
                trigger=["cron", "manual"][i % 2],
                triggered_by=user,
                status=statuses[i % len(statuses)],
                started_at=now,
                finished_at=now + timedelta(seconds=3) if i % 4 != 3 else None,
                counts={"pupil": PUPILS},
                requests_made=40,
                error_message="Bakaláři rejected the username or password." if i % 4 == 1 else "",
            )
            for i in range(count)
        ],
        batch_size=500,
    )


def queries_of(client, url=RUNS) -> int:
    with CaptureQueriesContext(database) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_history_list_costs_the_same_few_queries_for_12_or_1000_runs(
    client, schools, member, django_assert_max_num_queries
):
    client.force_login(member)
    add_runs(schools, 12, user=member)
    with_a_dozen = queries_of(client)

    add_runs(schools, 988, user=member)
    # session, user, her permissions (2), the tenant filter's choices, two counts, the page
    with django_assert_max_num_queries(8):
        response = client.get(RUNS)

    assert response.context["cl"].result_count == 500  # her tenant's half of the 1,000
    assert len(response.context["cl"].result_list) == 100  # one page
    assert queries_of(client) == with_a_dozen


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 16),
        ("connection__source=sari", 8),
        ("status__exact=failed", 4),
        ("trigger__exact=manual", 8),
        ("dry_run__exact=1", 0),
        ("q=rejected", 4),
    ],
)
def test_the_history_filters(admin_client, schools, query, expected):
    add_runs(schools, 16)
    response = admin_client.get(f"{RUNS}?{query}")
    assert response.context["cl"].result_count == expected


def choice_link(client, title: str, display: str) -> str:
    """The query string of one choice of one filter in the list's sidebar."""
    changelist = client.get(RUNS).context["cl"]
    (spec,) = [spec for spec in changelist.filter_specs if spec.title == title]
    (choice,) = [c for c in spec.choices(changelist) if c["display"] == display]
    return choice["query_string"]


def test_the_history_filters_by_tenant_and_date(admin_client, schools):
    add_runs(schools, 8)
    last_week = timezone.now() - timedelta(days=8)
    SyncRun.objects.filter(connection=schools[0]).update(created_at=last_week)
    tenant = schools[0].tenant

    by_tenant = admin_client.get(RUNS, {"tenant": tenant.pk}).context["cl"]
    this_week = admin_client.get(RUNS + choice_link(admin_client, "created at", "Past 7 days"))

    assert by_tenant.result_count == 4
    assert this_week.context["cl"].result_count == 6


def test_each_run_links_to_its_connection_and_tenant(admin_client, schools):
    add_runs(schools[:1], 1)
    page = admin_client.get(RUNS).content.decode()
    assert reverse("admin:tenants_connection_change", args=[schools[0].pk]) in page
    assert reverse("admin:tenants_tenant_change", args=[schools[0].tenant_id]) in page


@pytest.mark.parametrize("model", ["connection", "tenant"])
def test_connection_and_tenant_pages_link_to_their_history(admin_client, schools, model):
    add_runs(schools, 8)
    obj = schools[0] if model == "connection" else schools[0].tenant
    page = admin_client.get(reverse(f"admin:tenants_{model}_change", args=[obj.pk]))
    history = page.context["console"]["history_url"]
    assert f'href="{history}"' in page.content.decode()

    listed = admin_client.get(history).context["cl"]
    runs_of = Connection.objects.filter(tenant=schools[0].tenant) if model == "tenant" else [obj]
    assert listed.result_count == SyncRun.objects.filter(connection__in=runs_of).count()
    assert listed.result_count in (2, 4)


def test_a_runs_page_shows_its_counts_per_stream_and_its_error(admin_client, schools):
    run = SyncRun.objects.create(
        connection=schools[0],
        trigger="cron",
        status="partial",
        started_at=timezone.now(),
        finished_at=timezone.now() + timedelta(seconds=12),
        counts={
            "event": {"created": 0, "updated": 0, "unchanged": 0, "missing": 0},
            "pupil": PUPILS,
        },
        error_message="pupils: the server returned none while 598 are mirrored; kept them.",
        requests_made=155,
    )

    page = admin_client.get(reverse("admin:sync_syncrun_change", args=[run.pk])).content.decode()

    assert "<tr><td>pupils</td><td>598</td><td>2</td><td>10</td><td>1</td></tr>" in page
    assert page.index("<td>pupils</td>") < page.index("<td>events</td>")  # the source's order
    assert "the server returned none while 598 are mirrored" in page
    assert ">12.0 s<" in page and ">155<" in page
    assert "data-pending>" not in page  # finished: nothing to poll


def test_progress_reports_a_running_run_as_it_goes(admin_client, schools):
    run = SyncRun.objects.create(
        connection=schools[0],
        trigger="manual",
        status="running",
        started_at=timezone.now(),
        progress={
            "stage": "fetching pupils of 1.A",
            "streams_total": 8,
            "records": 120,
            "answers_done": 9,
            "answers_total": 36,
        },
        requests_made=14,
    )

    response = admin_client.get(
        reverse("admin:sync_syncrun_progress"), {"id": [run.pk, "nonsense"]}
    )

    (state,) = response.json()["runs"]
    assert state["status"] == "running" and state["finished"] is False
    assert state["stage"] == "fetching pupils of 1.A"
    assert state["records"] == 120 and state["requests"] == 14
    assert state["streams"] == "0 of 8"  # written in one transaction, once all is fetched
    assert state["answers"] == "9 of 36" and state["percent"] == 22  # a quarter of the fetch


def test_a_failed_run_keeps_its_bar_where_it_stopped(admin_client, schools):
    run = SyncRun.objects.create(
        connection=schools[0],
        trigger="manual",
        status="failed",
        started_at=timezone.now(),
        finished_at=timezone.now(),
        progress={"stage": "done", "answers_done": 18, "answers_total": 36},
    )
    response = admin_client.get(reverse("admin:sync_syncrun_progress"), {"id": run.pk})
    (state,) = response.json()["runs"]
    assert state["finished"] is True and state["percent"] == 45


def test_the_list_marks_only_unfinished_runs_for_live_updates(admin_client, schools):
    add_runs(schools[:1], 4)  # ok, failed, partial, running
    running = SyncRun.objects.get(status="running")
    page = admin_client.get(RUNS).content.decode()
    assert page.count("data-pending>") == 4  # status, duration, records, requests of one row
    assert f'data-run="{running.pk}"' in page
    assert reverse("admin:sync_syncrun_progress") in page  # the script that polls them
