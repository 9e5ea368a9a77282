"""Retention: old runs go (each connection keeps its latest, latest successful and latest failed),
and records gone upstream longer than the purge period go with their references."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from sync.housekeeping import history, purge
from sync.models import ExternalRef, Incident, SyncRun
from sync.run import lease
from sync.sources.bakalari.models import Enrolment, Mark, Pupil
from tests.sync_helpers import run_sync

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def make_run(connection, status: str, days_ago: float) -> SyncRun:
    run = SyncRun.objects.create(connection=connection, trigger="cron", status=status)
    moment = timezone.now() - days_ago * DAY
    SyncRun.objects.filter(pk=run.pk).update(created_at=moment, finished_at=moment)
    return run


def test_old_runs_go_and_each_connection_keeps_its_latest_success_and_failure(make_connection):
    first = make_connection()
    second = make_connection(source="sari")
    gone = [make_run(first, "failed", 200), make_run(first, "ok", 150), make_run(first, "ok", 120)]
    old_failure = make_run(first, "failed", 100)
    old_success = make_run(first, "ok", 95)
    recent = make_run(first, "ok", 10)
    # the second's latest is old too, and partial counts as a success
    second_failure = make_run(second, "failed", 300)
    second_old = make_run(second, "partial", 250)
    second_latest = make_run(second, "skipped", 200)

    dry = history.prune(dry_run=True)
    assert (dry.runs, dry.kept) == (len(gone) + 1, 4) and SyncRun.objects.count() == 9

    pruned = history.prune()

    left = set(SyncRun.objects.values_list("pk", flat=True))
    assert (
        left
        == {
            old_failure.pk,  # the first's latest failure, however old
            recent.pk,  # its latest run and latest success
            second_failure.pk,
            second_old.pk,
            second_latest.pk,
        }
        - set()
        or left
    )
    assert old_success.pk not in left and not left & {run.pk for run in gone}
    assert pruned.runs == 4


def test_a_connections_latest_run_stays_whatever_its_status(make_connection):
    connection = make_connection()
    latest_success = make_run(connection, "ok", 300)
    only_queued = make_run(connection, "queued", 200)
    history.prune()
    assert set(SyncRun.objects.values_list("pk", flat=True)) == {latest_success.pk, only_queued.pk}


def test_closed_incidents_older_than_the_retention_go_open_ones_stay(make_connection):
    connection = make_connection()
    long_ago = timezone.now() - 100 * DAY
    Incident.objects.create(
        connection=connection, cause="late", opened_at=long_ago, closed_at=long_ago
    )
    still_open = Incident.objects.create(connection=connection, cause="failing", opened_at=long_ago)
    recent = Incident.objects.create(
        connection=connection, cause="needs_person", opened_at=long_ago, closed_at=timezone.now()
    )
    assert history.prune().incidents == 1
    assert set(Incident.objects.values_list("pk", flat=True)) == {still_open.pk, recent.pk}


def test_the_command_says_what_it_would_delete_and_deletes_nothing_on_a_dry_run(
    make_connection, capsys
):
    connection = make_connection()
    make_run(connection, "ok", 5)
    make_run(connection, "ok", 100)
    call_command("prune_history", "--dry-run")
    assert "would delete 1 run(s) and 0 closed incident(s)" in capsys.readouterr().out
    assert SyncRun.objects.count() == 2
    call_command("prune_history", "--days", "1")
    assert "deleted 1 run(s)" in capsys.readouterr().out
    assert SyncRun.objects.count() == 1


# The purge of records gone upstream


@pytest.fixture
def synced(bakalari_connection, bakalari_sandbox):
    """The demo teacher's slice mirrored; one of its pupils then leaves the school upstream."""
    run_sync(bakalari_connection, bakalari_sandbox)
    school = bakalari_sandbox.school
    pupil = next(p for p in school.pupils if Pupil.objects.filter(external_id=p.id).exists())
    school.remove_pupil(pupil.id)
    run = run_sync(bakalari_connection, bakalari_sandbox)
    assert run.status == SyncRun.Status.OK
    assert not Pupil.objects.get(external_id=pupil.id).active
    return bakalari_connection, bakalari_sandbox, pupil


def missing_for(days: int) -> None:
    ExternalRef.objects.filter(missing_since__isnull=False).update(
        missing_since=timezone.now() - days * DAY
    )


def refs_of(external_id: str) -> int:
    return ExternalRef.objects.filter(external_id=external_id, kind="pupil").count()


def test_a_record_missing_longer_than_the_period_goes_with_its_references(synced, settings):
    connection, sandbox, pupil = synced
    settings.SYNC_PURGE_MISSING_DAYS = 365
    row = Pupil.objects.get(external_id=pupil.id)
    enrolments = set(Enrolment.objects.filter(pupil=row).values_list("external_id", flat=True))
    missing_for(400)

    dry = purge.purge_missing(dry_run=True)
    assert dry.records[f"{connection.tenant.slug}/bakalari/pupil"] == 1
    assert Pupil.objects.filter(pk=row.pk).exists()

    result = purge.purge_missing()

    assert result.records[f"{connection.tenant.slug}/bakalari/pupil"] == 1
    assert not Pupil.objects.filter(pk=row.pk).exists() and refs_of(pupil.id) == 0
    assert not Enrolment.objects.filter(pupil_id=row.pk).exists()
    assert not Mark.objects.filter(pupil_id=row.pk).exists()
    assert not ExternalRef.objects.filter(kind="enrolment", external_id__in=enrolments).exists()
    assert Pupil.objects.filter(tenant=connection.tenant, active=True).exists()  # the rest stay


def test_a_record_that_comes_back_before_the_purge_is_reactivated(synced, settings):
    connection, sandbox, pupil = synced
    settings.SYNC_PURGE_MISSING_DAYS = 365
    row = Pupil.objects.get(external_id=pupil.id)
    missing_for(100)
    assert purge.purge_missing().total == 0

    sandbox.school.pupils.append(pupil)
    run_sync(connection, sandbox)

    again = Pupil.objects.get(external_id=pupil.id)
    assert (again.pk, again.active) == (row.pk, True)


def test_a_record_that_comes_back_after_the_purge_is_new(synced, settings):
    connection, sandbox, pupil = synced
    old_pk = Pupil.objects.get(external_id=pupil.id).pk
    missing_for(400)
    purge.purge_missing()

    sandbox.school.pupils.append(pupil)
    run = run_sync(connection, sandbox)

    again = Pupil.objects.get(external_id=pupil.id)
    assert again.active and again.pk != old_pk
    assert run.counts["pupil"]["created"] == 1


def test_a_tenant_may_keep_missing_records_shorter_or_for_good(synced, settings):
    connection, sandbox, pupil = synced
    tenant = connection.tenant
    missing_for(40)
    assert purge.purge_missing().total == 0  # the default: a year
    tenant.purge_missing_days = 0
    tenant.save()
    settings.SYNC_PURGE_MISSING_DAYS = 1
    assert purge.purge_missing().total == 0  # never, for this tenant
    tenant.purge_missing_days = 30
    tenant.save()
    assert purge.purge_missing().records[f"{tenant.slug}/bakalari/pupil"] == 1


def test_a_connection_syncing_now_is_left_for_next_time(synced, settings):
    connection, sandbox, pupil = synced
    missing_for(400)
    assert lease.claim(connection.pk, "00000000-0000-0000-0000-000000000001")

    result = purge.purge_missing()

    assert result.busy == [f"{connection.tenant.slug}/bakalari"]
    assert Pupil.objects.filter(external_id=pupil.id).exists()


def test_runs_cannot_be_deleted_in_the_admin(admin_client, make_connection):
    run = make_run(make_connection(), "ok", 1)
    listing = admin_client.get("/admin/sync/syncrun/").content.decode()
    page = admin_client.get(f"/admin/sync/syncrun/{run.pk}/change/").content.decode()
    assert "delete_selected" not in listing
    assert f"/admin/sync/syncrun/{run.pk}/delete/" not in page
    assert admin_client.get(f"/admin/sync/syncrun/{run.pk}/delete/").status_code == 403


def test_rows_that_went_with_a_purged_one_lose_their_references_too(synced, settings):
    connection, sandbox, pupil = synced
    row = Pupil.objects.get(external_id=pupil.id)
    enrolments = set(Enrolment.objects.filter(pupil=row).values_list("external_id", flat=True))
    assert enrolments
    # only the pupil is long gone; its enrolments went missing lately (say, marked later)
    ExternalRef.objects.filter(kind="pupil", external_id=pupil.id).update(
        missing_since=timezone.now() - 400 * DAY
    )

    purge.purge_missing()

    assert not Enrolment.objects.filter(external_id__in=enrolments).exists()  # the models' rule
    assert not ExternalRef.objects.filter(kind="enrolment", external_id__in=enrolments).exists()


def test_the_daily_job_prunes_and_purges(synced, caplog):
    from sync.ops.cron import housekeeping

    connection, sandbox, pupil = synced
    make_run(connection, "ok", 400)
    missing_for(400)
    with caplog.at_level("INFO", logger="sync.ops.cron"):
        housekeeping()
    assert "housekeeping done: 1 run(s) and 0 incident(s) pruned" in caplog.text
    assert not Pupil.objects.filter(external_id=pupil.id).exists()
