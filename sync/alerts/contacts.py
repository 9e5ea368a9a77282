"""Who hears of a connection's trouble: its tenant's contacts and the operator's."""

import re

from django.conf import settings

from tenants.models import Tenant


def addresses(text: str) -> list[str]:
    """E-mail addresses as typed: split on commas, spaces and new lines, each once, in order."""
    return list(dict.fromkeys(part for part in re.split(r"[,;\s]+", text) if part))


def stored_urls(tenant: Tenant) -> list[str]:
    return list(tenant.alert_urls.get("urls", []))


def tenant_contacts(tenant: Tenant) -> tuple[list[str], list[str]]:
    """The tenant's (e-mail addresses, channel URLs)."""
    return addresses(tenant.alert_emails), stored_urls(tenant)


def operator_contacts() -> tuple[list[str], list[str]]:
    """The operator's (e-mail addresses, channel URLs): SYNC_ALERT_EMAILS, SYNC_ALERT_URLS."""
    return list(settings.SYNC_ALERT_EMAILS), list(settings.SYNC_ALERT_URLS)


def described(emails: list[str], urls: list[str]) -> str:
    """How many addresses and channels: "2 e-mail addresses and 1 channel"."""
    parts = [
        f"{len(emails)} e-mail address{'es' if len(emails) != 1 else ''}" if emails else "",
        f"{len(urls)} channel{'s' if len(urls) != 1 else ''}" if urls else "",
    ]
    return " and ".join(filter(None, parts))
