"""When a connection needs a person, and when it no longer does.

A failed run opens a `needs_person` incident when its kind needs one (the credentials were
rejected, a right is missing, a setting is wrong) and a `failing` incident when the same
transient trouble repeats (SYNC_ALERT_AFTER_FAILURES). A connection that has not succeeded
within the late threshold opens a `late` incident, found by the scheduled tick even when no
run happens at all. A successful run closes every open incident of its connection. Opening
and closing are single statements guarded by the database (a partial unique constraint, a
conditional update), so processes finishing runs at once open and close an incident once.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from sync.models import Incident, SyncRun
from sync.run.health import connection_health
from tenants.models import Connection

log = logging.getLogger(__name__)

# Kinds no retry can mend: a person has to act, so one failed run is enough.
NEEDS_A_PERSON = {"bad_credentials", "token_rejected", "permission", "config"}
FINISHED = (SyncRun.Status.OK, SyncRun.Status.PARTIAL, SyncRun.Status.FAILED)


def after_run(run: SyncRun) -> None:
    """Open or close incidents for the outcome `run` recorded; never raises (a sync's outcome
    stands whatever happens here)."""
    if run.dry_run or run.status not in FINISHED:
        return
    try:
        if run.status == SyncRun.Status.FAILED:
            after_failure(run)
        else:
            close_all(run.connection, run)
    except Exception:
        log.exception("could not update the incidents of run %s", run.pk)


def on_run_finished(sender, run: SyncRun, **kwargs) -> None:
    after_run(run)


def threshold(cause: str) -> int:
    """How many failed runs in a row open an incident of `cause`."""
    limits = settings.SYNC_ALERT_AFTER_FAILURES
    kind = "permanent" if cause == Incident.Cause.NEEDS_PERSON else "transient"
    return max(1, int(limits.get(kind, 1)))


def after_failure(run: SyncRun) -> None:
    permanent = run.error_kind in NEEDS_A_PERSON
    cause = Incident.Cause.NEEDS_PERSON if permanent else Incident.Cause.FAILING
    needed = threshold(cause)
    latest = SyncRun.objects.filter(
        connection_id=run.connection_id, dry_run=False, status__in=FINISHED
    ).order_by("-finished_at")[:needed]
    statuses = list(latest.values_list("status", flat=True))
    if len(statuses) == needed and all(s == SyncRun.Status.FAILED for s in statuses):
        open_incident(run.connection, cause, run=run, message=first_line(run.error_message))
    else:
        Incident.objects.filter(connection_id=run.connection_id, closed_at__isnull=True).update(
            latest_run=run
        )


def open_incident(
    connection: Connection, cause: str, *, run: SyncRun | None = None, message: str = ""
) -> Incident | None:
    """The open incident of `connection` for `cause`, opened now unless one is open already
    (then it only learns of the latest run). None if this call did not open it."""
    try:
        with transaction.atomic():
            return Incident.objects.create(
                connection=connection,
                cause=cause,
                error_kind=run.error_kind if run else "",
                message=message,
                opened_at=timezone.now(),
                opening_run=run,
                latest_run=run,
            )
    except IntegrityError:  # open already, perhaps by another process this very moment
        if run is not None:
            Incident.objects.filter(
                connection=connection, cause=cause, closed_at__isnull=True
            ).update(latest_run=run)
        return None


def close_all(connection: Connection, run: SyncRun) -> int:
    """A run succeeded: every open incident of its connection closes, its closing message due."""
    return Incident.objects.filter(connection=connection, closed_at__isnull=True).update(
        closed_at=run.finished_at or timezone.now(),
        closing_run=run,
        closing_notice=Incident.Notice.DUE,
    )


def open_late(now: datetime | None = None) -> list[Incident]:
    """A `late` incident for each enabled connection with no success within the late
    threshold, runs or no runs; the ones opened by this call."""
    opened = []
    for health in connection_health(now=now):
        if health.state != "late":
            continue
        connection = health.connection
        since = connection.last_success_at
        message = (
            f"No successful sync since {timezone.localtime(since):%Y-%m-%d %H:%M %Z}."
            if since
            else "No successful sync since the connection was added."
        )
        incident = open_incident(connection, Incident.Cause.LATE, message=message)
        if incident is not None:
            opened.append(incident)
    return opened


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
