"""Writes one stream's records: insert new, update changed, leave unchanged alone, mark gone.

Change detection compares a checksum of the mapped record with the one on its ExternalRef, so
an unchanged record costs no write at all and a re-run over the same data writes nothing.
Every statement works on a batch, so database work grows with batches, not records; new and
changed records are written a batch at a time as they are found, so what a stream holds beyond
its records is what is mirrored of it, compactly (`KnownRef`).
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection as db
from django.db import transaction

from sync.models import ExternalRef
from sync.run.bulk import NewRows, RowUpdates, Target
from sync.sources.streams import Batch, Parts, Record, Stream

BATCH_ROWS = 1000
REFS_PAGE = 5000


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: int = 0
    warnings: list[str] = field(default_factory=list)
    not_fetched: str = ""  # why the stream was not read; then there is nothing to count

    def as_dict(self) -> dict:
        if self.not_fetched:
            return {"not_fetched": self.not_fetched}
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "missing": self.missing,
        }


@dataclass(slots=True)
class KnownRef:
    """What is mirrored of one record: read a page at a time and let go at once, unless the
    run's batch no longer lists it."""

    key: str
    pk: int
    object_id: int
    checksum: bytes  # the digest itself: half the size of its hex text
    missing: bool
    scope: str


def canonical(value) -> str:
    """One text per value: the same instant in two time zones must not look like a change."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()
    return str(value)


def checksum(record: Record) -> bytes:
    """The SHA-256 digest of the mapped record; its ExternalRef stores it as hex text."""
    payload = {"v": record.values, "l": record.links, "s": record.scope}
    text = json.dumps(payload, sort_keys=True, default=canonical, ensure_ascii=False)
    return hashlib.sha256(text.encode()).digest()


def stored_digest(text: str) -> bytes:
    """The digest an ExternalRef holds; text that is no digest matches no record."""
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""


class StreamWriter:
    def __init__(
        self,
        tenant,
        source: str,
        stream: Stream,
        now: datetime,
        object_ids: dict,
        aliases: dict | None = None,
        *,
        keeps_ids: bool = True,
        last_success: datetime | None = None,
    ):
        self.tenant, self.source, self.stream, self.now = tenant, source, stream, now
        self.model = stream.model
        self.object_ids = object_ids  # kind -> {external id: local id}, shared across streams
        # Only the streams others link to need their ids kept for the rest of the run.
        self.keeps_ids = keeps_ids
        # kind -> {a record's own key: the key it was stored under}, shared across streams
        self.aliases = {} if aliases is None else aliases
        # The connection's last successful sync before this one: a record found gone now was
        # last listed then, as far as anything knows (`mark_missing`).
        self.last_success = last_success
        self.content_type = ContentType.objects.get_for_model(self.model)
        self.inserts: dict[tuple[str, ...], NewRows] = {}
        self.updates: dict[tuple[str, ...], RowUpdates] = {}

    def write(self, batch: Batch) -> Counts:
        # In a transaction: a failure takes back this stream's writes and temporary tables. The
        # engine's own (one for all streams) will do: no savepoint per stream.
        with transaction.atomic(savepoint=False):
            return self.write_batch(batch)

    def write_batch(self, batch: Batch) -> Counts:
        """Walk what is mirrored beside what was read: each record is compared with its ref as
        the refs come, page by page, and only the refs the batch no longer lists are kept."""
        ids = self.object_ids[self.stream.kind] = {}
        if batch.not_fetched:
            if self.keeps_ids:
                ids.update((ref.key, ref.object_id) for ref in self.known_refs())
            return Counts(not_fetched=batch.not_fetched)  # its rows stay as they are
        counts, changed, unlisted = Counts(), [], []
        # one record per key; when upstream repeats a key in one payload, the last one wins
        records = self.keyed_by_parts(self.following_aliases(batch.read()))
        unmatched = {record.key: record for record in records}
        del records  # a large stream's records built for this write go with `unmatched`
        anything_listed = bool(unmatched)
        for ref in self.known_refs():
            record = unmatched.pop(ref.key, None)
            if self.keeps_ids:
                ids[ref.key] = ref.object_id
            if record is None:
                unlisted.append(ref)
                continue
            digest = checksum(record)
            if ref.checksum == digest and not ref.missing:
                counts.unchanged += 1
                continue
            changed.append((ref, record, digest))
            if len(changed) == BATCH_ROWS:  # what waits to be written never grows
                counts.updated += self.update(changed)
                changed = []
        counts.updated += self.update(changed)
        new = []
        for record in unmatched.values():  # in the order upstream listed them
            new.append((record, checksum(record)))
            if len(new) == BATCH_ROWS:
                counts.created += self.insert(new)
                new = []
        counts.created += self.insert(new)
        self.apply_inserts(ids)
        self.apply_updates()
        counts.missing = self.mark_missing(unlisted, anything_listed, batch, counts)
        return counts

    def known_refs(self) -> Iterator[KnownRef]:
        """What is mirrored of this stream, read in pages along the unique index: a small
        stream is one plain query, a large one never sits whole in memory or in the driver."""
        # Plain SQL: building this query with the ORM for every stream of every run cost more
        # CPU than the rest of a small sync's writing, and parallel syncs share one interpreter.
        after, scopes = None, {}
        while True:
            with db.cursor() as cursor:
                cursor.execute(*self.known_refs_page(after))
                rows = cursor.fetchall()
            for key, pk, object_id, digest, missing, scope in rows:
                scope = scopes.setdefault(scope, scope)  # one text per scope, not per ref
                yield KnownRef(key, pk, object_id, stored_digest(digest), missing, scope)
            if len(rows) < REFS_PAGE:
                return
            after = rows[-1][0]

    def known_refs_page(self, after: str | None) -> tuple[str, list]:
        # The database answers whether a ref is missing, so a hundred thousand timestamps are
        # not parsed into datetimes only to be compared with None.
        table = db.ops.quote_name(ExternalRef._meta.db_table)
        params = [self.tenant.pk, self.source, self.stream.kind]
        if after is not None:
            params.append(after)
        sql = (
            "SELECT external_id, id, object_id, checksum, missing_since IS NOT NULL, scope "  # noqa: S608
            f"FROM {table} WHERE tenant_id = %s AND source = %s AND kind = %s"
            f"{' AND external_id > %s' if after is not None else ''} "
            f"ORDER BY external_id LIMIT {int(REFS_PAGE)}"
        )
        return sql, params

    def following_aliases(self, records: list[Record]) -> list[Record]:
        """Links to a group's own key lead where the group was stored (`Stream.parts`)."""
        aliases = {kind: keys for kind, keys in self.aliases.items() if keys}
        if not aliases:
            return records
        return [followed(record, aliases) for record in records]

    def keyed_by_parts(self, records: list[Record]) -> list[Record]:
        """Each group under the key it was first stored with, its first time kept."""
        parts = self.stream.parts
        if parts is None:
            return records
        stored = self.stored_groups(parts, [key for r in records for key in r.parts])
        aliases = self.aliases.setdefault(self.stream.kind, {})
        keyed = []
        for record in records:
            groups = [stored[key] for key in record.parts if key in stored]
            key = groups[0][0] if groups else record.key
            if key != record.key:
                aliases[record.key] = key
            firsts = [record.values.get(parts.first), *(first for _, first in groups)]
            values = self.group_values(parts, record, [f for f in firsts if f is not None])
            keyed.append(record.replace(key=key, values=values))
        return keyed

    def stored_groups(self, parts: Parts, part_keys: list[str]) -> dict[str, tuple]:
        """part key -> (its group's key, the group's first time) for the parts stored in one."""
        model, link = parts.stream.model, parts.link
        stored = {}
        for chunk in chunks(part_keys, BATCH_ROWS):
            rows = model.objects.filter(
                tenant=self.tenant, external_id__in=chunk, **{f"{link}__isnull": False}
            ).values_list("external_id", f"{link}__external_id", f"{link}__{parts.first}")
            stored.update((part, (group, first)) for part, group, first in rows)
        return stored

    def group_values(self, parts: Parts, record: Record, firsts: list) -> dict:
        first = min(firsts, default=None)
        values = {**record.values, parts.first: first}
        if parts.status:
            begun = first is not None and first <= self.now
            values[parts.status.field] = parts.status.begun if begun else parts.status.ahead
        return values

    def field_values(self, record: Record) -> dict:
        values = dict(record.values)
        for name, (kind, key) in record.links.items():
            values[f"{name}_id"] = self.object_ids.get(kind, {}).get(key) if key else None
        return values

    def insert(self, new: list[tuple[Record, bytes]]) -> int:
        """Hand one batch of new records over; in the tables once `apply_inserts` has run."""
        rows = {}  # by the names of their values: a stream's records usually share them
        for record, digest in new:
            values = self.field_values(record)
            row = ((record.key, *values.values()), (record.scope, digest.hex()))
            rows.setdefault(tuple(values), []).append(row)
        for names, batch in rows.items():
            self.new_rows(names).add(batch)
        return len(new)

    def new_rows(self, names: tuple[str, ...]) -> NewRows:
        """The row with its values, and its ref: first seen, last seen and changed now."""
        if names not in self.inserts:
            fields = [self.model._meta.get_field(name) for name in ("external_id", *names)]
            ref_fields = [ExternalRef._meta.get_field(name) for name in ("scope", "checksum")]
            mapped = {
                "tenant_id": self.tenant.pk,
                "source": self.source,
                "kind": self.stream.kind,
                "content_type_id": self.content_type.pk,
            }
            times = {"first_seen_at": self.now, "last_seen_at": self.now}
            self.inserts[names] = NewRows(
                Target(self.model, fields, {"tenant_id": self.tenant.pk, "active": True}),
                Target(ExternalRef, ref_fields, {**mapped, **times, "last_changed_at": self.now}),
                points_by="object_id",
            )
        return self.inserts[names]

    def apply_inserts(self, ids: dict[str, int]) -> None:
        for inserts in self.inserts.values():
            ids.update(inserts.apply(ids_wanted=self.keeps_ids))

    def update(self, changed: list[tuple[KnownRef, Record, bytes]]) -> int:
        """Hand one batch of changed records over; in effect once `apply_updates` has run."""
        rows = {}  # by the names of their values: a stream's records usually share them
        for ref, record, digest in changed:
            values = self.field_values(record)
            row = ((ref.object_id, tuple(values.values())), (ref.pk, (digest.hex(), record.scope)))
            rows.setdefault(tuple(values), []).append(row)
        for names, batch in rows.items():
            self.row_updates(names).add(batch)
        return len(changed)

    def row_updates(self, names: tuple[str, ...]) -> RowUpdates:
        """The row's values, and its ref's: checksum and scope, changed and seen now, not
        missing."""
        if names not in self.updates:
            fields = [self.model._meta.get_field(name) for name in names]
            self.updates[names] = RowUpdates(
                Target(self.model, fields, {"active": True}),
                Target(
                    ExternalRef,
                    [ExternalRef._meta.get_field(name) for name in ("checksum", "scope")],
                    {"last_changed_at": self.now, "last_seen_at": self.now, "missing_since": None},
                ),
            )
        return self.updates[names]

    def apply_updates(self) -> None:
        for updates in self.updates.values():
            updates.apply()

    def mark_missing(
        self, unlisted: list[KnownRef], anything_listed: bool, batch: Batch, counts: Counts
    ) -> int:
        scopes = batch.complete_scopes
        gone = [
            ref for ref in unlisted if not ref.missing and (scopes is None or ref.scope in scopes)
        ]
        gone = self.without_ended(gone)
        if gone and not anything_listed and not self.stream.may_be_empty:
            counts.warnings.append(
                f"{self.stream.label or self.stream.kind}: upstream returned nothing although "
                f"{len(gone)} are mirrored; none was marked missing."
            )
            return 0
        status = self.stream.parts and self.stream.parts.status
        cancelled = {status.field: status.cancelled} if status else {}
        # `last_seen_at` is not confirmed on every run (that would rewrite every ref): a ref
        # still listed was seen by the latest sync; one gone now was last seen by the one before.
        seen = {"last_seen_at": self.last_success} if self.last_success else {}
        for chunk in chunks(gone, BATCH_ROWS):
            refs = ExternalRef.objects.filter(pk__in=[r.pk for r in chunk])
            refs.update(missing_since=self.now, **seen)
            object_ids = [r.object_id for r in chunk]
            self.model.objects.filter(pk__in=object_ids).update(active=False, **cancelled)
        return len(gone)

    def without_ended(self, gone: list[KnownRef]) -> list[KnownRef]:
        """The rows that are really gone: those held, or whose parts are all held, stay."""
        if not (self.stream.held_at or self.stream.parts):
            return gone
        ended = set()
        for chunk in chunks(gone, BATCH_ROWS):
            found = self.ended([r.object_id for r in chunk])
            self.mark_over(found)
            ended |= found
        return [r for r in gone if r.object_id not in ended]

    def ended(self, object_ids: list[int]) -> set[int]:
        """Of these rows, those over: held already, or none of their active parts lies ahead."""
        ended = set()
        if self.stream.held_at:
            past = {f"{self.stream.held_at}__lte": self.now}
            rows = self.model.objects.filter(pk__in=object_ids, **past)
            ended |= set(rows.values_list("pk", flat=True))
        if parts := self.stream.parts:
            ahead = {f"{parts.link}__in": object_ids, f"{parts.stream.held_at}__gt": self.now}
            rows = parts.stream.model.objects.filter(active=True, **ahead)
            ended |= set(object_ids) - set(rows.values_list(parts.link, flat=True))
        return ended

    def mark_over(self, object_ids: set[int]) -> None:
        """Found over on every run from now on: written once, so a re-run writes nothing."""
        status = self.stream.parts and self.stream.parts.status
        if not status or not object_ids:
            return
        unmarked = self.model.objects.filter(pk__in=object_ids).exclude(
            **{status.field: status.over}
        )
        if unmarked.exists():
            unmarked.update(**{status.field: status.over})


def followed(record: Record, aliases: dict[str, dict[str, str]]) -> Record:
    links = {}
    for name, (kind, key) in record.links.items():
        links[name] = (kind, aliases.get(kind, {}).get(key, key))
    return record if links == record.links else record.replace(links=links)


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
