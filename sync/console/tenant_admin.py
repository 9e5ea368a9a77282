from functools import cache
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import slugify
from import_export.admin import ImportExportMixin

from sync.alerts import channels, contacts
from sync.console import connection_rules as rules
from sync.console.accounts_admin import AccountInline, offers_accounts
from sync.console.connection_form import (
    ConnectionFormBase,
    clear_name,
    connection_form,
    field_name,
    source_connection_form,
    stored_value,
)
from sync.console.contacts_form import CLEAR_URLS, TYPED_URLS, TenantContactsForm
from sync.console.overview import STATES, HealthChangeList, HealthFilter, success_rate_text
from sync.console.resources import FORMATS, ConnectionResource, TenantResource
from sync.console.scoping import TenantFilter, TenantScopedAdmin
from sync.console.views import ConsoleAdmin, runs_url
from sync.run.coverage import described
from sync.run.health import state_of
from sync.run.schedule import expected_interval
from sync.sources import registry
from sync.sources.registry import SettingField
from tenants.models import Connection, Tenant

ACCOUNTS_LEFT_BEHIND = (
    "The address changed: the further accounts' passwords stayed with the old address and "
    "the accounts were disabled. Type each password again and enable the account."
)
LAST_SYNC = ["last_sync_status", "last_sync_at", "last_success_at", "last_error"]
LAST_TEST = ["last_tested_at", "last_test_result"]


def setting_names(source, connection: Connection | None) -> list[str]:
    """The form fields of a source's settings; "clear" boxes only for secrets that are stored."""
    names = []
    for setting in source.fields:
        names.append(field_name(source, setting))
        if setting.secret and connection and connection.has_secret(setting.name):
            names.append(clear_name(source, setting))
    return names


def shown_setting(connection: Connection, setting: SettingField) -> str:
    """A setting as a read-only page shows it: its value, or only whether a secret is stored."""
    if setting.secret:
        return "stored" if connection.has_secret(setting.name) else "not set"
    value = stored_value(connection, setting)
    return dict(setting.choices).get(value, value) or "not set"


def setting_row(setting: SettingField):
    @admin.display(description=setting.label)
    def row(connection: Connection) -> str:
        return shown_setting(connection, setting)

    return row


@cache
def setting_rows(slug: str) -> tuple:
    """A source's settings as read-only rows of an admin page, built once per source."""
    return tuple(setting_row(setting) for setting in registry.get(slug).fields)


def offered_sources(tenant: Tenant | None, kind: str) -> set[str]:
    """The sources a tenant's page offers: those serving its kind, and those it is connected to."""
    connected = {c.source for c in tenant.connections.all()} if tenant else set()
    return {source.slug for source in registry.fitting(kind)} | connected


def history_link(url: str, text: str = "History") -> str:
    return format_html('<a href="{}">{}</a>', url, text)


class ImportExportAsUser(ImportExportMixin):
    """Import and export as the requesting user: resources see only that user's tenants."""

    formats = FORMATS

    def has_export_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_import_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        result = (getattr(response, "context_data", None) or {}).get("result")
        if result is not None and "confirm_form" in response.context_data:
            self.say_import_notes(request, result)  # in the preview, before anything is written
        return response

    def add_success_message(self, result, request) -> None:
        super().add_success_message(result, request)
        self.say_import_notes(request, result)

    def say_import_notes(self, request, result) -> None:
        """Warn of what the resource did to a row beyond the file's values."""
        for row in result.valid_rows():
            for note in getattr(row, "notes", ()):
                messages.warning(request, f"{row.object_repr} {note}")


class SourceConnectionFormSet(BaseInlineFormSet):
    @classmethod
    def get_default_prefix(cls) -> str:
        # Named by source, not by place on the page: a page posted after the sources offered
        # changed is refused as incomplete, never read as another source's forms.
        return f"{super().get_default_prefix()}-{cls.form.source_slug}"


class SourceConnectionInline(admin.StackedInline):
    """One source's connection on its tenant's page, with write-only credentials."""

    model = Connection
    formset = SourceConnectionFormSet
    source = None  # a registry.Source, set by `connection_inlines`
    extra = 1
    max_num = 1
    can_delete = False
    show_change_link = True
    readonly_fields = [*LAST_SYNC, *LAST_TEST]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(source=self.source.slug)

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = source_connection_form(self.source.slug)
        return super().get_formset(request, obj, **kwargs)

    def shown_read_only(self, request, obj) -> bool:
        """Whether the page shows these connections read-only, as the admin does to a user who
        may not change them, or may not change their tenant."""
        tenant_admin = self.admin_site.get_model_admin(self.parent_model)
        return not self.has_change_permission(request, obj) or bool(
            obj and not tenant_admin.has_change_permission(request, obj)
        )

    def get_readonly_fields(self, request, obj=None):
        rows = setting_rows(self.source.slug) if self.shown_read_only(request, obj) else ()
        return [*rows, *self.readonly_fields]

    def get_fieldsets(self, request, obj=None):
        if self.shown_read_only(request, obj):
            return [(None, {"fields": ["enabled", *setting_rows(self.source.slug), *LAST_SYNC]})]
        # The same fields for every form of the formset, its blank template included: clearing a
        # stored secret is done on the connection's own page.
        settings = [field_name(self.source, setting) for setting in self.source.fields]
        fieldsets = [(None, {"fields": ["enabled", *settings]})]
        if obj and obj.connections.filter(source=self.source.slug).exists():
            last = {"fields": LAST_SYNC + LAST_TEST, "classes": ["collapse"]}
            fieldsets.append(("Last sync and test", last))
        return fieldsets


@cache
def connection_inlines() -> list[type[SourceConnectionInline]]:
    """An inline per registered source, built once the source apps have registered."""
    return [
        type(
            f"{source.slug.title()}ConnectionInline",
            (SourceConnectionInline,),
            {"source": source, "verbose_name": f"{source.label} connection"},
        )
        for source in registry.all_sources()
    ]


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin, ConsoleAdmin, ImportExportAsUser, admin.ModelAdmin):
    tenant_path = "pk"
    list_display = ["name", "slug", "kind", "active", "connections_cell", "history_cell"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["staff"]
    form = TenantContactsForm
    actions = [
        "test_selected",
        "sync_selected",
        "notify_tenant_contacts",
        "notify_operator_contacts",
    ]
    resource_classes = [TenantResource]
    alert_fields = ["alert_emails", TYPED_URLS, CLEAR_URLS, "alert_channels"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("connections")

    def get_inlines(self, request, obj):
        offered = offered_sources(obj, obj.kind if obj else self.kind_asked(request))
        return [inline for inline in connection_inlines() if inline.source.slug in offered]

    def kind_asked(self, request) -> str:
        """The kind a new tenant's page is for: `?kind=`, which also preselects it in the form."""
        kind = request.GET.get("kind", "")
        return kind if kind in Tenant.Kind.values else Tenant._meta.get_field("kind").default

    def get_changeform_initial_data(self, request):
        # The page reloaded for another kind may carry a name whose slug the browser had not
        # filled in yet (it does so as the name field loses focus): derive it here.
        initial = super().get_changeform_initial_data(request)
        if initial.get("name") and not initial.get("slug"):
            initial["slug"] = slugify(initial["name"])[:60]
        return initial

    def get_readonly_fields(self, request, obj=None):
        # Membership decides what a staff user sees: only superusers hand it out.
        fixed = [] if request.user.is_superuser else ["staff"]
        if obj and not self.has_change_permission(request, obj):
            fixed.append("alert_channels")
        return fixed

    def get_fieldsets(self, request, obj=None):
        apart = [*self.alert_fields, "purge_missing_days"]
        fields = [f for f in self.get_fields(request, obj) if f not in apart]
        return [
            (None, {"fields": fields}),
            ("Alerts", {"fields": self.alerts(request, obj)}),
            ("Data retention", {"fields": ["purge_missing_days"]}),
        ]

    def alerts(self, request, obj) -> list[str]:
        """The alert contacts: channels write-only, with a "clear" box once some are stored."""
        if obj and not self.has_change_permission(request, obj):
            return ["alert_emails", "alert_channels"]
        stored = bool(obj and contacts.stored_urls(obj))
        return ["alert_emails", TYPED_URLS, *([CLEAR_URLS] if stored else [])]

    @admin.display(description="alert channels")
    def alert_channels(self, tenant: Tenant) -> str:
        return ", ".join(map(channels.named, contacts.stored_urls(tenant))) or "none"

    def has_add_permission(self, request) -> bool:
        # A staff user's new tenant would have no members, so they could never see it again.
        return request.user.is_superuser

    def has_import_permission(self, request) -> bool:
        return request.user.is_superuser

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        shown = {inline.opts.source.slug for inline in context["inline_admin_formsets"]}
        context["other_sources"] = self.other_sources(request, obj, shown)
        if request.method == "POST":
            # The page was refused, perhaps for the tenant's own fields: a connection form that
            # was fine still comes back with its typed secrets blank, so it says so too.
            context["adminform"].form.note_typed_secrets_not_kept()
            for inline in context["inline_admin_formsets"]:
                for form in inline.formset.forms:
                    if isinstance(form, ConnectionFormBase):
                        form.note_typed_secrets_not_kept()
        return super().render_change_form(request, context, add, change, form_url, obj)

    def other_sources(self, request, tenant, shown: set[str]) -> list[tuple[str, str]]:
        """(label, address) of a new connection of `tenant` to each source its page leaves out."""
        connection_admin = self.admin_site.get_model_admin(Connection)
        if tenant is None or not connection_admin.has_add_permission(request):
            return []
        add_url = reverse("admin:tenants_connection_add")
        return [
            (source.label, f"{add_url}?{urlencode({'tenant': tenant.pk, 'source': source.slug})}")
            for source in registry.all_sources()
            if source.slug not in shown
        ]

    def connections_of(self, tenant):
        return tenant.connections.select_related("tenant")

    def connections_in(self, queryset):
        return Connection.objects.filter(tenant__in=queryset).select_related("tenant")

    def history_url(self, tenant) -> str:
        return runs_url(tenant=tenant.pk)

    def has_superuser_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.action(
        permissions=["change"],
        description="Send a test notification to the selected tenants' contacts",
    )
    def notify_tenant_contacts(self, request, queryset):
        for tenant in queryset:
            emails, urls = contacts.tenant_contacts(tenant)
            none = f"{tenant} has no alert contacts: add some under “Alerts” on its page."
            self.report_test(request, str(tenant), emails, urls, none)

    @admin.action(
        permissions=["superuser"],
        description="Send a test notification to the operator's contacts",
    )
    def notify_operator_contacts(self, request, queryset):
        emails, urls = contacts.operator_contacts()
        none = "The operator has no alert contacts: set SYNC_ALERT_EMAILS or SYNC_ALERT_URLS."
        self.report_test(request, "the operator", emails, urls, none)

    def report_test(self, request, whom: str, emails, urls, none: str) -> None:
        """Send a test message; say where it went, or each failure in its own sentence."""
        if not (emails or urls):
            messages.warning(request, none)
            return
        failures = channels.send_test(whom, emails=emails, urls=urls)
        for failure in failures:
            messages.error(request, f"Test notification for {whom}: {failure}")
        if not failures:
            reached = contacts.described(emails, urls)
            messages.success(request, f"Test notification for {whom} sent to {reached}.")

    @admin.display(description="connections")
    def connections_cell(self, tenant: Tenant) -> str:
        now, window = timezone.now(), 2 * expected_interval()
        return format_html_join(
            ", ",
            "{}: {}",
            ((c.source_label, STATES[state_of(c, now, window)]) for c in tenant.connections.all()),
        )

    @admin.display(description="runs")
    def history_cell(self, tenant: Tenant) -> str:
        return history_link(self.history_url(tenant))


@admin.register(Connection)
class ConnectionAdmin(TenantScopedAdmin, ConsoleAdmin, ImportExportAsUser, admin.ModelAdmin):
    list_display = [
        "__str__",
        "enabled",
        "health_cell",
        "success_rate_cell",
        "last_sync_status",
        "last_sync_at",
        "last_test_cell",
        "history_cell",
    ]
    list_filter = [HealthFilter, TenantFilter, "source", "enabled", "last_sync_status"]
    list_select_related = ["tenant"]
    search_fields = ["tenant__name", "tenant__slug", "base_url"]
    readonly_fields = ["secrets_changed_at", *LAST_SYNC, "coverage", *LAST_TEST]
    actions = ["test_selected", "sync_selected"]
    resource_classes = [ConnectionResource]
    import_template_name = "admin/tenants/connection/import.html"

    def get_changelist(self, request, **kwargs):
        return HealthChangeList

    def get_inlines(self, request, obj):
        return [AccountInline] if offers_accounts(obj) else []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Once the move is saved, not before: a page refused for another field moves nothing.
        if getattr(form, "moved", False) and rules.leave_accounts_behind(obj):
            messages.warning(request, ACCOUNTS_LEFT_BEHIND)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = connection_form()
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fixed = ["source"] if obj else []
        if obj and not self.has_change_permission(request, obj):
            fixed += setting_rows(obj.source)
        return fixed + self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        last = [
            ("Last sync", {"fields": [*LAST_SYNC, "coverage"]}),
            ("Last test", {"fields": LAST_TEST}),
        ]
        if obj and not self.has_change_permission(request, obj):
            shown = ["tenant", "source", "enabled", *setting_rows(obj.source)]
            return [(None, {"fields": shown}), *last]
        sources = [registry.get(obj.source)] if obj else registry.all_sources()
        fieldsets = [(None, {"fields": ["tenant", "source", "enabled"]})]
        for source in sources:
            fieldsets.append(
                (
                    f"{source.label} settings",
                    {"fields": setting_names(source, obj), "classes": [f"source-{source.slug}"]},
                )
            )
        fieldsets.append((None, {"fields": ["secrets_changed_at"]}))
        return fieldsets + last

    def connections_of(self, connection):
        return Connection.objects.filter(pk=connection.pk).select_related("tenant")

    def connections_in(self, queryset):
        return queryset.select_related("tenant")

    def history_url(self, connection) -> str:
        return runs_url(connection__id__exact=connection.pk)

    @admin.display(description="health")
    def health_cell(self, connection: Connection) -> str:
        health = connection.health
        if health is None:
            return ""
        running = " (syncing now)" if health.running else ""
        if health.needs_attention:
            return format_html("<strong>{}</strong>{}", STATES[health.state], running)
        return STATES[health.state] + running

    @admin.display(description="coverage")
    def coverage(self, connection: Connection) -> str:
        """What the last successful sync covered, where each account sees a part."""
        coverage = described(connection.last_coverage)
        if coverage is None:
            return "not measured"
        return render_to_string("admin/sync/coverage_cell.html", {"coverage": coverage})

    @admin.display(description="success 24 h")
    def success_rate_cell(self, connection: Connection) -> str:
        return success_rate_text(connection.health)

    @admin.display(description="last test", ordering="last_tested_at")
    def last_test_cell(self, connection: Connection) -> str:
        if connection.last_test_ok is None:
            return "never"
        return "OK" if connection.last_test_ok else "failed"

    @admin.display(description="runs")
    def history_cell(self, connection: Connection) -> str:
        return history_link(self.history_url(connection))
