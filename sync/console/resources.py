"""What the admin imports and exports with django-import-export.

Columns are listed explicitly, never excluded, so a field added to a model later does not leak
into files by default; connections carry no secrets and no session either way.
"""

import json

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.results import RowResult

from sync.console import connection_rules as rules
from sync.console.connection_form import secret_noun
from sync.console.scoping import in_scope, tenants_of
from sync.models import SyncRun
from sync.sources import registry
from tenants.models import Connection, Tenant

FORMATS = [base_formats.CSV, base_formats.XLSX, base_formats.JSON]
MOVED = (
    "moves to a new address, so its stored credentials are dropped: "
    "a stored secret is never sent to a new address."
)


class TenantSlugWidget(widgets.ForeignKeyWidget):
    """A tenant named by its slug, found only among the tenants the importing user may see."""

    def __init__(self, user) -> None:
        super().__init__(Tenant, field="slug")
        self.user = user

    def get_queryset(self, value, row, *args, **kwargs):
        return tenants_of(self.user)

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except Tenant.DoesNotExist:
            raise ValueError(f"There is no tenant {value!r} among yours.") from None


class JSONObjectWidget(widgets.JSONWidget):
    """A JSON object in one cell; an empty cell is an empty object, never NULL."""

    def clean(self, value, row=None, **kwargs):
        return super().clean(value, row, **kwargs) or {}

    def render(self, value, obj=None, **kwargs):
        return json.dumps(value or {}, ensure_ascii=False, sort_keys=True)


class ScopedResource(resources.ModelResource):
    """Imports and exports only what the user's tenants hold; options shared by both models."""

    class Meta:
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def __init__(self, user=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.user = user


class TenantResource(ScopedResource):
    class Meta(ScopedResource.Meta):
        model = Tenant
        fields = ("slug", "name", "kind", "active")
        export_order = fields
        import_id_fields = ("slug",)

    def get_queryset(self):
        return tenants_of(self.user)


class ConnectionRowResult(RowResult):
    """A row's result and what the import did to it beyond the file's values, for the admin."""

    def __init__(self) -> None:
        super().__init__()
        self.notes: list[str] = []


def and_list(words: list[str]) -> str:
    return " and ".join(filter(None, [", ".join(words[:-1]), words[-1]]))


def column_errors(source: registry.Source, error: ValidationError) -> dict[str, list[str]]:
    """A setting's messages under the column that holds it: the address, or the options."""
    labels = {setting.name: setting.label for setting in source.fields}
    errors: dict[str, list[str]] = {}
    for name, messages in error.message_dict.items():
        if name == "base_url":
            errors.setdefault("base_url", []).extend(messages)
        else:
            label = labels.get(name, name)
            errors.setdefault("options", []).extend(f"{label}: {m}" for m in messages)
    return errors


class ConnectionResource(ScopedResource):
    """Where each connection points and its non-secret settings; credentials are typed in.

    Secrets never travel in a file, so the import keeps a connection from syncing without them:
    one that lacks a required secret arrives disabled, and one moved to another address loses
    its stored secrets first, as the form would make its user type them again.
    """

    tenant = fields.Field(attribute="tenant", column_name="tenant")
    options = fields.Field(attribute="options", column_name="options", widget=JSONObjectWidget())

    class Meta(ScopedResource.Meta):
        model = Connection
        fields = ("tenant", "source", "enabled", "base_url", "options")
        export_order = fields
        import_id_fields = ("tenant", "source")

    def __init__(self, user=None, **kwargs) -> None:
        super().__init__(user, **kwargs)
        self.fields["tenant"].widget = TenantSlugWidget(user)
        self.notes: list[str] = []

    def get_row_result_class(self):
        return ConnectionRowResult

    def get_queryset(self):
        return in_scope(Connection.objects.select_related("tenant"), self.user, "tenant")

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Check the imported columns; the rest is the sync's own bookkeeping, not the file's."""
        errors = dict(import_validation_errors or {})
        not_imported = [f.name for f in Connection._meta.fields if f.name not in self._meta.fields]
        try:
            instance.full_clean(exclude=[*errors, *not_imported], validate_unique=validate_unique)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_import_row(self, row, **kwargs):
        self.notes = []

    def import_instance(self, instance, row, **kwargs):
        """Apply the connection's rules as the form applies them: an import is no way around it."""
        stored = rules.stored_address(instance)
        super().import_instance(instance, row, **kwargs)
        try:
            source = registry.get(instance.source)
        except LookupError:
            raise ValidationError({"source": f"Unknown source {instance.source!r}."}) from None
        self.relocate(instance, source, stored)
        self.disable_without_secrets(instance, source)

    def relocate(self, connection: Connection, source: registry.Source, stored: str | None):
        """Point the connection where the row says; a move leaves the stored secrets behind."""
        try:
            location = rules.locate(source, {**connection.options, "base_url": connection.base_url})
        except ValidationError as exc:
            raise ValidationError(column_errors(source, exc)) from None
        moved = rules.moves(stored, location)
        if moved and (connection.secrets or connection.session):
            self.notes.append(MOVED)
        secrets = rules.kept_secrets(connection, source, moved=moved)
        rules.place(connection, location, secrets, moved=moved)
        if moved:  # a preview is rolled back with the rest of it
            rules.leave_accounts_behind(connection)

    def disable_without_secrets(self, connection: Connection, source: registry.Source) -> None:
        """The form's rule: an enabled connection has every required secret."""
        missing = [secret_noun(s) for s in rules.missing_secrets(source, connection.secrets)]
        if connection.enabled and missing:
            connection.enabled = False
            self.notes.append(
                f"arrives disabled: no {and_list(missing)} is stored. "
                "Type the credentials on the connection's page, then enable it."
            )

    def after_import_row(self, row, row_result, **kwargs):
        if row_result.import_type in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE):
            row_result.notes = self.notes


class SyncRunResource(resources.ModelResource):
    """The run history as operators analyse it: one row per run, totals over its streams."""

    tenant = fields.Field(attribute="connection__tenant__slug", column_name="tenant")
    source = fields.Field(attribute="connection__source", column_name="source")
    triggered_by = fields.Field(attribute="triggered_by__username", column_name="triggered_by")
    duration_seconds = fields.Field(column_name="duration_seconds")
    created = fields.Field(column_name="created")
    updated = fields.Field(column_name="updated")
    unchanged = fields.Field(column_name="unchanged")
    missing = fields.Field(column_name="missing")

    class Meta:
        model = SyncRun
        fields = (
            "id",
            "tenant",
            "source",
            "trigger",
            "triggered_by",
            "dry_run",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "requests_made",
            "created",
            "updated",
            "unchanged",
            "missing",
            "error_kind",
            "error_message",
        )
        export_order = fields

    def dehydrate_duration_seconds(self, run: SyncRun):
        return round(run.duration.total_seconds(), 3) if run.duration else None

    def dehydrate_created(self, run: SyncRun) -> int:
        return run.totals().get("created", 0)

    def dehydrate_updated(self, run: SyncRun) -> int:
        return run.totals().get("updated", 0)

    def dehydrate_unchanged(self, run: SyncRun) -> int:
        return run.totals().get("unchanged", 0)

    def dehydrate_missing(self, run: SyncRun) -> int:
        return run.totals().get("missing", 0)
