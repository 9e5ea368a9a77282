"""One connection, one run: lease -> fetch -> map -> write -> record.

Everything is fetched before anything is written; the writes of all streams then happen in one
transaction, so a failure at any point leaves the connection's mirrored data as it was.
"""

import logging
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import Empty, SimpleQueue

from django.db import DatabaseError, close_old_connections, transaction
from django.db import connection as db
from django.utils import timezone

from sync.models import SyncRun
from sync.run import coverage, events, lease, logins, query_log, schedule
from sync.run.progress import Progress
from sync.run.writer import Counts, StreamWriter
from sync.sources import registry
from sync.upstream import scrub
from sync.upstream.errors import PermissionDenied, StorageError, SyncError
from tenants.models import Connection

log = logging.getLogger(__name__)


def worker_name() -> str:
    """host:pid of the process running a sync, read per run: pool processes fork after import."""
    return f"{socket.gethostname()}:{os.getpid()}"


def sync_connection(
    connection: Connection,
    *,
    trigger: str,
    user=None,
    dry_run=False,
    transport=None,
    round_started=None,
) -> SyncRun:
    """Run one sync now, in this thread, and return its recorded run.

    With `round_started`, a connection another process synced since then is skipped: piled-up
    cron ticks sync each connection once, not once per tick.
    """
    run = SyncRun.objects.create(
        connection=connection, trigger=trigger, triggered_by=user, dry_run=dry_run
    )
    return execute(run, transport=transport, round_started=round_started)


def execute(run: SyncRun, *, transport=None, round_started=None) -> SyncRun:
    """Carry out a queued run; never raises for a failure of the sync itself."""
    connection = run.connection
    query_log.keep_short()
    if not lease.claim(connection.pk, run.pk):
        if lease.holder(connection.pk) == run.pk:
            return run  # another delivery of this very run is at work (Celery redelivery)
        return skip(run)
    with scrub.guarding(connection):  # what is logged meanwhile never carries its secrets
        return carry_out(run, transport, round_started)


def carry_out(run: SyncRun, transport, round_started) -> SyncRun:
    """The leased part of a run: its outcome recorded whatever happens, the lease released."""
    connection = run.connection
    try:
        # checked under the lease, so a run finishing meanwhile cannot slip past the check
        earlier = synced_since(run, round_started)
        if earlier is not None:
            return skip(run, f"Skipped: run {earlier} synced this connection in this round.")
        abandon_expired(connection.pk, run.pk)
        start(run)
        fetch_and_write(run, transport)
    except SyncError as error:
        fail(run, error)
    except DatabaseError as error:
        log.exception("database error during sync", extra={"run_id": str(run.pk)})
        fail(run, StorageError(error))
    except Exception as error:  # a bug or a database failure: record it, keep other runs going
        log.exception("sync crashed", extra={"run_id": str(run.pk)})
        fail(
            run, SyncError(f"Internal error ({type(error).__name__}); see the log of run {run.pk}.")
        )
    finally:
        lease.release(connection.pk, run.pk)
    if run.status in SyncRun.FINISHED:
        announce(run)  # its outcome is stored by now: a rolled-back write was failed after it
    return run


def fetch_and_write(run: SyncRun, transport) -> None:
    """Fetch everything, then write it and the run's outcome in one transaction."""
    connection = run.connection
    source = registry.get(connection.source)
    streams = source.streams()
    progress = Progress(run, len(streams))
    batches, notes = read_logins(run, source, transport, progress)
    require_something_read(batches)
    run.coverage = coverage.measured(connection, streams, batches, notes.accounts)
    progress.fetched(sum(batch.count() for batch in batches.values()))
    try:
        with transaction.atomic():
            lease.renew(connection.pk, run.pk)  # the fence: lock our lease row until commit
            counts = write_streams(run, streams, batches, progress)
            if run.dry_run:
                transaction.set_rollback(True)
            else:
                settle(run, counts, notes.failures)  # the outcome commits with the data, or neither
        if run.dry_run:
            settle(run, counts, notes.failures)
    except BaseException:
        unsettle(run)  # whatever the outcome said in memory, it was not stored
        raise
    run._settled = True
    events.emit(
        "sync_ok",
        run,
        status=run.status,
        counts=run.totals(),
        not_fetched=run.not_fetched(),
        **timing(run),
    )


@dataclass
class LoginNotes:
    accounts: dict[str, str] = field(default_factory=dict)  # login -> "ok" or why it failed
    failures: list[str] = field(default_factory=list)  # a sentence per login that failed


def read_logins(run: SyncRun, source, transport, progress) -> tuple[dict, LoginNotes]:
    """Every stream, read through each login of the connection and united (`logins`)."""
    connection = run.connection
    accounts = logins.logins_of(source, connection)
    connection.logins_in_play = [login for _, login in accounts[1:]]  # scrubbed from all text
    parts, notes = [], LoginNotes()
    for name, login in accounts:
        report = progress.fetching if len(accounts) == 1 else named_report(progress, name)
        try:
            with source.client(login, transport=transport) as client:
                progress.client = client
                try:
                    parts.append(logins.Slice(name, source.read(client, login, report)))
                finally:  # the progress may have stored part of it already: not added twice
                    run.requests_made = progress.requests_before + client.requests_made
                    progress.requests_before, progress.client = run.requests_made, None
        except SyncError as error:
            if len(accounts) == 1:
                raise
            parts.append(logins.Slice(name, error=scrub.error(error, connection)))
    if len(accounts) > 1:
        notes.accounts = {p.login: p.error.message if p.error else "ok" for p in parts}
        notes.failures = [logins.failure_note(p) for p in parts if p.error]
        if len(notes.failures) == len(parts):
            raise logins.all_failed(parts)
    return logins.unite(source.streams(), parts), notes


def named_report(progress, login: str):
    def report(what: str, *counts) -> None:
        progress.fetching(f"{what} ({login})", *counts)

    return report


def require_something_read(batches: dict) -> None:
    """A run that could read none of its streams synced nothing: that is no success."""
    reasons = [batch.not_fetched for batch in batches.values()]
    if batches and all(reasons):
        unique = list(dict.fromkeys(reasons))
        raise PermissionDenied("This account could read nothing to sync: " + " ".join(unique))


def write_streams(run, streams, batches, progress) -> dict[str, Counts]:
    """Each stream in turn; a stream's records are let go once written, and its ids kept
    only when another stream links to it."""
    connection, now, object_ids, aliases = run.connection, timezone.now(), {}, {}
    linked = link_targets(streams)
    counts = {}
    for done, stream in enumerate(streams):
        progress.writing(stream.label or stream.kind, done)
        writer = StreamWriter(
            connection.tenant,
            connection.source,
            stream,
            now,
            object_ids,
            aliases,
            keeps_ids=stream.kind in linked,
            last_success=connection.last_success_at,
        )
        counts[stream.kind] = writer.write(batches.pop(stream.kind))
    return counts


def link_targets(streams) -> set[str]:
    """The kinds some stream's rows link to (by a foreign key to its model)."""
    kinds = {stream.model: stream.kind for stream in streams}
    return {
        kinds[field.related_model]
        for stream in streams
        for field in stream.model._meta.concrete_fields
        if field.is_relation and field.related_model in kinds
    }


def start(run: SyncRun) -> None:
    run.status, run.started_at = SyncRun.Status.RUNNING, timezone.now()
    run.worker = worker_name()
    run.progress = {"stage": "starting"}
    run.save(update_fields=["status", "started_at", "worker", "progress"])
    events.emit("sync_start", run, dry_run=run.dry_run)
    run._clock = time.monotonic()


def settle(run: SyncRun, counts: dict[str, Counts], failures: list[str] = ()) -> None:
    warnings = [*failures, *(w for c in counts.values() for w in c.warnings)]
    run.status = SyncRun.Status.PARTIAL if warnings else SyncRun.Status.OK
    run.counts = {kind: c.as_dict() for kind, c in counts.items()}
    run.error_message = "\n".join(warnings)
    close(run)


def unsettle(run: SyncRun) -> None:
    """Take back an outcome the database did not store: the run is still running."""
    run.status, run.counts, run.error_message = SyncRun.Status.RUNNING, {}, ""


def fail(run: SyncRun, error: SyncError) -> None:
    if getattr(run, "_settled", False):
        return  # its outcome is committed; what broke afterwards is only logged
    error = scrub.error(error, run.connection)  # upstream may have echoed a secret back
    run.status = SyncRun.Status.FAILED
    run.error_kind, run.error_message = error.kind, error.message
    try:
        close(run)
    finally:  # the failure is told even when the database cannot store it
        events.emit(
            "sync_fail",
            run,
            logging.ERROR,
            error_kind=error.kind,
            error=error.message,
            detail=error.detail,
            **timing(run),
        )


def synced_since(run: SyncRun, moment):
    """The id of a run that synced `run`'s connection after `moment`, if any."""
    if moment is None or run.dry_run:
        return None
    done = SyncRun.objects.filter(
        connection_id=run.connection_id,
        dry_run=False,
        status__in=(SyncRun.Status.OK, SyncRun.Status.PARTIAL),
        finished_at__gte=moment,
    )
    return done.values_list("pk", flat=True).first()


def skip(run: SyncRun, message: str = "") -> SyncRun:
    holder = lease.holder(run.connection_id)
    run.status = SyncRun.Status.SKIPPED
    run.error_message = message or f"Skipped: run {holder} is syncing this connection right now."
    run.started_at = run.finished_at = timezone.now()
    run.save(update_fields=["status", "error_message", "started_at", "finished_at"])
    events.emit("sync_skip", run, holder=str(holder))
    return run


def close(run: SyncRun) -> None:
    run.finished_at = timezone.now()
    run.progress = {**run.progress, "stage": "done"}
    run.save()
    if not run.dry_run:
        record_on_connection(run)


def announce(run: SyncRun) -> None:
    """Tell the receivers of `run_finished`; one that raises is logged, the run stands."""
    for _receiver, result in events.run_finished.send_robust(sender=SyncRun, run=run):
        if isinstance(result, Exception):
            log.error("a receiver of run_finished failed: %r", result)


def record_on_connection(run: SyncRun) -> None:
    """The connection's last outcome; a failure to store it leaves the run's own record true."""
    fields = {
        "last_sync_at": run.finished_at,
        "last_sync_status": run.status,
        "last_error": run.error_message,
    }
    if run.status in (SyncRun.Status.OK, SyncRun.Status.PARTIAL):
        fields["last_success_at"] = run.finished_at
        fields["last_coverage"] = run.coverage
    if run.status == SyncRun.Status.FAILED:
        try:
            with transaction.atomic():
                Connection.objects.filter(pk=run.connection_id).update(**fields)
        except DatabaseError:
            log.exception("could not record the failed run on its connection")
        return
    Connection.objects.filter(pk=run.connection_id).update(**fields)


def abandon_expired(connection_id: int, run_id) -> None:
    """Runs of this connection still marked running died with their process (kill -9, a lost
    machine): their lease expired, or this run could not have claimed it."""
    SyncRun.objects.filter(connection_id=connection_id, status=SyncRun.Status.RUNNING).exclude(
        pk=run_id
    ).update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        error_kind="abandoned",
        error_message="The process running this sync stopped before it finished; "
        "nothing it fetched was written.",
    )


def timing(run: SyncRun) -> dict:
    started = getattr(run, "_clock", None)
    return {"duration_ms": round((time.monotonic() - started) * 1000)} if started else {}


def execute_queued(run_ids, *, workers: int = 1, transport=None) -> list[SyncRun]:
    """Carry out runs created earlier (by the admin or the HTTP trigger)."""
    runs = SyncRun.objects.filter(pk__in=run_ids, status=SyncRun.Status.QUEUED)
    runs = list(runs.select_related("connection__tenant"))
    return in_parallel(runs, lambda run: execute(run, transport=transport), workers)


def in_parallel(items, work, workers: int):
    """Apply `work` to each item, `workers` at a time; every item runs even if one raises."""
    if workers <= 1:
        return [work(item) for item in items]
    close_old_connections()
    numbered = list(enumerate(items))
    pending, results, errors = SimpleQueue(), [None] * len(numbered), {}
    for entry in numbered:
        pending.put(entry)

    def worker():
        # One database connection per worker, not per item: opening one took longer than all
        # the queries of a small sync, and its CPU is taken from the other workers.
        try:
            while True:
                try:
                    index, item = pending.get_nowait()
                except Empty:
                    return
                try:
                    results[index] = work(item)
                except Exception as error:  # raised below, once every item has run
                    errors[index] = error
                finally:
                    keep_if_usable()
        finally:
            db.close()

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sync") as pool:
        running = [pool.submit(worker) for _ in range(workers)]
    for thread in running:
        thread.result()  # what broke outside an item (closing a connection) is raised too
    if errors:
        raise errors[min(errors)]
    return results


def keep_if_usable() -> None:
    """What Django checks between requests, less the age limit: a connection that an error left
    broken is closed, so the worker's next item opens a fresh one."""
    if db.errors_occurred:
        if db.is_usable():
            db.errors_occurred = False
        else:
            db.close()


def sync_many(
    connections, *, trigger: str, workers: int = 1, dry_run=False, user=None, on_done=None
):
    """Sync each connection, `workers` at a time; one failing never stops the others."""
    round_started = schedule.round_started(trigger)

    def one(connection):
        run = sync_connection(
            connection, trigger=trigger, dry_run=dry_run, user=user, round_started=round_started
        )
        if on_done:
            on_done(run)
        return run

    return in_parallel(list(connections), one, workers)
