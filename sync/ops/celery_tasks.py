"""Syncs on Celery workers: one task per queued run, and the task beat sends on SYNC_SCHEDULE.

Tasks are acknowledged late, so a worker that dies mid-run leaves its task with the broker,
which delivers it again. A delivery may therefore meet its run in any state; the run's row and
the connection's lease decide what it does:

- finished: another delivery ran it; nothing to do.
- its lease still held by this run: a copy of this task is at work, or died less than
  SYNC_LEASE_SECONDS ago; retry once the lease would have expired.
- running, lease expired or taken: its worker died; record it abandoned and run a fresh run.
- queued: run it, as `execute_runs` would.
"""

import logging
import uuid

from django.utils import timezone

from edurpg.celery import app
from sync.alerts.rounds import Round
from sync.models import Lease, SyncRun
from sync.run import engine, lease
from sync.run.launcher import queue_runs, send_to_celery
from sync.run.selection import enabled_connections

log = logging.getLogger(__name__)


@app.task(name="sync.execute_run", bind=True, max_retries=None)
def execute_run(task, run_id: str) -> str:
    """Carry out one queued run; a second delivery never runs it twice."""
    run = SyncRun.objects.select_related("connection__tenant").filter(pk=run_id).first()
    if run is None:
        log.warning("run %s no longer exists; nothing to do", run_id)
        return "missing"
    if run.status in SyncRun.FINISHED:
        return run.status
    if lease.holder(run.connection_id) == run.pk:
        countdown = seconds_until_expiry(run)
        log.info("run %s: another delivery holds its lease; retrying in %.0f s", run.pk, countdown)
        raise task.retry(countdown=countdown)
    if run.status == SyncRun.Status.RUNNING:
        run = take_over(run)
        if run is None:
            return "settled elsewhere"
    return engine.execute(run).status


@app.task(name="sync.queue_enabled_connections")
def queue_enabled_connections() -> int:
    """What `sync_sources --trigger cron` does on Celery: one run per enabled connection; then
    the alerts tick and the heartbeat (the workers' runs are told by the next tick)."""
    scheduled = Round(SyncRun.Trigger.CRON)
    scheduled.start()
    try:
        runs = queue_connections(enabled_connections(), trigger="cron")
    except Exception as error:
        scheduled.crashed(error)
        raise
    scheduled.finish([], note=f"{len(runs)} run(s) queued for the workers")
    return len(runs)


def queue_connections(connections, *, trigger: str) -> list[SyncRun]:
    """Record a queued run per connection and send each to the workers."""
    runs = queue_runs(connections, trigger=trigger)
    send_to_celery(runs)
    return runs


def seconds_until_expiry(run: SyncRun) -> float:
    """How long until the lease `run` holds expires, so a retry then can take over."""
    expires_at = (
        Lease.objects.filter(connection_id=run.connection_id, run=run.pk)
        .values_list("expires_at", flat=True)
        .first()
    )
    left = (expires_at - timezone.now()).total_seconds() if expires_at else 0
    return max(left, 0) + 1


def take_over(dead: SyncRun) -> SyncRun | None:
    """Record a run whose worker died as abandoned and queue a fresh run in its place.

    Only if it is still marked running: of two deliveries that find it dead, one takes over.
    """
    successor_id = uuid.uuid4()
    abandoned = SyncRun.objects.filter(pk=dead.pk, status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        error_kind="abandoned",
        error_message=f"The worker running this sync ({dead.worker}) stopped before it "
        f"finished; nothing it fetched was written. Run {successor_id} took its place.",
    )
    if not abandoned:
        return None
    log.warning("run %s died with worker %s; run %s takes over", dead.pk, dead.worker, successor_id)
    return SyncRun.objects.create(
        pk=successor_id,
        connection=dead.connection,
        trigger=dead.trigger,
        triggered_by_id=dead.triggered_by_id,
        dry_run=dead.dry_run,
    )


@app.task(name="sync.housekeeping")
def housekeeping() -> str:
    """What django-crontab's daily job does, for Celery beat: prune history, purge the gone."""
    from sync.ops import cron

    cron.housekeeping()
    return "done"
