"""The admin's overview of connections: health state, running, 24-hour success rate per row.

`sync.run.health` decides a connection's state in Python; the filter here asks the database the same
question, so the change list can show only the late or failing ones. A test holds them equal.
"""

from datetime import datetime

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Q
from django.utils import timezone

from sync.run.health import Health, connection_health
from sync.run.schedule import expected_interval
from tenants.models import Connection

STATES = {
    "late": "Late",
    "failing": "Failing",
    "ok": "OK",
    "never": "Never synced",
    "disabled": "Disabled",
}


def state_condition(state: str, now: datetime) -> Q:
    """The rows `sync.run.health.state_of` would call `state`, as a filter."""
    overdue = now - 2 * expected_interval()
    live = Q(enabled=True, tenant__active=True)
    failed = Q(last_sync_status=Connection.Status.FAILED)
    unproven = Q(last_success_at__isnull=True)
    conditions = {
        "disabled": ~live,
        "failing": live & failed,
        "late": live
        & ~failed
        & ((unproven & Q(created_at__lt=overdue)) | Q(last_success_at__lt=overdue)),
        "never": live & ~failed & unproven & Q(created_at__gte=overdue),
        "ok": live & ~failed & Q(last_success_at__gte=overdue),
    }
    return conditions[state]


def attach_health(connections: list[Connection]) -> None:
    """Give each connection its `health`, in a fixed number of queries whatever their number."""
    wanted = Connection.objects.filter(pk__in=[c.pk for c in connections])
    by_pk = {h.connection.pk: h for h in connection_health(wanted)}
    for connection in connections:
        connection.health = by_pk.get(connection.pk)


def success_rate_text(health: Health | None) -> str:
    """Like "92% of 12": the successful share of the runs of the last 24 hours."""
    if health is None or health.success_rate_24h is None:
        return "no runs"
    runs = health.succeeded_24h + health.failed_24h
    return f"{round(100 * health.success_rate_24h)}% of {runs}"


class HealthFilter(admin.SimpleListFilter):
    title = "health"
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return list(STATES.items())

    def queryset(self, request, queryset):
        if self.value() not in STATES:
            return queryset
        return queryset.filter(state_condition(self.value(), timezone.now()))


class HealthChangeList(ChangeList):
    """The connection list, each row of the page with its health."""

    def get_results(self, request):
        super().get_results(request)
        attach_health(list(self.result_list))
