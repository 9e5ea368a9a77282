"""What a sync costs the database beyond its data: new rows by COPY on PostgreSQL with their
defaults and ids, no daily rewrite of every ref, a DEBUG query log that does not grow with the
records, and no progress or lease write when nothing moved."""

from datetime import timedelta

import pytest
from django.db import DataError, transaction
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sync.models import ExternalRef, Lease, SyncRun
from sync.run import lease, progress, query_log
from sync.run.progress import Progress
from sync.run.writer import StreamWriter
from sync.sources.bakalari.models import Event, Pupil
from sync.sources.streams import Batch, Record, Stream
from tests.sync_helpers import run_sync, sync_writing

pytestmark = pytest.mark.django_db

EVENTS = Stream("event", Event, "events")
PUPILS = Stream("pupil", Pupil, "pupils")


def write(tenant, stream, records):
    writer = StreamWriter(tenant, "bakalari", stream, timezone.now(), {})
    with transaction.atomic():
        return writer.write(Batch(records))


def test_new_rows_get_the_defaults_of_fields_no_record_gives(tenant):
    write(tenant, EVENTS, [Record("E1", {"title": "Ples"})])  # no whole_day, no times

    event = Event.objects.get(tenant=tenant, external_id="E1")
    assert (event.whole_day, event.starts_at, event.description) == (False, None, "")


def test_new_rows_take_ids_the_table_goes_on_from(tenant):
    records = [Record(f"P{n}", {"name": f"Žák {n}"}) for n in range(5)]
    write(tenant, PUPILS, records)
    later = Pupil.objects.create(tenant=tenant, external_id="by hand", name="Ruční")

    ids = set(Pupil.objects.filter(tenant=tenant).values_list("pk", flat=True))
    assert len(ids) == 6 and later.pk == max(ids)
    refs = ExternalRef.objects.filter(tenant=tenant, kind="pupil")
    mapped = {ref.external_id: ref.object_id for ref in refs}
    stored = dict(Pupil.objects.filter(tenant=tenant).values_list("external_id", "pk"))
    assert mapped == {key: pk for key, pk in stored.items() if key != "by hand"}


@pytest.mark.postgres_only
@pytest.mark.skipif("db.vendor != 'postgresql'", reason="SQLite does not enforce lengths")
def test_a_value_the_database_refuses_is_a_database_error_and_writes_nothing(tenant):
    records = [Record("P1", {"name": "Žák"}), Record("P2", {"name": "x" * 500})]
    with pytest.raises(DataError):
        write(tenant, PUPILS, records)
    assert not Pupil.objects.filter(tenant=tenant).exists()


def test_a_rerun_on_a_later_day_rewrites_no_ref(bakalari_connection, bakalari_sandbox, tenant):
    run_sync(bakalari_connection, bakalari_sandbox)
    ExternalRef.objects.update(last_seen_at=timezone.now() - timedelta(days=3))

    run, written = sync_writing(bakalari_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.OK, run.error_message
    assert written == []


def test_a_record_gone_upstream_was_last_seen_by_the_sync_before(
    bakalari_connection, bakalari_sandbox, tenant
):
    run_sync(bakalari_connection, bakalari_sandbox)
    ExternalRef.objects.update(last_seen_at=timezone.now() - timedelta(days=3))
    bakalari_connection.refresh_from_db()
    last_success = bakalari_connection.last_success_at
    gone = bakalari_sandbox.school.pupils[2]
    bakalari_sandbox.school.remove_pupil(gone.id)

    run = run_sync(bakalari_connection, bakalari_sandbox)

    ref = ExternalRef.objects.get(tenant=tenant, kind="pupil", external_id=gone.id)
    assert run.counts["pupil"]["missing"] == 1
    assert ref.last_seen_at == last_success < ref.missing_since


def test_the_debug_query_log_keeps_every_statement_but_not_its_rows(
    bakalari_connection, bakalari_sandbox
):
    with CaptureQueriesContext(db) as captured:
        run = run_sync(bakalari_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.OK, run.error_message
    logged = [query["sql"] for query in captured.captured_queries]
    longest = max(len(sql) for sql in logged)
    assert longest <= query_log.KEPT_CHARACTERS + 30
    if db.vendor == "sqlite":  # its batches are plain statements, so some were shortened
        assert any(sql.endswith("characters)") for sql in logged)
    assert len(logged) > 20  # every statement is still counted


@pytest.fixture
def running(bakalari_connection):
    run = SyncRun.objects.create(connection=bakalari_connection, trigger="cli")
    assert lease.claim(bakalari_connection.pk, run.pk)
    return run


def writes(queries) -> list[str]:
    return [q["sql"].split()[1].strip('"') for q in queries if q["sql"].startswith("UPDATE")]


def test_progress_is_written_only_when_it_moved(running, monkeypatch):
    monkeypatch.setattr(progress, "FLUSH_SECONDS", 0)  # every report may flush
    tracker = Progress(running, 3)
    with CaptureQueriesContext(db) as captured:
        tracker.fetching("rosters", 10, 1, 5)
        tracker.fetching("rosters", 10, 1, 5)  # nothing moved
        tracker.fetching("rosters", 20, 2, 5)

    assert writes(captured.captured_queries) == [SyncRun._meta.db_table] * 2
    running.refresh_from_db()
    assert running.progress["answers_done"] == 2


def test_the_lease_is_renewed_once_a_third_of_it_has_passed(running, monkeypatch, settings):
    monkeypatch.setattr(progress, "FLUSH_SECONDS", 0)
    tracker = Progress(running, 3)
    with CaptureQueriesContext(db) as captured:
        tracker.fetching("rosters", 10, 1, 5)
    assert Lease._meta.db_table not in writes(captured.captured_queries)  # 300 s: not yet

    settings.SYNC_LEASE_SECONDS = 0  # every moment is past a third of it
    with CaptureQueriesContext(db) as captured:
        tracker.fetching("rosters", 20, 2, 5)
    assert Lease._meta.db_table in writes(captured.captured_queries)
