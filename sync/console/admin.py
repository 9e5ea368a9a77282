"""The sync history, the external references, API tokens, and the base of the mirror's admins."""

from functools import partial

from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils.html import format_html
from import_export.admin import ExportMixin

from sync.console import incidents_admin, run_progress, status_board, tenant_admin, views
from sync.console.read_only import ReadOnlyAdmin
from sync.console.resources import FORMATS, SyncRunResource
from sync.console.scoping import TenantFilter, TenantScopedAdmin
from sync.models import ApiToken, ExternalRef, SyncRun
from sync.sources import registry


def link(url_name: str, obj) -> str:
    return format_html('<a href="{}">{}</a>', reverse(url_name, args=[obj.pk]), obj)


class MirroredAdmin(TenantScopedAdmin, ReadOnlyAdmin):
    """Base of the admins of mirrored models: read-only lists of the user's tenants' rows."""

    list_filter = [TenantFilter, "active"]
    list_select_related = ["tenant"]
    search_fields = ["external_id"]


def source_filter(path: str) -> type[admin.SimpleListFilter]:
    """A list filter of the installed sources by label; no query, unlike a filter of the values
    found (the model field names no source)."""

    class SourceFilter(admin.SimpleListFilter):
        title = "source"
        parameter_name = path

        def lookups(self, request, model_admin):
            return [(s.slug, s.label) for s in registry.all_sources()]

        def queryset(self, request, queryset):
            return queryset.filter(**{path: self.value()}) if self.value() else queryset

    return SourceFilter


def register_mirrored(site: admin.AdminSite = admin.site) -> None:
    """Every mirrored model of every installed source, listed read-only and scoped to the
    user's tenants; a source only says which columns (`Source.listings`)."""
    for source in registry.all_sources():
        listings = source.listings
        for stream in source.streams():
            if site.is_registered(stream.model):
                continue
            options = dict(listings.get(stream.model, {}))
            options["list_filter"] = [TenantFilter, "active", *options.pop("filters", [])]
            name = f"{stream.model.__name__}Admin"
            site.register(stream.model, type(name, (MirroredAdmin,), options))


@admin.register(SyncRun)
class SyncRunAdmin(TenantScopedAdmin, ExportMixin, admin.ModelAdmin):
    tenant_path = "connection__tenant"
    list_display = [
        "created_at",
        "connection_link",
        "tenant_link",
        "trigger_cell",
        "status_cell",
        "duration_cell",
        "summary_cell",
        "requests_cell",
        "error_cell",
    ]
    list_filter = [
        TenantFilter,
        source_filter("connection__source"),
        "status",
        "trigger",
        ("created_at", admin.DateFieldListFilter),
        "dry_run",
    ]
    list_select_related = ["connection__tenant", "triggered_by"]
    search_fields = ["error_message"]
    search_help_text = "Search the error texts."
    fields = [
        "connection",
        "tenant_link",
        "trigger",
        "triggered_by",
        "dry_run",
        "created_at",
        "worker",
        "error_kind",
    ]
    readonly_fields = fields
    resource_classes = [SyncRunResource]
    formats = FORMATS
    change_list_template = "admin/sync/syncrun/change_list.html"

    def get_urls(self):
        progress = self.admin_site.admin_view(partial(views.progress_view, model_admin=self))
        return [path("progress/", progress, name="sync_syncrun_progress"), *super().get_urls()]

    def get_export_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def has_export_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request) -> bool:
        return False  # runs are started with "Sync now", the schedule, the API or the CLI

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # an audit trail: only retention (prune_history) deletes runs

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        if run is not None:
            # The run's own name ends in its status, which goes stale on a page that stays open.
            title = f"{run.connection} · {run_progress.when(run.created_at)}"
            live = run_progress.live_state(run)
            extra_context = {**(extra_context or {}), "live": live, "subtitle": title}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="connection", ordering="connection__source")
    def connection_link(self, run: SyncRun) -> str:
        return link("admin:tenants_connection_change", run.connection)

    @admin.display(description="tenant", ordering="connection__tenant__name")
    def tenant_link(self, run: SyncRun) -> str:
        return link("admin:tenants_tenant_change", run.connection.tenant)

    def live_cell(self, run: SyncRun, key: str, text) -> str:
        """A cell the run list's script updates while the run is unfinished."""
        if run.status in SyncRun.FINISHED:
            return format_html('<span data-status="{}">{}</span>', run.status, text)
        return format_html(
            '<span data-run="{}" data-live="{}" data-status="{}" data-pending>{}</span>',
            run.pk,
            key,
            run.status,
            text,
        )

    @admin.display(description="trigger", ordering="trigger")
    def trigger_cell(self, run: SyncRun) -> str:
        who = f" · {run.triggered_by}" if run.triggered_by else ""
        return f"{run.get_trigger_display()}{who}"

    @admin.display(description="status", ordering="status")
    def status_cell(self, run: SyncRun) -> str:
        return self.live_cell(run, "status_label", run.get_status_display())

    @admin.display(description="duration")
    def duration_cell(self, run: SyncRun) -> str:
        return self.live_cell(run, "duration", run_progress.duration_text(run))

    @admin.display(description="records")
    def summary_cell(self, run: SyncRun) -> str:
        return self.live_cell(run, "summary", run_progress.summary_text(run))

    @admin.display(description="requests", ordering="requests_made")
    def requests_cell(self, run: SyncRun) -> str:
        return self.live_cell(run, "requests", run.requests_made)

    @admin.display(description="error")
    def error_cell(self, run: SyncRun) -> str:
        first_line = run.error_message.strip().splitlines()[0] if run.error_message.strip() else ""
        return first_line[:120] + ("…" if len(first_line) > 120 else "")


@admin.register(ExternalRef)
class ExternalRefAdmin(TenantScopedAdmin, ReadOnlyAdmin):
    list_display = [
        "external_id",
        "tenant",
        "source",
        "kind",
        "first_seen_at",
        "last_changed_at",
        "last_seen",
        "missing_since",
    ]
    list_filter = [TenantFilter, "source", "kind", ("missing_since", admin.EmptyFieldListFilter)]
    list_select_related = ["tenant"]
    search_fields = ["external_id"]

    @admin.display(description="last seen", ordering="last_seen_at")
    def last_seen(self, ref: ExternalRef):
        """Still listed upstream: seen by the latest sync (the writer does not rewrite every
        ref on every run to say so). Gone: the sync before the one that found it gone."""
        return ref.last_seen_at if ref.missing_since else "in the latest sync"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made with `manage.py create_api_token`; here they are listed and revoked.

    They open the HTTP trigger for every tenant, so only superusers see them; the digest is
    never shown.
    """

    list_display = ["name", "prefix", "created_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    fields = ["name", "prefix", "created_at", "last_used_at", "revoked"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_revoke_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.action(permissions=["revoke"], description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        revoked = queryset.filter(revoked=False).update(revoked=True)
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)


register_mirrored()
status_board.install(admin.site)
assert tenant_admin  # its Tenant and Connection pages registered themselves on import
assert incidents_admin  # and the incidents' pages
