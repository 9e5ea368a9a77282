"""Incidents in the admin: listed per tenant, open or closed, with what was sent and what failed
to go out. Written only by the alerts; nobody edits or deletes one here."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from sync.console.read_only import ReadOnlyAdmin
from sync.console.scoping import TenantFilter, TenantScopedAdmin
from sync.models import Incident


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("closed", "Closed")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(closed_at__isnull=True)
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


@admin.register(Incident)
class IncidentAdmin(TenantScopedAdmin, ReadOnlyAdmin):
    tenant_path = "connection__tenant"
    list_display = [
        "connection",
        "cause",
        "state_cell",
        "opened_at",
        "closed_at",
        "message_cell",
        "notices_cell",
        "last_delivery_error",
    ]
    list_filter = [OpenFilter, TenantFilter, "cause", "connection__source"]
    list_select_related = ["connection__tenant"]
    search_fields = ["connection__tenant__name", "message"]
    fields = [
        "connection",
        "cause",
        "error_kind",
        "message",
        "opened_at",
        "closed_at",
        "run_links",
        "opening_notice",
        "closing_notice",
        "reminder_notice",
        "reminded_at",
        "last_delivery_at",
        "last_delivery_error",
    ]
    readonly_fields = fields

    @admin.display(description="state", ordering="closed_at")
    def state_cell(self, incident: Incident) -> str:
        return "open" if incident.is_open else "closed"

    @admin.display(description="cause in words")
    def message_cell(self, incident: Incident) -> str:
        return incident.message[:160]

    @admin.display(description="messages")
    def notices_cell(self, incident: Incident) -> str:
        opening = incident.get_opening_notice_display().lower()
        closing = incident.get_closing_notice_display().lower() if not incident.is_open else "–"
        return f"opening: {opening}; closing: {closing}"

    @admin.display(description="runs")
    def run_links(self, incident: Incident) -> str:
        parts = []
        for label, run_id in (
            ("opened by", incident.opening_run_id),
            ("latest", incident.latest_run_id),
            ("closed by", incident.closing_run_id),
        ):
            if run_id:
                url = reverse("admin:sync_syncrun_change", args=[run_id])
                parts.append(format_html('{} <a href="{}">{}</a>', label, url, str(run_id)[:8]))
        return format_html(" · ".join(["{}"] * len(parts)), *parts) if parts else "–"
