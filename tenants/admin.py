from django.contrib import admin

from sync import registry

from .forms import clear_name, connection_form, field_name
from .models import Connection, Tenant


class ConnectionInline(admin.TabularInline):
    model = Connection
    fields = ["source", "enabled", "base_url", "last_sync_status", "last_sync_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["staff"]
    inlines = [ConnectionInline]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "source", "enabled", "base_url", "last_sync_status", "last_sync_at"]
    list_filter = ["source", "enabled", "last_sync_status"]
    list_select_related = ["tenant"]
    search_fields = ["tenant__name", "tenant__slug", "base_url"]
    readonly_fields = ["secrets_changed_at", "last_sync_at", "last_sync_status", "last_error"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = connection_form()
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fixed = ["source"] if obj else []
        return fixed + self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        sources = [registry.get(obj.source)] if obj else registry.all_sources()
        fieldsets = [(None, {"fields": ["tenant", "source", "enabled"]})]
        for source in sources:
            names = []
            for setting in source.fields:
                names.append(field_name(source, setting))
                if setting.secret and obj and obj.has_secret(setting.name):
                    names.append(clear_name(source, setting))
            fieldsets.append(
                (
                    f"{source.label} settings",
                    {"fields": names, "classes": [f"source-{source.slug}"]},
                )
            )
        fieldsets.append(("Last sync", {"fields": self.readonly_fields}))
        return fieldsets
