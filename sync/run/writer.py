"""Writes one stream's records: insert new, update changed, leave unchanged alone, mark gone.

Change detection compares a checksum of the mapped record with the one on its ExternalRef, so
an unchanged record costs no write at all and a re-run over the same data writes nothing.
Every statement works on a batch, so database work grows with batches, not records.
"""

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection as db
from django.db import transaction
from django.db.models import Field

from sync.models import ExternalRef
from sync.sources.streams import Batch, Parts, Record, Stream

BATCH_ROWS = 1000
REFS_PAGE = 5000
SQLITE_MAX_PARAMS = 30000


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
    pk: int
    object_id: int
    checksum: str
    missing: bool
    scope: str
    seen_before_today: bool  # its last_seen_at needs confirming (refresh_last_seen)


def canonical(value) -> str:
    """One text per value: the same instant in two time zones must not look like a change."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()
    return str(value)


def checksum(record: Record) -> str:
    payload = {"v": record.values, "l": record.links, "s": record.scope}
    text = json.dumps(payload, sort_keys=True, default=canonical, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def deduplicated(records: list[Record]) -> list[Record]:
    """One record per key; when upstream repeats a key in one payload, the last one wins."""
    return list({record.key: record for record in records}.values())


class StreamWriter:
    def __init__(
        self,
        tenant,
        source: str,
        stream: Stream,
        now: datetime,
        object_ids: dict,
        aliases: dict | None = None,
    ):
        self.tenant, self.source, self.stream, self.now = tenant, source, stream, now
        self.model = stream.model
        self.object_ids = object_ids  # kind -> {external id: local id}, shared across streams
        # kind -> {a record's own key: the key it was stored under}, shared across streams
        self.aliases = {} if aliases is None else aliases
        self.content_type = ContentType.objects.get_for_model(self.model)

    def write(self, batch: Batch) -> Counts:
        known = self.known_refs()
        self.object_ids[self.stream.kind] = {key: ref.object_id for key, ref in known.items()}
        if batch.not_fetched:
            return Counts(not_fetched=batch.not_fetched)  # its rows stay as they are
        counts = Counts()
        records = deduplicated(self.keyed_by_parts(self.following_aliases(batch.records)))
        new, changed = [], []
        for record in records:
            digest = checksum(record)
            ref = known.get(record.key)
            if ref is None:
                new.append((record, digest))
            elif ref.checksum != digest or ref.missing:
                changed.append((ref, record, digest))
            else:
                counts.unchanged += 1
        counts.created = self.insert(new)
        counts.updated = self.update(changed)
        counts.missing = self.mark_missing(known, {r.key for r in records}, batch, counts)
        self.refresh_last_seen(known, records)
        return counts

    def known_refs(self) -> dict[str, KnownRef]:
        """What is mirrored of this stream, read in pages along the unique index: a small
        stream is one plain query, a large one never sits whole in the driver's buffers."""
        # Plain SQL: building this query with the ORM for every stream of every run cost more
        # CPU than the rest of a small sync's writing, and parallel syncs share one interpreter.
        known, after = {}, None
        with db.cursor() as cursor:
            while True:
                cursor.execute(*self.known_refs_page(after))
                rows = cursor.fetchall()
                known.update((row[0], known_ref(row)) for row in rows)
                if len(rows) < REFS_PAGE:
                    return known
                after = rows[-1][0]

    def known_refs_page(self, after: str | None) -> tuple[str, list]:
        # The database answers the two questions asked of the timestamps, so a hundred
        # thousand of them are not parsed into datetimes only to be compared.
        table = db.ops.quote_name(ExternalRef._meta.db_table)
        start = db.ops.adapt_datetimefield_value(start_of_day(self.now))
        params = [start, self.tenant.pk, self.source, self.stream.kind]
        if after is not None:
            params.append(after)
        sql = (
            "SELECT external_id, id, object_id, checksum, missing_since IS NOT NULL, scope, "  # noqa: S608
            f"last_seen_at < %s FROM {table} WHERE tenant_id = %s AND source = %s AND kind = %s"
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
            keyed.append(replace(record, key=key, values=values))
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

    def insert(self, new: list[tuple[Record, str]]) -> int:
        for chunk in chunks(new, BATCH_ROWS):
            objects = [
                self.model(
                    tenant=self.tenant, external_id=r.key, active=True, **self.field_values(r)
                )
                for r, _ in chunk
            ]
            self.model.objects.bulk_create(objects)
            refs = [
                self.new_ref(record, digest, obj.pk)
                for (record, digest), obj in zip(chunk, objects, strict=True)
            ]
            ExternalRef.objects.bulk_create(refs)
            self.object_ids[self.stream.kind].update(
                {r.key: o.pk for (r, _), o in zip(chunk, objects, strict=True)}
            )
        return len(new)

    def new_ref(self, record: Record, digest: str, object_id: int) -> ExternalRef:
        return ExternalRef(
            tenant=self.tenant,
            source=self.source,
            kind=self.stream.kind,
            external_id=record.key,
            scope=record.scope,
            content_type=self.content_type,
            object_id=object_id,
            checksum=digest,
            first_seen_at=self.now,
            last_seen_at=self.now,
            last_changed_at=self.now,
        )

    def update(self, changed: list[tuple[KnownRef, Record, str]]) -> int:
        if not changed:
            return 0
        names = list(self.field_values(changed[0][1]))
        fields = [self.model._meta.get_field(name) for name in [*names, "active"]]
        object_rows = []
        for ref, record, _ in changed:
            values = self.field_values(record)
            object_rows.append((ref.object_id, [*(values[n] for n in names), True]))
        update_rows(self.model, fields, object_rows)
        ref_fields = [
            ExternalRef._meta.get_field(name)
            for name in ("checksum", "scope", "last_changed_at", "last_seen_at", "missing_since")
        ]
        ref_rows = [
            (ref.pk, [digest, record.scope, self.now, self.now, None])
            for ref, record, digest in changed
        ]
        update_rows(ExternalRef, ref_fields, ref_rows)
        return len(changed)

    def mark_missing(
        self, known: dict[str, KnownRef], seen: set[str], batch: Batch, counts: Counts
    ) -> int:
        scopes = batch.complete_scopes
        gone = [
            ref
            for key, ref in known.items()
            if key not in seen and not ref.missing and (scopes is None or ref.scope in scopes)
        ]
        gone = self.without_ended(gone)
        if gone and not seen and not self.stream.may_be_empty:
            counts.warnings.append(
                f"{self.stream.label or self.stream.kind}: upstream returned nothing although "
                f"{len(gone)} are mirrored; none was marked missing."
            )
            return 0
        status = self.stream.parts and self.stream.parts.status
        cancelled = {status.field: status.cancelled} if status else {}
        for chunk in chunks(gone, BATCH_ROWS):
            ExternalRef.objects.filter(pk__in=[r.pk for r in chunk]).update(missing_since=self.now)
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

    def refresh_last_seen(self, known: dict[str, KnownRef], records: list[Record]) -> None:
        """Confirm `last_seen_at` of unchanged records at most daily, so that a re-run within
        the day writes nothing at all."""
        stale = [
            known[r.key].pk
            for r in records
            if r.key in known and not known[r.key].missing and known[r.key].seen_before_today
        ]
        for chunk in chunks(stale, BATCH_ROWS):
            ExternalRef.objects.filter(pk__in=chunk).update(last_seen_at=self.now)


def followed(record: Record, aliases: dict[str, dict[str, str]]) -> Record:
    links = {}
    for name, (kind, key) in record.links.items():
        links[name] = (kind, aliases.get(kind, {}).get(key, key))
    return record if links == record.links else replace(record, links=links)


def known_ref(row: tuple) -> KnownRef:
    pk, object_id, digest, missing, scope, seen_before_today = row[1:]
    return KnownRef(pk, object_id, digest, bool(missing), scope, bool(seen_before_today))


def start_of_day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def update_rows(model, fields: list[Field], rows: list[tuple[int, list]]) -> None:
    """One UPDATE per batch, whatever the number of fields or rows in it."""
    if db.vendor == "postgresql":
        update_rows_by_copy(model, fields, rows)
    else:
        update_rows_from_values(model, fields, rows)


def prepared(field: Field, value):
    return value if value is None or type(value) in PLAIN else field.get_db_prep_save(value, db)


# Values the driver takes as they are; dates, times and decimals still go through their field.
PLAIN = {str, int, bool}


def prepared_for_copy(field: Field, value):
    """PostgreSQL takes dates and aware datetimes as they are, as Django's own adapter does."""
    if type(value) is datetime and value.tzinfo is not None or type(value) is date:
        return value
    return prepared(field, value)


def update_rows_by_copy(model, fields: list[Field], rows: list[tuple[int, list]]) -> None:
    """COPY the new values into a temporary table, then one UPDATE ... FROM it: PostgreSQL's
    fastest way in, with no statement whose size grows with the rows."""
    quote = db.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    columns = ", ".join(
        [
            f"pk {model._meta.pk.rel_db_type(db)}",
            *(f"c{i} {f.db_type(db)}" for i, f in enumerate(fields)),
        ]
    )
    sets = ", ".join(f"{quote(f.column)} = v.c{i}" for i, f in enumerate(fields))
    # in a savepoint: if anything fails, the rollback takes the temporary table with it
    with transaction.atomic(), db.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE edurpg_changed_rows ({columns})")
        with cursor.cursor.copy("COPY edurpg_changed_rows FROM STDIN") as copy:
            for pk_value, values in rows:
                copy.write_row([pk_value, *map(prepared_for_copy, fields, values)])
        cursor.execute(
            f"UPDATE {table} AS t SET {sets} FROM edurpg_changed_rows AS v WHERE t.{pk} = v.pk"  # noqa: S608
        )
        cursor.execute("DROP TABLE edurpg_changed_rows")


def update_rows_from_values(model, fields: list[Field], rows: list[tuple[int, list]]) -> None:
    """UPDATE ... FROM (VALUES ...), as many rows per statement as SQLite's parameters allow."""
    quote = db.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    per_batch = max(1, min(BATCH_ROWS, SQLITE_MAX_PARAMS // (len(fields) + 1)))
    for chunk in chunks(rows, per_batch):
        row_sql = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
        values_sql = ", ".join([row_sql] * len(chunk))
        params = []
        for pk_value, values in chunk:
            params.append(pk_value)
            params.extend(prepared(f, v) for f, v in zip(fields, values, strict=True))
        sets = ", ".join(f"{quote(f.column)} = v.column{i + 2}" for i, f in enumerate(fields))
        source = f"(VALUES {values_sql}) AS v"
        sql = f"UPDATE {table} AS t SET {sets} FROM {source} WHERE t.{pk} = v.column1"  # noqa: S608
        with db.cursor() as cursor:
            cursor.execute(sql, params)
