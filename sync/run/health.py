"""Who is late or failing: computed from the connections and their runs, never stored.

Late means no successful sync within twice the schedule's longest interval.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from sync.models import Lease, SyncRun
from sync.run.coverage import described
from sync.run.schedule import expected_interval
from tenants.models import Connection

SUCCESS = (SyncRun.Status.OK, SyncRun.Status.PARTIAL)


@dataclass(frozen=True)
class Health:
    connection: Connection
    state: str  # ok, late, failing, never, disabled
    running: bool
    succeeded_24h: int
    failed_24h: int

    @property
    def success_rate_24h(self) -> float | None:
        total = self.succeeded_24h + self.failed_24h
        return round(self.succeeded_24h / total, 3) if total else None

    @property
    def needs_attention(self) -> bool:
        return self.state in ("late", "failing")

    def as_dict(self) -> dict:
        c = self.connection
        return {
            "tenant": c.tenant.slug,
            "source": c.source,
            "state": self.state,
            "running": self.running,
            "last_status": c.last_sync_status or None,
            "last_sync_at": c.last_sync_at.isoformat() if c.last_sync_at else None,
            "last_success_at": c.last_success_at.isoformat() if c.last_success_at else None,
            "success_rate_24h": self.success_rate_24h,
            "runs_24h": self.succeeded_24h + self.failed_24h,
            "coverage": described(c.last_coverage),
        }


def state_of(connection: Connection, now: datetime, window: timedelta) -> str:
    if not connection.enabled or not connection.tenant.active:
        return "disabled"
    if connection.last_sync_status == Connection.Status.FAILED:
        return "failing"
    last_good = connection.last_success_at
    if last_good is None:
        return "late" if now - connection.created_at > window else "never"
    return "late" if now - last_good > window else "ok"


def connection_health(connections=None, now: datetime | None = None) -> list[Health]:
    """Health of each connection, in three queries whatever their number."""
    now = now or timezone.now()
    window = 2 * expected_interval()
    day = Q(runs__created_at__gte=now - timedelta(hours=24))
    rows = (connections if connections is not None else Connection.objects.all()).select_related(
        "tenant"
    )
    rows = rows.annotate(
        succeeded_24h=Count("runs", filter=day & Q(runs__status__in=SUCCESS)),
        failed_24h=Count("runs", filter=day & Q(runs__status=SyncRun.Status.FAILED)),
    ).order_by("tenant__slug", "source")
    running = set(
        Lease.objects.filter(run__isnull=False, expires_at__gt=now).values_list(
            "connection_id", flat=True
        )
    )
    return [
        Health(c, state_of(c, now, window), c.pk in running, c.succeeded_24h, c.failed_24h)
        for c in rows
    ]
