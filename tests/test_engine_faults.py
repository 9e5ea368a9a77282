"""A run that fails part-way leaves its connection's mirror as it was; the others go on."""

import pytest

from sync.models import SyncRun
from sync.run.engine import sync_many
from sync.sources.bakalari.models import Event, Pupil
from tests.db_triggers import refusing
from tests.sync_helpers import run_sync, snapshot

# Sized for a whole school through one login: the sandbox's opt-in whole-school account.
pytestmark = [pytest.mark.django_db, pytest.mark.whole_school]


@pytest.fixture
def synced(bakalari_connection, bakalari_sandbox):
    assert run_sync(bakalari_connection, bakalari_sandbox).status == SyncRun.Status.OK


def test_a_fault_after_part_of_the_data_was_fetched_changes_nothing(
    synced, bakalari_connection, bakalari_sandbox, tenant
):
    school = bakalari_sandbox.school
    school.rename_pupil(school.pupils[0].id, last_name="Nováková")
    before = snapshot(tenant)
    # 40 answers go through (login, timetable, some rosters), then the server breaks for good
    bakalari_sandbox.faults.inject("error", count=50, after=40)

    run = run_sync(bakalari_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.FAILED
    assert run.error_kind == "transient"
    assert "internal error (HTTP 503)" in run.error_message
    assert snapshot(tenant) == before
    bakalari_connection.refresh_from_db()
    assert bakalari_connection.last_sync_status == "failed"
    assert bakalari_connection.last_error == run.error_message


def test_a_malformed_answer_mid_run_changes_nothing(
    synced, bakalari_connection, bakalari_sandbox, tenant
):
    before = snapshot(tenant)
    bakalari_sandbox.faults.inject("malformed", after=60)
    run = run_sync(bakalari_connection, bakalari_sandbox)
    assert run.status == SyncRun.Status.FAILED
    assert run.error_kind == "protocol"
    assert snapshot(tenant) == before


def test_transient_faults_are_retried_to_success(bakalari_connection, bakalari_sandbox, tenant):
    bakalari_sandbox.faults.inject("error", count=2, after=10)
    bakalari_sandbox.faults.inject("throttle", retry_after=0, after=10)
    run = run_sync(bakalari_connection, bakalari_sandbox)
    assert run.status == SyncRun.Status.OK
    assert Pupil.objects.filter(tenant=tenant).count() == 598


@pytest.fixture
def refuse_events():
    """A real database fault in the last stream written: a trigger refuses event rows."""
    with refusing(Event._meta.db_table, "disk full (test)"):
        yield


def test_a_database_fault_after_part_was_written_leaves_nothing_half_written(
    synced, bakalari_connection, bakalari_sandbox, tenant, refuse_events
):
    school = bakalari_sandbox.school
    school.rename_pupil(school.pupils[0].id, last_name="Nováková")  # written before events
    school.events[0].title = "Změněná akce"
    before = snapshot(tenant)

    run = run_sync(bakalari_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.FAILED
    assert run.error_kind == "database"
    assert "disk full (test)" in run.error_message
    assert "nothing of this run was written" in run.error_message
    assert snapshot(tenant) == before


@pytest.mark.django_db(transaction=True)
def test_one_failing_connection_never_stops_the_others(served):
    good = [served.connect(f"skola-{n}") for n in range(3)]
    broken = served.connect("skola-zla", secrets={"password": "wrong"})
    driving = served.connect("autoskola", source="sari")

    runs = sync_many([*good[:2], broken, good[2], driving], trigger="cli", workers=2)

    by_tenant = {run.connection.tenant.slug: run for run in runs}
    assert by_tenant["skola-zla"].status == SyncRun.Status.FAILED
    assert by_tenant["skola-zla"].error_kind == "bad_credentials"
    assert "wrong" not in by_tenant["skola-zla"].error_message
    for slug in ("skola-0", "skola-1", "skola-2", "autoskola"):
        assert by_tenant[slug].status == SyncRun.Status.OK, by_tenant[slug].error_message
    assert Pupil.objects.filter(tenant__slug="skola-2").count() == 598
