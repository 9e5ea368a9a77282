"""What a source hands the engine: plain records per stream. The engine decides how to write.

A source reads everything first (`Source.read`), then the engine writes all streams in one
transaction, in the order the source lists them (parents before the rows that link to them).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sync.models import Mirrored

Link = tuple[str, str | None]  # (the kind linked to, its key)


class Record:
    """One upstream record as the mirror needs it: its key, its model values, its links to the
    records of other streams (`{fk: (kind, key)}`), its scope and its parts. Treat it as
    immutable; `replace` gives a changed copy.

    A large sync holds a hundred thousand of these, so a record is stored compactly: its links
    as one flat tuple rather than a dict (`links` builds the dict when asked), and its values
    as given, so that records sharing one values dict share it in memory too.
    """

    __slots__ = ("key", "values", "_links", "scope", "parts")

    def __init__(
        self,
        key: str,  # the external id, verbatim
        values: dict[str, Any],  # model field -> value (str, int, bool, date, datetime, ...)
        links: dict[str, Link] | None = None,
        scope: str = "",
        # The keys of the parts this record groups, when upstream gives the group no id of its
        # own (`Stream.parts`); `key` is then the key a group none of whose parts is stored takes.
        parts: tuple[str, ...] = (),
    ) -> None:
        self.key, self.values, self.scope, self.parts = key, values, scope, parts
        self._links = tuple(part for name, link in (links or {}).items() for part in (name, *link))

    @property
    def links(self) -> dict[str, Link]:
        flat = self._links
        return {flat[i]: (flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3)}

    def replace(self, **changes) -> "Record":
        fields = {name: getattr(self, name) for name in ("key", "values", "links", "scope")}
        return Record(**{**fields, "parts": self.parts, **changes})

    def _fields(self) -> tuple:
        return (self.key, self.values, self._links, self.scope, self.parts)

    def __eq__(self, other) -> bool:
        return isinstance(other, Record) and self._fields() == other._fields()

    __hash__ = None  # its values are a dict

    def __repr__(self) -> str:
        return (
            f"Record(key={self.key!r}, values={self.values!r}, links={self.links!r}, "
            f"scope={self.scope!r}, parts={self.parts!r})"
        )


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


@dataclass(eq=False)
class Batch:
    """One stream's records from one run."""

    records: list[Record]
    # Scopes fetched completely. None: the whole stream was fetched, so anything not in it is
    # gone upstream. A set: only records of those scopes may be marked missing.
    complete_scopes: set[str] | None = None
    # Why the stream was not read at all (the account may not see it): its rows stay as they
    # are, and the run says so instead of showing zeros as if the stream were empty.
    not_fetched: str = ""
    # Records built only when the writer comes to the stream (`built_later`), and their number.
    build: Callable[[], list[Record]] | None = field(default=None, repr=False)
    size: int = 0
    # Not read because this account cannot see the stream at all (a pupil's account has no
    # rosters), as opposed to a refusal or fault: read through several accounts, such a stream
    # keeps the others' slices whole.
    blind: bool = False
    # The keys of the stream's `Stream.coverage_unit` this batch covers (the classes whose
    # pupils it lists, the teachers whose assignments it read); None where none is measured.
    covers: frozenset[str] | None = None
    # Keys of this stream known to exist upstream beyond those listed (a directory of the whole
    # tenant, where upstream publishes one): what coverage is measured against.
    known: frozenset[str] = frozenset()

    @classmethod
    def unread(cls, reason: str, *, blind: bool = False) -> "Batch":
        """A stream this run could not read, and why (a sentence for the admin); `blind` when
        the account cannot see it at all rather than was refused it."""
        return cls([], complete_scopes=set(), not_fetched=reason, blind=blind)

    @classmethod
    def built_later(
        cls,
        build: Callable[[], list[Record]],
        *,
        size: int,
        complete_scopes: set[str] | None,
        covers: frozenset[str] | None = None,
    ) -> "Batch":
        """A large stream whose answers are more compact than its records (a pupil's
        enrolments are pointers to the pupil until they are records): its records are built
        when the writer comes to it, after the streams before it were written and let go."""
        return cls([], complete_scopes, build=build, size=size, covers=covers)

    def read(self) -> list[Record]:
        """The records, built now if they were left for later."""
        return self.build() if self.build else self.records

    def count(self) -> int:
        """How many distinct records (a pupil is in the roster of each of their groups)."""
        return self.size if self.build else len({record.key for record in self.records})

    def __eq__(self, other) -> bool:
        if not isinstance(other, Batch):
            return NotImplemented
        mine = (self.read(), self.complete_scopes, self.not_fetched)
        return mine == (other.read(), other.complete_scopes, other.not_fetched)


@dataclass(frozen=True)
class Stream:
    kind: str
    model: type[Mirrored]
    label: str = ""
    # An empty answer where rows exist is more often an upstream hiccup (holidays, a module
    # switched off) than a real wipe-out; only streams that say so may empty themselves.
    may_be_empty: bool = False
    # Upstream may list a row only until it takes place: the field holding that moment. A row
    # a complete fetch no longer lists whose moment has passed is held, not gone: it stays
    # active as a past row and is not marked missing. One whose moment lies ahead is gone.
    held_at: str = ""
    # Upstream may list a row only as the group of its parts, each until it is held.
    parts: "Parts | None" = None
    # Where an account sees only part of the tenant, what its coverage of this stream is
    # measured in: the kind of another stream ("class": pupils of 12 of 30 classes), or this
    # stream's own kind (28 of 30 classes listed). Batches say which keys of it they cover.
    coverage_unit: str = ""
    coverage_text: str = ""  # "pupils of {covered} of {known} known classes"


@dataclass(frozen=True)
class Lifecycle:
    """The values the writer gives a group's status field as its parts are held."""

    field: str
    ahead: str  # its first part lies ahead
    begun: str  # its first part has begun
    over: str  # no longer listed and no part of it ahead: it stays, active and not missing
    cancelled: str  # no longer listed with a part still ahead: it is marked missing too


@dataclass(frozen=True)
class Parts:
    """A row upstream knows only as the group of its parts, each listed until it is held (a
    course of sessions): the group has no id, and its parts drop out of it.

    Its record names its parts (`Record.parts`). The writer keys it as the stored row of the
    first part stored already, so it keeps the key it was first stored under as parts drop
    out, and links to the record's own key follow it there. `first` keeps the earliest time
    stored, a part's that has since been held. A group a complete fetch no longer lists is
    over, not gone, when none of its active parts lies ahead by the parts' `held_at`.
    """

    stream: Stream  # the parts' stream
    link: str  # the parts' link to their group
    first: str  # the group's field holding the time its first part begins
    status: Lifecycle | None = None

    def __post_init__(self) -> None:
        if not self.stream.held_at:
            raise ValueError(f"the parts' stream {self.stream.kind!r} declares no held_at")


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
