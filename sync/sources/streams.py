"""What a source hands the engine: plain records per stream. The engine decides how to write.

A source reads everything first (`Source.read`), then the engine writes all streams in one
transaction, in the order the source lists them (parents before the rows that link to them).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sync.models import Mirrored


@dataclass(frozen=True, slots=True)  # slots: a large sync holds a hundred thousand of these
class Record:
    key: str  # the external id, verbatim
    values: dict[str, Any]  # model field -> value (str, int, bool, date, datetime, Decimal, None)
    links: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # fk -> (kind, key)
    scope: str = ""


KEY_SEPARATOR = "|"
KEY_ESCAPE = "\\"


def composite_key(*ids: str | int, separator: str = KEY_SEPARATOR) -> str:
    """One key of several upstream ids, whatever characters they hold: a separator or escape
    character inside an id is escaped, so no two lists of ids share a key. Ids holding neither
    give the plain joined key, so the keys stored before stay as they were."""
    if len(separator) != 1 or separator == KEY_ESCAPE:
        raise ValueError(f"a key separator is one character other than {KEY_ESCAPE!r}")
    escaped = (
        str(part).replace(KEY_ESCAPE, KEY_ESCAPE * 2).replace(separator, KEY_ESCAPE + separator)
        for part in ids
    )
    return separator.join(escaped)


@dataclass
class Batch:
    """One stream's records from one run."""

    records: list[Record]
    # Scopes fetched completely. None: the whole stream was fetched, so anything not in it is
    # gone upstream. A set: only records of those scopes may be marked missing.
    complete_scopes: set[str] | None = None
    # Why the stream was not read at all (the account may not see it): its rows stay as they
    # are, and the run says so instead of showing zeros as if the stream were empty.
    not_fetched: str = ""

    @classmethod
    def unread(cls, reason: str) -> "Batch":
        """A stream this run could not read, and why (a sentence for the admin)."""
        return cls([], complete_scopes=set(), not_fetched=reason)


@dataclass(frozen=True)
class Stream:
    kind: str
    model: type[Mirrored]
    label: str = ""
    # An empty answer where rows exist is more often an upstream hiccup (holidays, a module
    # switched off) than a real wipe-out; only streams that say so may empty themselves.
    may_be_empty: bool = False
    # Called inside the write transaction with the ids of rows just marked missing.
    on_missing: Callable[[list[int]], None] | None = None
    # Upstream may list only what lies ahead: given the ids of rows a complete fetch no longer
    # lists, returns those that left because they are over (a course part held), not deleted.
    # They stay active and are not marked missing.
    find_ended: Callable[[list[int]], set[int]] | None = None
    # Called inside the write transaction with the ids of rows found ended (again each run).
    on_ended: Callable[[list[int]], None] | None = None


# report(what is being fetched, records so far, answers fetched, answers to fetch): the last two
# once the source knows how many it needs (0 of 0 before), so the run page's bar only moves on.
Report = Callable[..., None]


@dataclass
class Answers:
    """How many answers a sync needs and has so far, for the run page's bar."""

    total: int
    done: int = 0

    def report(self, report: Report, what: str, records: int) -> None:
        """Tell `report` what comes next; each call is one answer more."""
        report(what, records, self.done, self.total)
        self.done += 1
