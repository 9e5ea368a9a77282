import json
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sync.alerts.rounds import Round
from sync.models import SyncRun
from sync.run.coverage import described
from sync.run.engine import sync_many
from sync.run.selection import UnknownSelection, enabled_connections
from sync.run.summary import batch_summary

DRY_RUN = "dry run: "


class Command(BaseCommand):
    help = (
        "Sync every enabled connection (or those chosen by --source/--tenant). "
        "Exit 0 when all succeeded, 1 when any failed, 2 on usage or configuration errors. "
        "Safe to run from cron, a systemd timer or a Kubernetes CronJob."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", action="append", default=[], help="only this source")
        parser.add_argument("--tenant", action="append", default=[], help="only this tenant slug")
        parser.add_argument("--workers", type=int, default=None, help="connections in parallel")
        parser.add_argument("--dry-run", action="store_true", help="report, write nothing")
        parser.add_argument("--json", action="store_true", help="print a JSON summary")
        parser.add_argument(
            "--trigger", choices=[c for c, _ in SyncRun.Trigger.choices], default="cli"
        )

    def handle(self, **options):
        workers = settings.SYNC_WORKERS if options["workers"] is None else options["workers"]
        if workers < 1:
            raise CommandError("--workers must be at least 1", returncode=2)
        try:
            connections = list(enabled_connections(options["source"], options["tenant"]))
        except UnknownSelection as exc:
            raise CommandError(str(exc), returncode=2) from None
        if not connections and (options["source"] or options["tenant"]):
            self.stderr.write(nothing_selected(options))
        if settings.SYNC_EXECUTOR == "celery" and not options["dry_run"]:
            return hand_to_celery(self, connections, options)  # a dry run reports right here
        report = Report(self, len(connections), quiet=options["json"], dry_run=options["dry_run"])
        scheduled = Round(options["trigger"])
        scheduled.start()
        try:
            runs = sync_many(
                connections,
                trigger=options["trigger"],
                workers=workers,
                dry_run=options["dry_run"],
                on_done=report.done,
            )
        except Exception as error:
            scheduled.crashed(error)
            raise
        scheduled.finish(runs)
        summary = batch_summary(runs)
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False))
        else:
            report.closing(summary)
        if not summary["success"]:
            sys.exit(1)


class Report:
    """One plain line per run; on a terminal, a progress counter in between."""

    def __init__(self, command: BaseCommand, total: int, quiet: bool, dry_run: bool) -> None:
        self.command, self.total, self.quiet = command, total, quiet
        self.dry_run = dry_run
        self.finished = 0
        self.lock = threading.Lock()
        self.tty = command.stderr.isatty()

    def done(self, run: SyncRun) -> None:
        if self.quiet:
            return
        with self.lock:
            self.finished += 1
            if self.tty:
                self.command.stderr.write("\r\x1b[K", ending="")
            self.command.stdout.write(line(run))
            if self.tty and self.finished < self.total:
                self.command.stderr.write(f"[{self.finished}/{self.total}] syncing…", ending="")
                self.command.stderr.flush()

    def closing(self, summary: dict) -> None:
        failed = len(summary["failed_tenants"])
        text = (
            f"{summary['total_syncs']} sync(s) of {summary['tenants_processed']} tenant(s), "
            f"{failed} failed"
        )
        if self.dry_run:
            text = f"{DRY_RUN}{text}; the mirror was not changed"
        self.command.stdout.write(text)


def line(run: SyncRun) -> str:
    counts = " ".join(f"{k}={v}" for k, v in run.totals().items()) if run.counts else ""
    seconds = f"{run.duration.total_seconds():.1f}s" if run.duration else ""
    unread = ", ".join(run.not_fetched())
    unread = f" not fetched: {unread}" if unread else ""
    coverage = described(run.coverage)
    if coverage and coverage["state"] == "partial":
        unread += " partial coverage: " + "; ".join(coverage["gaps"][:3])
    error = f" — {run.error_message}" if run.error_message else ""
    who = f"{run.connection.tenant.slug}/{run.connection.source}"
    dry = DRY_RUN if run.dry_run else ""  # so no line of a dry run reads as a real sync's
    return (
        f"{dry}{run.status:<8} {who:<32} {counts} requests={run.requests_made} {seconds}"
        f"{unread}{error}"
    )


def nothing_selected(options) -> str:
    chosen = [f"--tenant {slug}" for slug in options["tenant"]]
    chosen += [f"--source {slug}" for slug in options["source"]]
    return f"nothing to sync: no enabled connection of an active tenant matches {' '.join(chosen)}"


def hand_to_celery(command: BaseCommand, connections, options) -> None:
    """Queue one run per connection for the Celery workers and print the runs, not outcomes."""
    from sync.ops.celery_tasks import queue_connections  # Celery is imported only when chosen

    runs = queue_connections(connections, trigger=options["trigger"])
    summary = batch_summary(runs)
    if options["json"]:
        command.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        for run in runs:
            who = f"{run.connection.tenant.slug}/{run.connection.source}"
            error = f" — {run.error_message}" if run.error_message else ""
            command.stdout.write(f"{run.status:<8} {who:<32} run {run.pk}{error}")
        command.stdout.write(
            f"{summary['queued']} of {len(runs)} run(s) queued for Celery workers; "
            "their outcomes will be in the run history (sync_status, the admin's sync runs)"
        )
    if not summary["success"]:
        sys.exit(1)  # the broker refused them: they are recorded failed
