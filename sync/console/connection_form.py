"""The connection form: settings per source, with write-only secrets."""

from functools import cache

from django import forms
from django.core.exceptions import ValidationError

from sync.console import connection_rules as rules
from sync.sources import registry
from sync.sources.registry import SettingField, Source
from tenants.models import Connection

KEEP_HINT = "Stored. Leave blank to keep it; type a new value to replace it."
UNSET_HINT = "Not set."
REQUIRED_WHILE_ENABLED = "Required while the connection is enabled: enter it, or untick Enabled."
NOT_KEPT = "Not kept, for safety: a typed secret is never sent back to the page. Type it again."


def secret_noun(setting: SettingField) -> str:
    """The setting's label inside a sentence: "Password" as "password", "API username" kept."""
    first, _, rest = setting.label.partition(" ")
    return " ".join(filter(None, [first if first.isupper() else first.lower(), rest]))


def retype_message(setting: SettingField) -> str:
    noun = secret_noun(setting)
    return (
        f"The address changed: type the {noun} again. "
        f"A stored {noun} is never sent to a new address."
    )


def stored_value(connection: Connection, setting: SettingField) -> str:
    """The value a non-secret setting of `connection` was given: an option, or the address."""
    if setting.name == "base_url" and connection.options.get("environment") in (None, "custom"):
        return connection.base_url
    return connection.options.get(setting.name) or ""


def field_name(source: Source, setting: SettingField) -> str:
    return f"{source.slug}__{setting.name}"


def clear_name(source: Source, setting: SettingField) -> str:
    return f"{source.slug}__clear_{setting.name}"


def form_field(setting: SettingField) -> forms.Field:
    if setting.choices:
        # The first choice is what the page shows chosen, so it is the initial value too: a
        # browser posting it back untouched has changed nothing.
        return forms.ChoiceField(
            label=setting.label,
            choices=setting.choices,
            initial=setting.choices[0][0],
            required=False,
        )
    if setting.secret:
        return forms.CharField(
            label=setting.label,
            required=False,
            strip=False,
            max_length=2000,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        )
    return forms.CharField(
        label=setting.label, required=False, max_length=500, help_text=setting.help_text
    )


class ConnectionFormBase(forms.ModelForm):
    class Meta:
        model = Connection
        fields = ["tenant", "source", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "source" in self.fields:  # the model names no source: the installed ones are offered
            field = self.fields["source"]
            choices = [(s.slug, s.label) for s in registry.all_sources()]
            self.fields["source"] = forms.ChoiceField(
                choices=[("", "---------"), *choices],
                label=field.label,
                initial=field.initial,
                disabled=field.disabled,
            )
        for source in self.offered_sources():
            self.initialise_source_fields(source)

    def offered_sources(self) -> list[Source]:
        return registry.all_sources()

    def initialise_source_fields(self, source: Source) -> None:
        mine = self.instance.pk and self.instance.source == source.slug
        for setting in source.fields:
            name = field_name(source, setting)
            if setting.secret:
                stored = mine and self.instance.has_secret(setting.name)
                self.fields[name].help_text = KEEP_HINT if stored else UNSET_HINT
                if not stored:
                    self.fields.pop(clear_name(source, setting), None)
            elif mine:
                self.fields[name].initial = stored_value(self.instance, setting)

    def selected_source(self) -> Source | None:
        slug = self.cleaned_data.get("source") or self.instance.source
        try:
            return registry.get(slug)
        except LookupError:
            return None

    def clean(self):
        cleaned = super().clean()
        source = self.selected_source()
        if source is not None:
            self.clean_location(source)
            self.clean_secrets(source)
        return cleaned

    def full_clean(self):
        super().full_clean()
        if self._errors:
            self.note_typed_secrets_not_kept()

    def clean_location(self, source: Source) -> None:
        self.location, self.moved = None, False
        values = {f.name: self.cleaned_data.get(field_name(source, f)) or "" for f in source.fields}
        try:
            self.location = rules.locate(source, values)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                target = next((f for f in source.fields if f.name == name), None)
                self.add_error(field_name(source, target) if target else None, messages)
            return
        self.moved = rules.moves(rules.stored_address(self.instance), self.location)

    def clean_secrets(self, source: Source) -> None:
        stored = rules.stored_secrets(self.instance, source)
        current = rules.kept_secrets(self.instance, source, moved=self.moved)
        untouched = [s for s in source.secret_fields if not self.apply_typed(source, s, current)]
        # A stored secret the rules kept from moving with the connection is typed again.
        retype = [s for s in untouched if stored.get(s.name) and s.name not in current]
        for setting in retype:
            self.add_error(field_name(source, setting), retype_message(setting))
        if self.cleaned_data.get("enabled"):
            for setting in rules.missing_secrets(source, current):
                if setting not in retype:
                    self.add_error(field_name(source, setting), REQUIRED_WHILE_ENABLED)
        self.new_secrets = current

    def apply_typed(self, source: Source, setting: SettingField, current: dict) -> bool:
        """Apply what was typed or ticked for one secret to `current`; False if nothing was."""
        name = field_name(source, setting)
        typed = self.cleaned_data.get(name) or ""
        cleared = self.cleaned_data.get(clear_name(source, setting))
        if cleared:
            if typed:
                self.add_error(name, "Type a new value or tick “clear”, not both.")
            current.pop(setting.name, None)
        elif typed:
            current[setting.name] = typed
        return bool(typed or cleared)

    def typed_secret_names(self) -> list[str]:
        names = [
            field_name(source, setting)
            for source in self.offered_sources()
            for setting in source.secret_fields
        ]
        return [name for name in names if name in self.fields and self[name].data]

    def note_typed_secrets_not_kept(self) -> None:
        """Say why a typed secret comes back blank: the page never shows one again."""
        for name in self.typed_secret_names():
            if NOT_KEPT not in self.errors.get(name, []):
                self.add_error(name, NOT_KEPT)

    def save(self, commit=True):
        connection = super().save(commit=False)
        rules.place(connection, self.location, self.new_secrets, moved=self.moved)
        if commit:
            connection.save()
        return connection


class SourceConnectionFormBase(ConnectionFormBase):
    """One source's connection on its tenant's page: the source is given, not chosen."""

    source_slug = ""

    class Meta(ConnectionFormBase.Meta):
        fields = ["enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.source = self.source_slug

    def offered_sources(self) -> list[Source]:
        return [registry.get(self.source_slug)]

    def has_changed(self) -> bool:
        """A new connection counts as filled in by its settings: its Enabled box alone adds none.

        The tenant's page offers a blank form per source, and the formset skips one unchanged.
        """
        if self.instance.pk:
            return super().has_changed()
        return any(name != "enabled" for name in self.changed_data)


def source_fields(source: Source) -> dict[str, forms.Field]:
    declared = {}
    for setting in source.fields:
        declared[field_name(source, setting)] = form_field(setting)
        if setting.secret:
            declared[clear_name(source, setting)] = forms.BooleanField(
                required=False, label=f"Clear the stored {setting.label.lower()}"
            )
    return declared


@cache
def connection_form() -> type[ConnectionFormBase]:
    """The form class, built once the source apps have registered themselves."""
    declared = {}
    for source in registry.all_sources():
        declared.update(source_fields(source))
    return type("ConnectionForm", (ConnectionFormBase,), declared)


@cache
def source_connection_form(slug: str) -> type[SourceConnectionFormBase]:
    """The form of one source's connection, with only that source's settings."""
    source = registry.get(slug)
    declared = {"source_slug": slug, **source_fields(source)}
    return type(f"{slug.title()}ConnectionForm", (SourceConnectionFormBase,), declared)
