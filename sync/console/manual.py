"""What a person starts by hand in the admin: "Sync now" and "Test connection".

Both are plain functions over connections; the admin's buttons, actions and "Save and test" are
thin shells over them. A manual sync takes the launcher's path, like the HTTP trigger.
"""

from dataclasses import dataclass, field

from django.utils import timezone

from sync.models import SyncRun
from sync.run import lease
from sync.run.launcher import queue_runs, start_in_background
from sync.sources import registry
from sync.upstream import scrub
from sync.upstream.diagnosis import Diagnosis
from tenants.models import Account, Connection


@dataclass
class SyncRequest:
    """The answer to "Sync now": runs started, and connections left alone with the reason."""

    runs: list[SyncRun] = field(default_factory=list)
    busy: list[Connection] = field(default_factory=list)
    disabled: list[Connection] = field(default_factory=list)


def current_run(connection: Connection) -> SyncRun | None:
    """The run holding the connection's lease, or one queued moments ago and about to take it."""
    runs = SyncRun.objects.filter(connection=connection)
    holder = lease.holder(connection.pk)
    if holder:
        return runs.filter(pk=holder).first()
    # Between queueing and claiming the lease a run holds nothing yet; a queued run older than
    # a lease's lifetime never started (its process died) and must not block the button forever.
    fresh = timezone.now() - lease.ttl()
    queued = runs.filter(status=SyncRun.Status.QUEUED, created_at__gte=fresh)
    return queued.order_by("-created_at").first()


def is_busy(connection: Connection) -> bool:
    return lease.holder(connection.pk) is not None or current_run(connection) is not None


def sync_now(connections, user) -> SyncRequest:
    """Queue a run of each idle, enabled connection and start them in the background."""
    request = SyncRequest()
    ready = []
    for connection in connections:
        if not (connection.enabled and connection.tenant.active):
            request.disabled.append(connection)
        elif is_busy(connection):
            request.busy.append(connection)
        else:
            ready.append(connection)
    request.runs = queue_runs(ready, trigger=SyncRun.Trigger.MANUAL, user=user)
    start_in_background(request.runs)
    return request


def verdict(diagnosis: Diagnosis) -> str:
    """A test's outcome in plain words, naming the step that failed."""
    timing = f"({diagnosis.latency_ms} ms)"
    if diagnosis.ok:
        return f"succeeded: {diagnosis.message} {timing}"
    return f"failed at the step “{diagnosis.step_name}”: {diagnosis.message} {timing}"


def test_connection(connection: Connection) -> Diagnosis:
    """Reach and log in to the connection's server; keep the outcome on the connection."""
    with scrub.guarding(connection):  # what is logged meanwhile never carries its secrets
        diagnosis = registry.get(connection.source).test_connection(connection)
    diagnosis = scrub.diagnosis(diagnosis, connection)  # upstream may have echoed a secret back
    connection.last_tested_at = timezone.now()
    connection.last_test_ok = diagnosis.ok
    connection.last_test_result = verdict(diagnosis)
    Connection.objects.filter(pk=connection.pk).update(
        last_tested_at=connection.last_tested_at,
        last_test_ok=diagnosis.ok,
        last_test_result=connection.last_test_result,
    )
    return diagnosis


def test_accounts(connection: Connection) -> list[tuple[Account, Diagnosis]]:
    """Test each enabled further account of `connection` as its own login; keep each outcome
    on its account."""
    source = registry.get(connection.source)
    if not source.several_accounts:
        return []
    results = []
    for account in connection.accounts.filter(enabled=True):
        login = account.as_connection()
        with scrub.guarding(login):
            diagnosis = source.test_connection(login)
        diagnosis = scrub.diagnosis(diagnosis, login)
        account.last_tested_at, account.last_test_ok = timezone.now(), diagnosis.ok
        account.last_test_result = verdict(diagnosis)
        Account.objects.filter(pk=account.pk).update(
            last_tested_at=account.last_tested_at,
            last_test_ok=diagnosis.ok,
            last_test_result=account.last_test_result,
        )
        results.append((account, diagnosis))
    return results
