"""`kill -9` of a sync process in the middle of its write: nothing half-written, and the next
run after the lease expires completes and records the dead one as abandoned."""

import os
import signal

import pytest
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from sync.models import Lease, SyncRun
from sync.run.engine import sync_connection
from sync.sources.bakalari.models import Event, Pupil
from tests.processes import start
from tests.reliability_helpers import small_school, wait_until
from tests.sync_helpers import snapshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]

LEASE_SECONDS = 4


@pytest.fixture(autouse=True)
def postgres_only():
    # The write phase is one transaction of well under a second, and its progress is not
    # visible from outside; to kill the process surely *inside* it, the test holds a lock on
    # the last table written, so the writer stops there with every other stream written but
    # uncommitted. SQLite locks the whole file, so the same pause would stop it before writing.
    if db.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's table locks to pause the writer mid-write")


def writer_waits_for(table: str) -> bool:
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass",
            [table],
        )
        return cursor.fetchone()[0] > 0


def lease_expired(connection) -> bool:
    lease = Lease.objects.get(connection=connection)
    return lease.expires_at is None or lease.expires_at < timezone.now()


def test_a_run_killed_mid_write_leaves_nothing_and_the_next_run_completes(served):
    served.apps["bakalari"].school = school = small_school()
    connection = served.connect("skola")
    assert sync_connection(connection, trigger="cli").status == SyncRun.Status.OK
    renamed = school.rename_pupil(school.pupils[0].id, last_name="Přejmenovaná")
    school.events[0].title = "Přesunutá akce"
    before = snapshot(connection.tenant)

    with transaction.atomic():
        with db.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Event._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        process = start("sync_sources", "--json", SYNC_LEASE_SECONDS=str(LEASE_SECONDS))
        wait_until(
            lambda: writer_waits_for(Event._meta.db_table),
            seconds=60,
            process=process,
            what="the writer to reach the events",
        )
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    dead = SyncRun.objects.get(status=SyncRun.Status.RUNNING)

    # the pupils were written in the dead run's transaction before it stopped: none is kept
    assert snapshot(connection.tenant) == before
    # its lease outlives it: a run right now is skipped, not run beside a ghost
    assert sync_connection(connection, trigger="cli").status == SyncRun.Status.SKIPPED

    wait_until(lambda: lease_expired(connection), seconds=LEASE_SECONDS + 5, what="lease expiry")
    run = sync_connection(connection, trigger="cli")

    assert run.status == SyncRun.Status.OK, run.error_message
    assert Pupil.objects.get(tenant=connection.tenant, external_id=renamed.id).last_name == (
        "Přejmenovaná"
    )
    assert Event.objects.filter(tenant=connection.tenant, title="Přesunutá akce").exists()
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.FAILED
    assert dead.error_kind == "abandoned"
    assert "stopped before it finished" in dead.error_message
