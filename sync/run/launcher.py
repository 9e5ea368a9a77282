"""Start queued runs without waiting for them: the admin's button and the HTTP trigger.

SYNC_EXECUTOR picks how: "process" (default) starts a detached `manage.py execute_runs`, which
outlives the web request and its worker; "thread" runs them in this process (tests, the
development server); "celery" hands them to Celery workers.
"""

import subprocess
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.db import connection as db

from sync.models import SyncRun
from sync.upstream.errors import ConfigError, SyncError


def queue_runs(connections, *, trigger: str, user=None) -> list[SyncRun]:
    return [
        SyncRun.objects.create(connection=c, trigger=trigger, triggered_by=user)
        for c in connections
    ]


def start_in_background(runs: list[SyncRun]) -> None:
    run_ids = [str(run.pk) for run in runs]
    if not run_ids:
        return
    executor = settings.SYNC_EXECUTOR
    if executor == "thread":
        threading.Thread(target=execute_in_thread, args=(run_ids,), daemon=True).start()
    elif executor == "celery":
        send_to_celery(list(SyncRun.objects.filter(pk__in=run_ids).select_related("connection")))
    else:
        start_process(run_ids)


class BrokerRefused(SyncError):
    kind = "broker"
    step = "queue"
    remedy = (
        "Check that the Celery broker (CELERY_BROKER_URL) is up and reachable from the machine "
        "that queues the runs; the next tick queues them again."
    )

    def __init__(self, error: Exception) -> None:
        super().__init__(
            "The Celery broker did not take this run, so no worker will carry it out; "
            "check CELERY_BROKER_URL and that the broker is up.",
            detail=f"{type(error).__name__}: {error}",
        )


def send_to_celery(runs: list[SyncRun]) -> None:
    """One task per run, sent by name (the workers hold the tasks: sync.ops.celery_tasks).
    Runs the broker refuses are recorded failed, never left queued."""
    from kombu.exceptions import OperationalError  # Celery is imported only when chosen

    from edurpg.celery import app
    from sync.run.engine import fail

    for position, run in enumerate(runs):
        try:
            app.send_task("sync.execute_run", args=[str(run.pk)])
        except OperationalError as error:
            for unsent in runs[position:]:
                fail(unsent, BrokerRefused(error))
            return


def start_process(run_ids: list[str]) -> None:
    manage = Path(settings.BASE_DIR) / "manage.py"
    log_path = Path(settings.SYNC_CRON_LOG)
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:  # the child holds its own copy of the descriptor
            subprocess.Popen(
                [sys.executable, str(manage), "execute_runs", *run_ids],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # survives the web worker that started it
                cwd=settings.BASE_DIR,
            )
    except OSError as error:
        # Left queued, the runs would block their connections as "already syncing".
        fail_unstarted(run_ids, f"{error.strerror or error} ({error.filename or sys.executable})")


def fail_unstarted(run_ids: list[str], reason: str) -> None:
    from sync.run.engine import fail

    error = ConfigError(f"The sync could not be started in the background: {reason}.")
    for run in SyncRun.objects.filter(pk__in=run_ids, status=SyncRun.Status.QUEUED):
        fail(run, error)


def execute_in_thread(run_ids: list[str]) -> None:
    from sync.run.engine import execute_queued

    try:
        execute_queued(run_ids)
    finally:
        db.close()
