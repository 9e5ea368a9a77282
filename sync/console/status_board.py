"""The status board, the admin's landing page: every connection the user may see at a glance.

Each row holds the connection's state, last success, next scheduled run, success rates, open
incident and its last runs. The page reads the database in a fixed number of queries whatever
the number of connections: health in its three, the rest in one query each for the page shown.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from sync.console.overview import STATES, state_condition, success_rate_text
from sync.console.scoping import in_scope, tenants_of
from sync.models import Incident, SyncRun
from sync.run.health import SUCCESS, Health, connection_health
from sync.run.schedule import next_tick
from sync.sources import registry
from tenants.models import Connection

PER_PAGE = 100
STRIP_RUNS = 30
ICONS = {"ok": "✔", "late": "⏰", "failing": "✖", "never": "○", "disabled": "⊘"}
ATTENTION = ("failing", "late")  # the states the counts line names


@dataclass
class Row:
    health: Health
    rate_24h: str
    rate_7d: str
    incident: Incident | None
    runs: list[SyncRun]

    @property
    def connection(self) -> Connection:
        return self.health.connection

    @property
    def icon(self) -> str:
        return ICONS[self.health.state]

    @property
    def word(self) -> str:
        return STATES[self.health.state]


def visible(user) -> QuerySet[Connection]:
    """The connections of the connection list: the user's tenants', if they may view them."""
    if not user.has_perm("tenants.view_connection"):
        return Connection.objects.none()
    return in_scope(Connection.objects.all(), user, "tenant")


def filtered(connections: QuerySet, params, now: datetime) -> QuerySet:
    """`connections` narrowed by the GET parameters tenant, source, state and q."""
    if params.get("tenant", "").isdigit():
        connections = connections.filter(tenant=params["tenant"])
    if params.get("source"):
        connections = connections.filter(source=params["source"])
    if params.get("state") in STATES:
        connections = connections.filter(state_condition(params["state"], now))
    if params.get("q", "").strip():
        connections = connections.filter(tenant__name__icontains=params["q"].strip())
    return connections


def counts_line(connections: QuerySet, now: datetime) -> str:
    """Like "2 failing, 1 late of 312", in one query."""
    counts = connections.aggregate(
        total=Count("pk"),
        **{state: Count("pk", filter=state_condition(state, now)) for state in ATTENTION},
    )
    named = [f"{counts[state]} {state}" for state in ATTENTION if counts[state]]
    return f"{', '.join(named) or 'none failing or late'} of {counts['total']}"


def rates_7d(pks: list[int], now: datetime) -> dict[int, str]:
    week = Q(created_at__gte=now - timedelta(days=7))
    rows = (
        SyncRun.objects.filter(week, connection__in=pks)
        .values("connection")
        .annotate(
            succeeded=Count("pk", filter=Q(status__in=SUCCESS)),
            failed=Count("pk", filter=Q(status=SyncRun.Status.FAILED)),
        )
    )
    return {r["connection"]: rate_text(r["succeeded"], r["failed"]) for r in rows}


def rate_text(succeeded: int, failed: int) -> str:
    runs = succeeded + failed
    return f"{round(100 * succeeded / runs)}% of {runs}" if runs else "no runs"


def last_runs(pks: list[int]) -> dict[int, list[SyncRun]]:
    """The latest runs of each connection, oldest first, in one query."""
    ranked = SyncRun.objects.filter(connection__in=pks).annotate(
        rank=Window(RowNumber(), partition_by=F("connection"), order_by=F("created_at").desc())
    )
    runs: dict[int, list[SyncRun]] = {pk: [] for pk in pks}
    fields = ("id", "connection", "status", "created_at", "started_at", "finished_at")
    for run in ranked.filter(rank__lte=STRIP_RUNS).only(*fields).order_by("created_at"):
        runs[run.connection_id].append(run)
    return runs


def open_incidents(pks: list[int]) -> dict[int, Incident]:
    """Each connection's open incident (the latest, should causes overlap), in one query."""
    incidents = Incident.objects.filter(connection__in=pks, closed_at__isnull=True)
    return {i.connection_id: i for i in incidents.order_by("opened_at")}


def rows_of(pks: list[int], now: datetime) -> list[Row]:
    healths = connection_health(Connection.objects.filter(pk__in=pks), now)
    by_pk = {h.connection.pk: h for h in healths}
    rates, runs, incidents = rates_7d(pks, now), last_runs(pks), open_incidents(pks)
    return [
        Row(
            by_pk[pk],
            success_rate_text(by_pk[pk]),
            rates.get(pk, "no runs"),
            incidents.get(pk),
            runs[pk],
        )
        for pk in pks
    ]


def board(request) -> dict:
    """The template's context for the board of the user's connections."""
    now = timezone.now()
    connections = visible(request.user)
    shown = filtered(connections, request.GET, now).order_by("tenant__name", "source", "pk")
    page = Paginator(shown.values_list("pk", flat=True), PER_PAGE).get_page(request.GET.get("page"))
    return {
        "board_rows": rows_of(list(page), now),
        "board_page": page,
        "board_counts": counts_line(connections, now),
        "board_next_run": next_run(now),
        "board_schedule": settings.SYNC_SCHEDULE,
        "board_tenants": tenants_of(request.user).only("pk", "name"),
        "board_sources": registry.all_sources(),
        "board_states": STATES,
        "board_filters": {k: v for k, v in request.GET.items() if k != "page"},
    }


def next_run(now: datetime) -> datetime | None:
    """The schedule's next tick; cron reads it in the system's local time."""
    local = now.astimezone()
    tick = next_tick(settings.SYNC_SCHEDULE, local.replace(tzinfo=None))
    return tick.replace(tzinfo=local.tzinfo) if tick else None


def install(site: admin.AdminSite) -> None:
    """Make the board the site's index, above the app list."""
    app_index = site.index

    def index(request, extra_context=None):
        context = board(request) if request.user.has_perm("tenants.view_connection") else {}
        return app_index(request, {**context, **(extra_context or {})})

    site.index = index
    site.index_template = "admin/sync/status_board.html"
