"""At most one run per connection, across processes and machines, on any database.

The lease is a row per connection claimed with a conditional UPDATE: of two racing claims the
database lets exactly one change the row. It expires by itself, so a holder killed with -9
blocks the connection only until `SYNC_LEASE_SECONDS` pass. The run renews it while it works,
and once more inside its write transaction: that renewal fences the commit, because a run that
lost its lease finds no row to renew and rolls back.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from sync.models import Lease
from sync.upstream.errors import SyncError


class LeaseLost(SyncError):
    kind = "lease_lost"
    remedy = (
        "The run stopped renewing its lease for SYNC_LEASE_SECONDS (a stalled process, a slow "
        "database) and another run took over; raise SYNC_LEASE_SECONDS if runs pause that long."
    )

    def __init__(self) -> None:
        super().__init__(
            "This run took too long and another run took over the connection; "
            "nothing was written by this one."
        )


def ttl() -> timedelta:
    return timedelta(seconds=settings.SYNC_LEASE_SECONDS)


def claim(connection_id: int, run_id) -> bool:
    """Take the connection's lease for `run_id` if nobody holds it or the holder's expired."""
    if take(connection_id, run_id):
        return True
    # Held, or the connection's first run: only then is it worth asking whether the row exists.
    return ensure_row(connection_id) and take(connection_id, run_id)


def take(connection_id: int, run_id) -> bool:
    now = timezone.now()
    free = Q(run__isnull=True) | Q(expires_at__lt=now)
    claimed = Lease.objects.filter(free, connection_id=connection_id).update(
        run=run_id, expires_at=now + ttl()
    )
    return claimed == 1


def ensure_row(connection_id: int) -> bool:
    """Give the connection a lease row; False if it had one already (so a failed claim meant
    the lease is held)."""
    if Lease.objects.filter(connection_id=connection_id).exists():
        return False
    try:
        with transaction.atomic():
            Lease.objects.create(connection_id=connection_id)
    except IntegrityError:
        pass  # another process created it first; the claim decides who holds it
    return True


def holder(connection_id: int):
    """The run id holding the lease now, or None."""
    lease = Lease.objects.filter(connection_id=connection_id).first()
    if lease and lease.run and lease.expires_at and lease.expires_at >= timezone.now():
        return lease.run
    return None


def renew(connection_id: int, run_id) -> None:
    """Push the expiry forward; raise LeaseLost if another run has taken over."""
    renewed = Lease.objects.filter(connection_id=connection_id, run=run_id).update(
        expires_at=timezone.now() + ttl()
    )
    if renewed != 1:
        raise LeaseLost()


def release(connection_id: int, run_id) -> None:
    Lease.objects.filter(connection_id=connection_id, run=run_id).update(run=None, expires_at=None)
