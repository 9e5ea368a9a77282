"""Bakaláři as the core sees it: settings, address, client, connection test and sandbox."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError

from sync.sources.registry import Location, SettingField, Source
from sync.upstream import parallel, url_policy
from sync.upstream.diagnosis import Diagnosis
from sync.upstream.errors import ConfigError

from . import dataset, mirror
from .admin import LISTINGS
from .client import BakalariClient, diagnose
from .sandbox import BakalariSandbox

# What people paste from the browser's address bar after the school's base:
# the login page, the web UI's "next" pages, the dashboard, or the API itself.
WEB_UI_SEGMENTS = {"login", "login.aspx", "next", "dashboard", "dashboard.aspx", "api"}


def normalize_base_url(url: str, *, allow_insecure: bool) -> str:
    """The school's base: no login page, UI path, query or trailing slash; port and prefix kept."""
    parts = url_policy.split_checked(url, allow_insecure=allow_insecure)
    kept = []
    for segment in parts.path.split("/"):
        if segment.lower() in WEB_UI_SEGMENTS:
            break
        if segment:
            kept.append(segment)
    path = "/" + "/".join(kept) if kept else ""
    return url_policy.join(parts._replace(path=path))


def session_keeper(connection):
    """What keeps each new token pair: on the connection at once, so that log records are
    scrubbed of it, and in the database by the thread that runs the sync (a token renewed in a
    worker of `parallel.fetched` is stored as that thread hands back its next answer)."""
    store = parallel.in_calling_thread(connection.store_session)

    def keep(session: dict) -> None:
        connection.session = session
        store(session)

    return keep


class BakalariSource(Source):
    slug = "bakalari"
    label = "Bakaláři"
    mirror = mirror
    sandbox = BakalariSandbox
    listings = LISTINGS
    tenant_kinds = ("school",)
    several_accounts = True  # API v3 shows each account its own slice of the school
    fields = (
        SettingField(
            "base_url",
            "School address",
            help_text="The address of the school's Bakaláři login page, "
            "e.g. https://skola.bakalari.cz/login",
        ),
        SettingField("username", "Username"),
        SettingField("password", "Password", secret=True),
    )
    demo_settings = {
        "base_url": "/bakalari",
        "username": dataset.DEMO_USERNAME,
        "password": dataset.DEMO_PASSWORD,
    }

    # The demo school is read through three teachers, as a real one is: each sees its slice.
    demo_accounts = tuple(
        (username, {"password": password}) for username, password in dataset.DEMO_ACCOUNTS[1:]
    )

    def locate(self, values: Mapping[str, str], *, allow_insecure: bool) -> Location:
        try:
            base_url = normalize_base_url(values.get("base_url", ""), allow_insecure=allow_insecure)
        except ValidationError as exc:
            raise ValidationError({"base_url": exc.messages}) from None
        return Location(base_url, {"username": values.get("username", "").strip()})

    def client(self, connection, *, transport=None) -> BakalariClient:
        """A client that resumes the kept session and keeps every new token pair at once."""
        username = (connection.options or {}).get("username", "")
        password = connection.secrets.get("password", "")
        for value, missing in (
            (connection.base_url, "The school's Bakaláři address is not set."),
            (username, "The Bakaláři username is not set."),
            (password, "The Bakaláři password is not set."),
        ):
            if not value:
                raise ConfigError(f"{missing} Enter it in the connection's settings.")
        return BakalariClient(
            connection.base_url,
            username,
            password,
            session=connection.session,
            on_session=session_keeper(connection),
            transport=transport,
        )

    def diagnose(self, client) -> Diagnosis:
        return diagnose(client)
