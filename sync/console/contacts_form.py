"""The tenant page's alert contacts: e-mail addresses, and channels that stay write-only.

A channel's apprise URL carries its tokens, so it is kept like a connection's password: never
shown again once saved (only its scheme and host), a blank field keeps what is stored, new
lines replace it all, and a "clear" box removes it.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from sync.alerts import channels, contacts
from sync.console.connection_form import NOT_KEPT
from tenants.models import Tenant

TYPED_URLS = "alert_urls_typed"
CLEAR_URLS = "clear_alert_urls"
NEW_HINT = (
    "One apprise URL per line: slack://…, msteams://…, tgram://…, ntfys://…, or jsons://… for "
    "a webhook that takes JSON. They carry tokens, so they are never shown again once saved."
)


def stored_hint(tenant: Tenant) -> str:
    urls = contacts.stored_urls(tenant) if tenant.pk else []
    if not urls:
        return NEW_HINT
    names = ", ".join(channels.named(url) for url in urls)
    return (
        f"Stored: {names}. Leave blank to keep them; "
        "type new ones, one per line, to replace them all."
    )


def typed_urls(text: str) -> list[str]:
    return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))


class WriteOnlyTextarea(forms.Textarea):
    """A text area that never renders a value, neither the stored one nor what was typed."""

    def format_value(self, value):
        return None


class TenantContactsForm(forms.ModelForm):
    alert_urls_typed = forms.CharField(
        label="Alert channels",
        required=False,
        strip=False,
        max_length=5000,
        widget=WriteOnlyTextarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
    )
    clear_alert_urls = forms.BooleanField(required=False, label="Clear the stored alert channels")

    class Meta:
        model = Tenant
        fields = ["name", "slug", "kind", "active", "staff", "alert_emails", "purge_missing_days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if TYPED_URLS in self.fields:
            self.fields[TYPED_URLS].help_text = stored_hint(self.instance)

    def clean_alert_emails(self) -> str:
        found = contacts.addresses(self.cleaned_data.get("alert_emails") or "")
        wrong = []
        for address in found:
            try:
                validate_email(address)
            except ValidationError:
                wrong.append(f"“{address}” is not an e-mail address.")
        if wrong:
            raise ValidationError(wrong)
        return "\n".join(found)

    def clean_alert_urls_typed(self) -> list[str]:
        allow_insecure = settings.SYNC_ALLOW_INSECURE_URLS
        urls = typed_urls(self.cleaned_data.get(TYPED_URLS) or "")
        problems = [channels.channel_problem(url, allow_insecure=allow_insecure) for url in urls]
        if any(problems):
            raise ValidationError([problem for problem in problems if problem])
        return urls

    def clean(self):
        cleaned = super().clean()
        if cleaned.get(TYPED_URLS) and cleaned.get(CLEAR_URLS):
            self.add_error(TYPED_URLS, "Type new channels or tick “clear”, not both.")
        return cleaned

    def full_clean(self):
        super().full_clean()
        if self._errors:
            self.note_typed_secrets_not_kept()

    def note_typed_secrets_not_kept(self) -> None:
        """Say why typed channels come back blank: the page never shows them again."""
        typed = TYPED_URLS in self.fields and self[TYPED_URLS].data
        if typed and NOT_KEPT not in self.errors.get(TYPED_URLS, []):
            self.add_error(TYPED_URLS, NOT_KEPT)

    def save(self, commit=True):
        if self.cleaned_data.get(CLEAR_URLS):
            self.instance.alert_urls = {}
        elif self.cleaned_data.get(TYPED_URLS):
            self.instance.alert_urls = {"urls": self.cleaned_data[TYPED_URLS]}
        return super().save(commit)
