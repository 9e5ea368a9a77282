"""History retention: runs older than SYNC_HISTORY_DAYS are deleted, in batches, each in a short
transaction of its own. Each connection keeps its latest run, its latest successful run and its
latest failed run however old, so its page and its health still say what happened last. Closed
incidents older than the retention go with them (open ones stay until they close)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from sync.models import Incident, SyncRun
from tenants.models import Connection

BATCH = 2000
SUCCESS = (SyncRun.Status.OK, SyncRun.Status.PARTIAL)


@dataclass
class Pruned:
    cutoff: datetime
    runs: int = 0
    incidents: int = 0
    kept: int = 0  # old runs kept as a connection's latest, latest success or latest failure
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "cutoff": self.cutoff.isoformat(),
            "runs": self.runs,
            "incidents": self.incidents,
            "kept": self.kept,
            "dry_run": self.dry_run,
        }


def kept_runs() -> set:
    """Each connection's latest run, latest successful run and latest failed run."""

    def latest(**condition):
        runs = SyncRun.objects.filter(connection=OuterRef("pk"), **condition)
        return Subquery(runs.order_by("-created_at").values("pk")[:1])

    rows = Connection.objects.annotate(
        last=latest(),
        last_success=latest(status__in=SUCCESS),
        last_failure=latest(status=SyncRun.Status.FAILED),
    ).values_list("last", "last_success", "last_failure")
    return {run_id for row in rows for run_id in row if run_id is not None}


def prune(now: datetime | None = None, *, days: int | None = None, dry_run=False) -> Pruned:
    days = settings.SYNC_HISTORY_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    result = Pruned(cutoff=cutoff, dry_run=dry_run)
    keep = kept_runs()
    old = SyncRun.objects.filter(created_at__lt=cutoff)
    result.kept = old.filter(pk__in=keep).count()
    gone = Incident.objects.filter(closed_at__lt=cutoff)
    if dry_run:
        result.runs = old.exclude(pk__in=keep).count()
        result.incidents = gone.count()
        return result
    result.incidents = delete_in_batches(gone)
    result.runs = delete_in_batches(old.exclude(pk__in=keep).order_by("created_at"))
    return result


def delete_in_batches(queryset) -> int:
    """Delete what `queryset` selects, BATCH rows per short transaction; how many."""
    deleted = 0
    while True:
        batch = list(queryset.values_list("pk", flat=True)[:BATCH])
        if not batch:
            return deleted
        with transaction.atomic():  # the rows as bare keys: a batch of whole runs is megabytes
            queryset.model.objects.filter(pk__in=batch).only("pk").delete()
        deleted += len(batch)
