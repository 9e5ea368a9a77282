"""The purge of records gone upstream: a mirrored row missing upstream for longer than its
tenant's purge period (SYNC_PURGE_MISSING_DAYS, or the tenant's own; 0 never purges) is
deleted with its ExternalRef. Rows that depend on it follow the models' rules (a pupil's
enrolments and marks go with it, a lesson's room link is cleared), and their references go too,
so a record that comes back after the purge comes back as new. Before the purge, a record that
reappears is reactivated as always.

Each connection is purged under its lease, as a run would hold it, so a sync of the same
connection is never disturbed (a connection syncing right now is left for the next time), and
in batches, each in a short transaction of its own: no mirrored table is locked for a whole
purge.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from sync.models import ExternalRef
from sync.run import lease
from sync.run.lease import LeaseLost
from sync.sources import registry
from tenants.models import Connection

BATCH = 1000


@dataclass
class Purged:
    records: dict[str, int] = field(default_factory=dict)  # "tenant/source/kind" -> rows
    busy: list[str] = field(default_factory=list)  # connections syncing: left for next time
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.records.values())

    def as_dict(self) -> dict:
        return {
            "records": self.records,
            "total": self.total,
            "busy": self.busy,
            "dry_run": self.dry_run,
        }


def period_of(connection: Connection) -> int:
    """Days a missing record of `connection` is kept; 0 keeps it for good."""
    own = connection.tenant.purge_missing_days
    return settings.SYNC_PURGE_MISSING_DAYS if own is None else own


def purge_missing(now: datetime | None = None, *, dry_run=False) -> Purged:
    now = now or timezone.now()
    result = Purged(dry_run=dry_run)
    for connection in Connection.objects.select_related("tenant"):
        days = period_of(connection)
        try:
            source = registry.get(connection.source)
        except LookupError:
            continue  # a source no longer installed: its rows are nobody's to judge
        if not days:
            continue
        cutoff = now - timedelta(days=days)
        name = f"{connection.tenant.slug}/{connection.source}"
        if dry_run:
            for stream in source.streams():
                count = gone_refs(connection, stream.kind, cutoff).count()
                if count:
                    result.records[f"{name}/{stream.kind}"] = count
            continue
        holder = uuid.uuid4()  # the purge holds the lease as a run would
        if not lease.claim(connection.pk, holder):
            result.busy.append(name)
            continue
        try:
            purged = 0
            for stream in reversed(source.streams()):  # dependent rows before what they point to
                count = purge_stream(connection, stream, cutoff, holder)
                if count:
                    result.records[f"{name}/{stream.kind}"] = count
                purged += count
            if purged:
                for stream in source.streams():
                    forget_orphans(connection, stream)
        except LeaseLost:
            result.busy.append(name)  # a sync took over; what was purged so far stays purged
        finally:
            lease.release(connection.pk, holder)
    return result


def gone_refs(connection: Connection, kind: str, cutoff: datetime):
    return ExternalRef.objects.filter(
        tenant_id=connection.tenant_id,
        source=connection.source,
        kind=kind,
        missing_since__lt=cutoff,
    )


def purge_stream(connection: Connection, stream, cutoff: datetime, holder) -> int:
    refs, purged = gone_refs(connection, stream.kind, cutoff), 0
    while True:
        batch = list(refs.values_list("pk", "object_id")[:BATCH])
        if not batch:
            return purged
        lease.renew(connection.pk, holder)  # raises if a sync took over: stop at once
        with transaction.atomic():
            rows = stream.model.objects.filter(tenant_id=connection.tenant_id)
            rows.filter(pk__in=[object_id for _, object_id in batch]).delete()
            ExternalRef.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
        purged += len(batch)


def forget_orphans(connection: Connection, stream) -> int:
    """References whose row went with a purged one (a pupil's marks): gone too, so a record
    coming back is new rather than pointing at nothing."""
    content_type = ContentType.objects.get_for_model(stream.model)
    row = stream.model.objects.filter(pk=OuterRef("object_id"))
    orphans = ExternalRef.objects.filter(
        tenant_id=connection.tenant_id,
        source=connection.source,
        kind=stream.kind,
        content_type=content_type,
    ).filter(~Exists(row))
    forgotten = 0
    while True:
        batch = list(orphans.values_list("pk", flat=True)[:BATCH])
        if not batch:
            return forgotten
        ExternalRef.objects.filter(pk__in=batch).delete()
        forgotten += len(batch)
