"""`/metrics`: the state of every connection in Prometheus' text format, read from the database
at scrape time (syncs run in short-lived processes: nothing to push, nothing kept in memory).

A fixed handful of queries whatever the number of connections. Labels are tenant and source
slugs, statuses and error kinds: never a secret, an address or a message. Open to a valid API
token (`Authorization: Bearer …`) or to a client address in SYNC_METRICS_ALLOW.
"""

import ipaddress
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from sync.models import Incident, SyncRun
from sync.ops.tokens import authenticate
from sync.run.health import connection_health

STATES = ("ok", "late", "failing", "never", "disabled")
FINISHED = (SyncRun.Status.OK, SyncRun.Status.PARTIAL, SyncRun.Status.FAILED)
CHANGES = ("created", "updated", "missing")


def allowed(request) -> bool:
    if authenticate(request.headers.get("Authorization", "")) is not None:
        return True
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        client in ipaddress.ip_network(net, strict=False) for net in settings.SYNC_METRICS_ALLOW
    )


def metrics(request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    if not allowed(request):
        return HttpResponse(
            "Send Authorization: Bearer <API token>, or scrape from an address in "
            "SYNC_METRICS_ALLOW.\n",
            status=401,
            content_type="text/plain",
            headers={"WWW-Authenticate": "Bearer"},
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SyncCollector())
    # the classic text format every Prometheus reads (2.x and later)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)


class SyncCollector:
    """Everything at once, per scrape: the connections' health and last finished runs, their
    open incidents, and the runs of the last 24 hours by status and error kind."""

    def collect(self):
        now = timezone.now()
        health = connection_health(now=now)
        last_runs = last_finished_runs([h.connection for h in health])
        incidents = open_incidents()
        labels = ["tenant", "source"]
        success = GaugeMetricFamily(
            "edurpg_connection_last_success_timestamp_seconds",
            "When the connection last synced successfully (Unix time); absent if never.",
            labels=labels,
        )
        duration = GaugeMetricFamily(
            "edurpg_connection_last_run_duration_seconds",
            "How long the connection's last finished run took.",
            labels=labels,
        )
        changed = GaugeMetricFamily(
            "edurpg_connection_last_run_records_changed",
            "Records the last finished run created, updated or marked missing.",
            labels=labels,
        )
        requests = GaugeMetricFamily(
            "edurpg_connection_last_run_requests",
            "Requests the last finished run made upstream.",
            labels=labels,
        )
        state = GaugeMetricFamily(
            "edurpg_connection_state",
            "1 for the connection's state (ok, late, failing, never, disabled), 0 for the others.",
            labels=[*labels, "state"],
        )
        open_now = GaugeMetricFamily(
            "edurpg_connection_open_incidents",
            "Incidents of the connection open now.",
            labels=labels,
        )
        for item in health:
            connection = item.connection
            key = [connection.tenant.slug, connection.source]
            if connection.last_success_at:
                success.add_metric(key, connection.last_success_at.timestamp())
            run = last_runs.get(connection.pk)
            if run is not None:
                if run.duration is not None:
                    duration.add_metric(key, run.duration.total_seconds())
                totals = run.totals()
                changed.add_metric(key, sum(totals.get(name, 0) for name in CHANGES))
                requests.add_metric(key, run.requests_made)
            for name in STATES:
                state.add_metric([*key, name], 1 if item.state == name else 0)
            open_now.add_metric(key, incidents.get(connection.pk, 0))
        yield from (success, duration, changed, requests, state, open_now)
        yield runs_of_the_day(now)


def last_finished_runs(connections) -> dict:
    """Each connection's last finished run (not a dry run), in two queries."""
    from tenants.models import Connection

    latest = SyncRun.objects.filter(
        connection=OuterRef("pk"), status__in=FINISHED, dry_run=False
    ).order_by("-created_at")
    ids = (
        Connection.objects.filter(pk__in=[c.pk for c in connections])
        .annotate(last=Subquery(latest.values("pk")[:1]))
        .values_list("last", flat=True)
    )
    runs = SyncRun.objects.filter(pk__in=[run_id for run_id in ids if run_id])
    return {
        run.connection_id: run
        for run in runs.only(
            "connection_id", "started_at", "finished_at", "counts", "requests_made"
        )
    }


def open_incidents() -> dict[int, int]:
    rows = (
        Incident.objects.filter(closed_at__isnull=True)
        .values("connection_id")
        .annotate(open=Count("pk"))
    )
    return {row["connection_id"]: row["open"] for row in rows}


def runs_of_the_day(now) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "edurpg_runs_24h",
        "Runs created in the last 24 hours, by status and error kind.",
        labels=["status", "error_kind"],
    )
    rows = (
        SyncRun.objects.filter(created_at__gte=now - timedelta(hours=24), dry_run=False)
        .values("status", "error_kind")
        .annotate(runs=Count("pk"))
        .order_by("status", "error_kind")
    )
    for row in rows:
        family.add_metric([row["status"], row["error_kind"]], row["runs"])
    return family
