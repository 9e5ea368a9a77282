"""The rules of a connection, whichever way it is edited: the admin's form or an import.

Its source normalises where it points, within the address policy; the secrets stored for one
address never follow it to another, nor do the old server's tokens; and an enabled connection
holds every secret its source requires. The form says so to the person typing; the import,
which carries no secrets, applies the same rules to each row.
"""

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from sync.sources.registry import Location, SettingField, Source
from tenants.models import Connection

REQUIRED = "This field is required."


def missing_options(source: Source, values: Mapping[str, object]) -> list[SettingField]:
    """The required non-secret settings of `source` that `values` leaves blank."""
    return [
        s for s in source.option_fields if s.required and not str(values.get(s.name) or "").strip()
    ]


def missing_secrets(source: Source, secrets: Mapping[str, str]) -> list[SettingField]:
    """The secrets an enabled connection of `source` needs that `secrets` lacks."""
    return [s for s in source.secret_fields if s.required and not secrets.get(s.name)]


def locate(source: Source, values: Mapping[str, str]) -> Location:
    """Where `values` point a connection of `source`; ValidationError({setting: messages})."""
    errors = {s.name: [REQUIRED] for s in missing_options(source, values)}
    try:
        location = source.locate(values, allow_insecure=settings.SYNC_ALLOW_INSECURE_URLS)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    return location


def stored_address(connection: Connection) -> str | None:
    """Where a saved connection points now; None for one not saved yet."""
    return connection.base_url if connection.pk else None


def moves(stored: str | None, location: Location) -> bool:
    """Whether `location` points a saved connection at another server than `stored`."""
    return stored is not None and location.base_url != stored


def stored_secrets(connection: Connection, source: Source) -> dict[str, str]:
    """The secrets `connection` holds as a connection of `source`: none if it is of another."""
    return dict(connection.secrets) if connection.source == source.slug else {}


def kept_secrets(connection: Connection, source: Source, *, moved: bool) -> dict[str, str]:
    """The stored secrets that stay with `connection` as a connection of `source`.

    None when it moves: they were given for the old address, and whoever moves it must know
    them, or they would be sent to a server of the mover's choosing.
    """
    return {} if moved else stored_secrets(connection, source)


def place(connection: Connection, location: Location, secrets: dict, *, moved: bool) -> None:
    """Point `connection` at `location` holding `secrets`; the old tokens go with a change."""
    connection.base_url, connection.options = location.base_url, dict(location.options)
    if connection.secrets != secrets:
        connection.secrets = dict(secrets)
        connection.secrets_changed_at = timezone.now()
        connection.session = {}  # its tokens belonged to the old credentials
    if moved:
        connection.session = {}  # the old server's tokens are no business of the new one


def leave_accounts_behind(connection: Connection) -> int:
    """A connection moved to another server: its further accounts' secrets and tokens stay
    behind with the old one, and the accounts are disabled until their secrets are typed again.
    The number of accounts that lost secrets."""
    if not connection.pk:
        return 0
    return connection.accounts.exclude(secrets={}).update(
        secrets={}, session={}, secrets_changed_at=timezone.now(), enabled=False
    )
