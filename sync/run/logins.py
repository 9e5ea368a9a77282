"""A connection read through each of its logins, and what they see united into one mirror.

Where each account of a source sees part of a tenant (a Bakaláři teacher: their own timetable
and the groups they teach), a connection holds further accounts beside its own login, and a run
reads it through each in turn. Their slices are united stream by stream: a record any login
lists is kept (the first login's copy of it); a record is marked missing only where every login
that sees the stream read it completely and none lists it. A login that fails leaves what only
it sees as it was and names itself in the run, which is then partial; if every login fails, the
run fails.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

from sync.sources.streams import Batch, Record
from sync.upstream.errors import SyncError


@dataclass
class Slice:
    """What one login read: its batches, or the error that stopped it."""

    login: str
    batches: dict[str, Batch] | None = None
    error: SyncError | None = None


def logins_of(source, connection) -> list[tuple[str, object]]:
    """(name, connection as that login sees it): the connection's own login first, then each
    enabled further account, for a source that reads through several."""
    own = (connection.options or {}).get("username", "") or connection.source_label
    logins = [(own, connection)]
    if source.several_accounts:
        accounts = connection.accounts.filter(enabled=True).select_related("connection__tenant")
        logins += [(account.username, account.as_connection()) for account in accounts]
    return logins


def failure_note(part: Slice) -> str:
    return (
        f"The account “{part.login}” could not be read: {part.error.message} "
        "What only it sees was left as it was."
    )


def all_failed(parts: list[Slice]) -> SyncError:
    """The first login's error, its message naming every login and why it failed."""
    error = parts[0].error
    error.message = "No account could be read. " + " ".join(
        f"“{part.login}”: {part.error.message}" for part in parts
    )
    error.args = (error.message,)
    return error


def unite(streams, parts: list[Slice]) -> dict[str, Batch]:
    """The slices of the logins that were read, as one batch per stream."""
    read = [part.batches for part in parts if part.batches is not None]
    if len(parts) == 1:
        return read[0]
    every_login_read = len(read) == len(parts)
    return {
        stream.kind: unite_stream([batches[stream.kind] for batches in read], every_login_read)
        for stream in streams
    }


def unite_stream(batches: list[Batch], every_login_read: bool) -> Batch:
    seeing = [batch for batch in batches if not batch.blind]
    read = [batch for batch in seeing if not batch.not_fetched]
    if not read:
        reasons = dict.fromkeys(batch.not_fetched for batch in batches if batch.not_fetched)
        return Batch.unread(" ".join(reasons), blind=all(batch.blind for batch in batches))
    whole = (
        every_login_read
        and len(read) == len(seeing)
        and all(batch.complete_scopes is None for batch in read)
    )
    # A stream some seeing login could not read completely keeps what only that one lists:
    # only the scopes some login read completely may lose records.
    scopes = None if whole else set().union(*(batch.complete_scopes or () for batch in read))
    covered = [batch.covers for batch in read if batch.covers is not None]
    covers = frozenset().union(*covered) if covered else None
    known = frozenset().union(*(batch.known for batch in batches))
    if any(batch.build for batch in read):
        united = Batch.built_later(
            lambda: first_of_each(chain.from_iterable(batch.read() for batch in read)),
            size=sum(batch.count() for batch in read),
            complete_scopes=scopes,
            covers=covers,
        )
    else:
        records = first_of_each(chain.from_iterable(batch.records for batch in read))
        united = Batch(records, scopes, covers=covers)
    united.known = known
    return united


def first_of_each(records: Iterable[Record]) -> list[Record]:
    """Each key once, as the first login listed it."""
    chosen: dict[str, Record] = {}
    for record in records:
        chosen.setdefault(record.key, record)
    return list(chosen.values())
