"""The job django-crontab runs. Failures are recorded as runs and logged, because
django-crontab swallows exceptions and exits 0."""

import logging

from django.conf import settings

from sync.alerts.rounds import Round
from sync.run.engine import sync_many
from sync.run.selection import enabled_connections

log = logging.getLogger(__name__)


def scheduled_sync() -> None:
    if settings.SYNC_EXECUTOR == "celery":
        from sync.ops.celery_tasks import queue_enabled_connections  # Celery only when chosen

        log.info("scheduled sync: %d run(s) queued for Celery workers", queue_enabled_connections())
        return
    scheduled = Round("cron")
    scheduled.start()
    try:
        runs = sync_many(enabled_connections(), trigger="cron", workers=settings.SYNC_WORKERS)
    except Exception as error:
        scheduled.crashed(error)
        raise
    scheduled.finish(runs)
    failed = sum(run.status == "failed" for run in runs)
    log.info("scheduled sync done: %d run(s), %d failed", len(runs), failed)


def housekeeping() -> None:
    """The daily job: old history pruned, records gone upstream long ago purged."""
    from sync.housekeeping import history, purge

    pruned = history.prune()
    purged = purge.purge_missing()
    log.info(
        "housekeeping done: %d run(s) and %d incident(s) pruned, %d record(s) purged%s",
        pruned.runs,
        pruned.incidents,
        purged.total,
        f"; left for next time (syncing): {', '.join(purged.busy)}" if purged.busy else "",
    )
