"""Writes one stream's records: insert new, update changed, leave unchanged alone, mark gone.

Change detection compares a checksum of the mapped record with the one on its ExternalRef, so
an unchanged record costs no write at all and a re-run over the same data writes nothing.
Every statement works on a batch, so database work grows with batches, not records.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection as db
from django.db import transaction
from django.db.models import Field

from sync.models import ExternalRef
from sync.sources.streams import Batch, Record, Stream

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
    def __init__(self, tenant, source: str, stream: Stream, now: datetime, object_ids: dict):
        self.tenant, self.source, self.stream, self.now = tenant, source, stream, now
        self.model = stream.model
        self.object_ids = object_ids  # kind -> {external id: local id}, shared across streams
        self.content_type = ContentType.objects.get_for_model(self.model)

    def write(self, batch: Batch) -> Counts:
        known = self.known_refs()
        self.object_ids[self.stream.kind] = {key: ref.object_id for key, ref in known.items()}
        if batch.not_fetched:
            return Counts(not_fetched=batch.not_fetched)  # its rows stay as they are
        counts = Counts()
        records = deduplicated(batch.records)
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
        for chunk in chunks(gone, BATCH_ROWS):
            ExternalRef.objects.filter(pk__in=[r.pk for r in chunk]).update(missing_since=self.now)
            object_ids = [r.object_id for r in chunk]
            self.model.objects.filter(pk__in=object_ids).update(active=False)
            if self.stream.on_missing:
                self.stream.on_missing(object_ids)
        return len(gone)

    def without_ended(self, gone: list[KnownRef]) -> list[KnownRef]:
        """The rows that are really gone: those the stream finds over stay as they are."""
        if not self.stream.find_ended:
            return gone
        ended = set()
        for chunk in chunks(gone, BATCH_ROWS):
            found = self.stream.find_ended([r.object_id for r in chunk])
            if found and self.stream.on_ended:
                self.stream.on_ended(sorted(found))
            ended |= found
        return [r for r in gone if r.object_id not in ended]

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
