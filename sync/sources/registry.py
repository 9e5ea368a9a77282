"""The sources the core knows: every installed app whose AppConfig names a `sync_source`.

The core never imports a source by name: it asks this registry, which finds them among the
installed apps the first time it is asked (so a third source is one app added to
INSTALLED_APPS, and nothing else).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import ClassVar

from django.apps import apps
from django.core.signals import setting_changed
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SettingField:
    """One value an operator types into a connection: a URL, a username, a secret."""

    name: str
    label: str
    secret: bool = False
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()
    help_text: str = ""


@dataclass(frozen=True)
class Location:
    """Where a connection points: the normalised base URL plus the non-secret options."""

    base_url: str
    options: Mapping[str, str] = field(default_factory=dict)


class Source:
    """What every source offers the core. Subclasses live in `sync/sources/<slug>/`."""

    slug: ClassVar[str]
    label: ClassVar[str]
    fields: ClassVar[tuple[SettingField, ...]]
    # The kinds of tenant (`tenants.Tenant.Kind` values) this source serves: their pages offer
    # a connection to it without being asked.
    tenant_kinds: ClassVar[tuple[str, ...]] = ()
    # Whether a connection may hold further accounts (tenants.Account) beside its own login,
    # each seeing part of the tenant, read in turn and united (sync.run.logins). Each account
    # has its own username and the source's secret settings; the address is the connection's.
    several_accounts: ClassVar[bool] = False

    # What to type into a connection to reach this source's sandbox; base_url is relative to
    # the sandbox server's address (see `manage.py sandbox`).
    demo_settings: ClassVar[Mapping[str, str]] = {}
    # Further accounts of the demo connection (`several_accounts`): (username, secrets) each.
    demo_accounts: ClassVar[tuple[tuple[str, Mapping[str, str]], ...]] = ()

    def locate(self, values: Mapping[str, str], *, allow_insecure: bool) -> Location:
        """Normalise the operator's values; raise ValidationError({field: message})."""
        raise NotImplementedError

    def client(self, connection, *, transport=None):
        """A client for `connection` (a tenants.Connection); it logs in lazily."""
        raise NotImplementedError

    def test_connection(self, connection, *, transport=None):
        """A `sync.upstream.diagnosis.Diagnosis` of reaching and logging in to the server.

        Every request is tried once: an operator is waiting, and a retry would turn a
        server that hangs into a minute of silence and hide the fault being looked for.
        """
        from sync.upstream.diagnosis import Diagnosis
        from sync.upstream.errors import ConfigError
        from sync.upstream.http import RetryPolicy

        try:
            client = self.client(connection, transport=transport)
        except ConfigError as error:
            return Diagnosis.failure(error, 0)
        client.retry = RetryPolicy(attempts=1)
        with client:
            return self.diagnose(client)

    def diagnose(self, client):
        """Walk `client` through the steps of a connection test; a Diagnosis."""
        raise NotImplementedError

    # A source's own parts, named once: the module of its streams (STREAMS, and read(client,
    # connection, report) fetching and mapping them), its sandbox, and its admin columns.
    mirror: ClassVar[ModuleType]
    sandbox: ClassVar[type]
    # How the console lists each mirrored model: {model: ModelAdmin options}, plus "filters"
    # for list filters beside the tenant and active ones. Unlisted models get the plain listing.
    listings: ClassVar[Mapping] = {}

    def streams(self) -> tuple:
        """The `sync.sources.streams.Stream`s this source mirrors, parents before children."""
        return self.mirror.STREAMS

    def read(self, client, connection, report) -> dict:
        """Fetch and map everything: {stream kind: `sync.sources.streams.Batch`}. Writes nothing.

        `report(what, records)` tells the engine what is being fetched, for live progress.
        """
        return self.mirror.read(client, connection, report)

    def make_sandbox(self, prefix: str):
        """A fresh `sync.upstream.sandbox.SandboxApp` emulating this source, below `prefix`."""
        return self.sandbox(prefix=prefix)

    @property
    def secret_fields(self) -> tuple[SettingField, ...]:
        return tuple(f for f in self.fields if f.secret)

    @property
    def option_fields(self) -> tuple[SettingField, ...]:
        return tuple(f for f in self.fields if not f.secret)


_sources: dict[str, Source] = {}


def installed() -> dict[str, Source]:
    """Slug -> source, found once among the installed apps (their `sync_source` path)."""
    if not _sources:
        for config in apps.get_app_configs():
            path = getattr(config, "sync_source", "")
            if path:
                source = import_string(path)()
                _sources[source.slug] = source
    return _sources


def forget(*, setting: str, **kwargs) -> None:
    """Tests that change INSTALLED_APPS get the sources of the new list."""
    if setting == "INSTALLED_APPS":
        _sources.clear()


setting_changed.connect(forget)


def get(slug: str) -> Source:
    try:
        return installed()[slug]
    except KeyError:
        raise LookupError(f"unknown source {slug!r}") from None


def all_sources() -> list[Source]:
    return sorted(installed().values(), key=lambda s: s.slug)


def fitting(kind: str) -> list[Source]:
    """The sources that serve tenants of `kind`."""
    return [s for s in all_sources() if kind in s.tenant_kinds]


def label_of(slug: str) -> str:
    """How a source's slug reads to people; the slug itself for a source no longer installed."""
    source = installed().get(slug)
    return source.label if source else slug
