"""A connection's further accounts on its page: a username each, write-only secrets, a test.

For a source whose accounts each see part of a tenant (`Source.several_accounts`): each row is
one more login the sync reads the connection through. A stored secret is never shown again;
a blank field keeps it, and a changed username needs it typed again, as a new login would.
"""

from functools import cache

from django import forms
from django.contrib import admin
from django.utils import timezone

from sync.console.connection_form import KEEP_HINT, REQUIRED_WHILE_ENABLED, form_field
from sync.sources import registry
from tenants.models import Account

RETYPE = "The username changed: type its {noun} again."


class AccountFormBase(forms.ModelForm):
    source_slug = ""

    class Meta:
        model = Account
        fields = ["username", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for setting in self.secret_settings():
            if self.instance.pk and self.instance.has_secret(setting.name):
                self.fields[setting.name].help_text = KEEP_HINT

    def secret_settings(self):
        return registry.get(self.source_slug).secret_fields

    def clean(self):
        cleaned = super().clean()
        renamed = self.instance.pk and "username" in self.changed_data
        for setting in self.secret_settings():
            typed = cleaned.get(setting.name)
            stored = self.instance.pk and self.instance.has_secret(setting.name)
            if renamed and not typed:
                self.add_error(setting.name, RETYPE.format(noun=setting.label.lower()))
            elif cleaned.get("enabled") and setting.required and not (typed or stored):
                self.add_error(setting.name, REQUIRED_WHILE_ENABLED)
        return cleaned

    def has_changed(self) -> bool:
        # a blank extra row stays unsaved: its Enabled box alone fills in nothing
        if not self.instance.pk:
            return bool(set(self.changed_data) - {"enabled"})
        return super().has_changed()

    def save(self, commit=True):
        account = super().save(commit=False)
        typed = {s.name: self.cleaned_data[s.name] for s in self.secret_settings()}
        typed = {name: value for name, value in typed.items() if value}
        if typed or "username" in self.changed_data:
            account.secrets = {**(account.secrets if account.pk else {}), **typed}
            account.secrets_changed_at = timezone.now()
            account.session = {}  # its tokens belonged to the old login
        if commit:
            account.save()
        return account


@cache
def account_form(slug: str) -> type[AccountFormBase]:
    source = registry.get(slug)
    declared = {s.name: form_field(s) for s in source.secret_fields}
    return type(f"{slug.title()}AccountForm", (AccountFormBase,), {"source_slug": slug, **declared})


class AccountInline(admin.TabularInline):
    """Further accounts of one connection; the connection's own login is its settings above."""

    model = Account
    extra = 1
    verbose_name = "further account"
    verbose_name_plural = "Further accounts (each sees its own part; the sync unites them)"
    readonly_fields = ["last_test_result"]

    # The accounts are part of their connection: whoever may change it may change them.
    def connection_admin(self):
        return self.admin_site.get_model_admin(self.parent_model)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.connection_admin().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self.connection_admin().has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.connection_admin().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.connection_admin().has_change_permission(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = account_form(obj.source)
        return super().get_formset(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        secrets = [s.name for s in registry.get(obj.source).secret_fields] if obj else []
        return ["username", *secrets, "enabled", "last_test_result"]


def offers_accounts(connection) -> bool:
    """Whether `connection`'s page lists further accounts: its source reads through several."""
    if connection is None:
        return False
    try:
        return registry.get(connection.source).several_accounts
    except LookupError:
        return False
