"""A library as the core sees it: its address and API key, the client, the test, the sandbox."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError

from sync.sources.registry import Location, SettingField, Source
from sync.upstream import url_policy
from sync.upstream.diagnosis import Diagnosis
from sync.upstream.errors import ConfigError

from . import mirror
from .admin import LISTINGS
from .client import LibraryClient, diagnose
from .sandbox import DEMO_API_KEY, LibrarySandbox


class LibrarySource(Source):
    slug = "library"
    label = "Library"
    mirror = mirror
    sandbox = LibrarySandbox
    listings = LISTINGS
    tenant_kinds = ("school",)
    fields = (
        SettingField("base_url", "Library address"),
        SettingField("api_key", "API key", secret=True),
    )
    demo_settings = {"base_url": "/library", "api_key": DEMO_API_KEY}

    def locate(self, values: Mapping[str, str], *, allow_insecure: bool) -> Location:
        url = values.get("base_url", "")
        try:
            parts = url_policy.split_checked(url, allow_insecure=allow_insecure)
        except ValidationError as exc:
            raise ValidationError({"base_url": exc.messages}) from None
        return Location(url_policy.join(parts))

    def client(self, connection, *, transport=None) -> LibraryClient:
        api_key = (connection.secrets or {}).get("api_key", "")
        if not (connection.base_url and api_key):
            raise ConfigError(
                "The library's address or API key is not set. Enter it in the connection's "
                "settings."
            )
        return LibraryClient(connection.base_url, api_key, transport=transport)

    def diagnose(self, client) -> Diagnosis:
        return diagnose(client)
