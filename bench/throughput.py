"""Engine write throughput on PostgreSQL: a table of 100,000 pupils, all new, all changed, and
10% changed, against three ways to write the same in the same run.

    .venv/bin/python bench/throughput.py            # full: 100,000 records, best of 3 (~6 min)
    .venv/bin/python bench/throughput.py --quick    # 5,000 records, best of 2 (~15 s), printed only

Each side writes the same, the pupil row and its ExternalRef (checksum, last changed, last seen),
in one transaction:

- engine: the real StreamWriter (read the known refs, checksum every record, insert the new,
  update the changed, leave the unchanged alone), as a sync runs it after fetching;
- Django bulk: what a good Django developer writes, `bulk_create(update_conflicts=True)` per
  1,000 pupils and then the same for their refs (the pupils' ids from the returned objects); it
  has no change detection, so it writes every record of the case;
- raw: the fastest PostgreSQL path, the best of COPY into a temporary table + INSERT ... ON
  CONFLICT DO UPDATE and COPY + UPDATE ... FROM (all new: COPY + INSERT), each writing only the
  rows whose values differ, the checksums computed as the engine does;
- naive loop: `update_or_create` of the pupil and of its ref, record by record, timed over the
  first 2,000 records (its cost per record is flat; all of them would add minutes).

Targets: engine >= 3x Django bulk and >= 0.8x the raw path in every case.
"""

from itertools import cycle, islice

import common

FULL = {"records": 100_000, "repeats": 3, "naive": 2_000}
QUICK = {"records": 5_000, "repeats": 2, "naive": 300}
CASES = ("all new", "all changed", "10% changed")
BATCH = 1000  # Django bulk's batch_size, as the engine's


def main() -> None:
    options = common.arguments(__doc__, FULL, QUICK)
    common.setup_django()
    common.require_postgresql()
    common.empty_database()
    tenant, class_ids = school()
    rows = [format_row(measure(case, tenant, class_ids, options)) for case in CASES]
    header = [
        "case",
        "engine",
        "Django bulk",
        "raw (best path)",
        "naive loop",
        "engine / Django bulk (target >= 3)",
        "engine / raw (target >= 0.8)",
        "engine / naive",
        common.LOAD_HEADER,
    ]
    body = common.table(header, rows) + notes(options)
    common.record("Engine throughput", ".venv/bin/python bench/throughput.py", body, options)


def notes(options) -> str:
    return f"""

Records per second over the {options.records:,} records each side is handed (the changed and
the unchanged alike), best of {options.repeats} attempts taken in turn, each side starting from
the same state (all new: an emptied mirror; the tables vacuumed before every attempt); the
naive loop's over its first {options.naive:,}. What each side writes is the same: the pupil row
and its ExternalRef (checksum, last changed, last seen). The engine's figure is its write phase
only, as a sync runs it after fetching, including reading the known refs and checksumming every
record. Django bulk rewrites every row of the case, changed or not; the engine and the raw path
write only the changed ones, so with 10% changed they do a tenth of its writes. The raw column
names the path that was fastest. Load is the machine's, when the case finished.
"""


def format_row(row: dict) -> list[str]:
    engine = row["engine"]
    return [
        row["case"],
        f"{engine:,.0f}/s",
        f"{row['django']:,.0f}/s",
        f"{row['raw']:,.0f}/s ({row['raw_path']})",
        f"{row['naive']:,.0f}/s",
        f"**{engine / row['django']:.2f}x**",
        f"**{engine / row['raw']:.2f}x**",
        f"{engine / row['naive']:.0f}x",
        row["load"],
    ]


def sides(case: str) -> dict:
    raw = {"raw: COPY + INSERT": raw_insert}
    if case != "all new":
        raw = {"raw: COPY + INSERT ON CONFLICT": raw_upsert, "raw: COPY + UPDATE FROM": raw_update}
    return {"engine": engine_write, "django": django_bulk, **raw}


def measure(case: str, tenant, class_ids: dict, options) -> dict:
    """Each side's best of `repeats`, the sides taken in turn in a rotating order."""
    size, best = options.records, {}
    if case != "all new":
        engine_write(tenant, class_ids, pupils(size, lambda n: "base"))  # what the sides change
    for attempt in range(options.repeats):
        named = list(enumerate(sides(case).items()))
        for number, (side, write) in islice(cycle(named), attempt, attempt + len(named)):
            records = pupils(size, versions(case, f"v{attempt}.{number}"))
            seconds = timed(case, tenant, class_ids, write, records)
            best[side] = max(best.get(side, 0.0), size / seconds)
            print(f"{case}: {side} {size / seconds:,.0f}/s ({common.load()})", flush=True)
    records = pupils(options.naive, versions(case, "naive"))
    naive = len(records) / timed(case, tenant, class_ids, naive_loop, records)
    raw_path = max((side for side in best if side.startswith("raw")), key=best.get)
    return {
        "case": case,
        "engine": best["engine"],
        "django": best["django"],
        "raw": best[raw_path],
        "raw_path": raw_path.removeprefix("raw: "),
        "naive": naive,
        "load": common.load(),
    }


def versions(case: str, version: str):
    """What each record's values are called in this attempt: `base` is the stored state."""
    if case == "10% changed":
        return lambda n: version if n % 10 == 0 else "base"
    return lambda n: version


def timed(case: str, tenant, class_ids: dict, write, records) -> float:
    """One side's write in one transaction, from the case's state; checked afterwards."""
    from django.db import transaction
    from django.utils import timezone

    if case == "all new":
        clear(tenant)
    vacuum()
    started = timezone.now()
    with common.Stopwatch() as clock, transaction.atomic():
        write(tenant, class_ids, records)
    check(tenant, records, started, rewrites_all=write in (django_bulk, naive_loop))
    return clock.seconds


def clear(tenant) -> None:
    from django.db import connection

    from sync.models import ExternalRef
    from sync.sources.bakalari.models import Pupil

    with connection.cursor() as cursor:
        for model in (ExternalRef, Pupil):
            table = model._meta.db_table
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])  # noqa: S608


def vacuum() -> None:
    """Every side meets tables without the dead rows of the side before it."""
    from django.db import connection

    from sync.models import ExternalRef
    from sync.sources.bakalari.models import Pupil

    with connection.cursor() as cursor:
        for model in (ExternalRef, Pupil):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def school():
    from tenants.models import Tenant

    tenant = Tenant.objects.create(slug="throughput", name="Throughput")
    class_ids: dict = {}
    engine_write(tenant, class_ids, [class_record()], stream=CLASSES())
    return tenant, class_ids


def CLASSES():  # noqa: N802 - a constant, built once Django is set up
    from sync.sources.bakalari.models import SchoolClass
    from sync.sources.streams import Stream

    return Stream("class", SchoolClass, "classes")


def PUPILS():  # noqa: N802
    from sync.sources.bakalari.models import Pupil
    from sync.sources.streams import Stream

    return Stream("pupil", Pupil, "pupils")


def class_record():
    from sync.sources.streams import Record

    return Record("1.A", {"abbrev": "1.A", "name": "Prima A"})


def pupils(count: int, version_of) -> list:
    from sync.sources.streams import Record

    return [
        Record(
            f"P{n:06}",
            {
                "name": f"Žák {n} {version_of(n)}",
                "first_name": "Žák",
                "last_name": f"{n} {version_of(n)}",
            },
            links={"school_class": ("class", "1.A")},
        )
        for n in range(count)
    ]


def stored_checksum(record) -> str:
    """The record's checksum as the engine computes it, in the text an ExternalRef stores."""
    from sync.run.writer import checksum

    digest = checksum(record)
    return digest.hex() if isinstance(digest, bytes) else digest


def engine_write(tenant, class_ids: dict, records, stream=None) -> None:
    from django.utils import timezone

    from sync.run.writer import StreamWriter
    from sync.sources.streams import Batch

    stream = stream or PUPILS()
    StreamWriter(tenant, "bakalari", stream, timezone.now(), class_ids).write(Batch(records))


def django_bulk(tenant, class_ids: dict, records) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from sync.models import ExternalRef
    from sync.sources.bakalari.models import Pupil

    now, content_type = timezone.now(), ContentType.objects.get_for_model(Pupil)
    class_id = class_ids["class"]["1.A"]
    for start in range(0, len(records), BATCH):
        chunk = records[start : start + BATCH]
        rows = Pupil.objects.bulk_create(
            [
                Pupil(
                    tenant=tenant,
                    external_id=r.key,
                    active=True,
                    school_class_id=class_id,
                    **r.values,
                )
                for r in chunk
            ],
            update_conflicts=True,
            unique_fields=["tenant", "external_id"],
            update_fields=["active", "school_class", "name", "first_name", "last_name"],
            batch_size=BATCH,
        )
        ExternalRef.objects.bulk_create(
            [
                ExternalRef(
                    tenant=tenant,
                    source="bakalari",
                    kind="pupil",
                    external_id=r.key,
                    content_type=content_type,
                    object_id=row.pk,
                    checksum=stored_checksum(r),
                    first_seen_at=now,
                    last_seen_at=now,
                    last_changed_at=now,
                )
                for r, row in zip(chunk, rows, strict=True)
            ],
            update_conflicts=True,
            unique_fields=["tenant", "source", "kind", "external_id"],
            update_fields=["object_id", "checksum", "last_seen_at", "last_changed_at"],
            batch_size=BATCH,
        )


def naive_loop(tenant, class_ids: dict, records) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from sync.models import ExternalRef
    from sync.sources.bakalari.models import Pupil

    now, content_type = timezone.now(), ContentType.objects.get_for_model(Pupil)
    class_id = class_ids["class"]["1.A"]
    for record in records:
        pupil, _ = Pupil.objects.update_or_create(
            tenant=tenant,
            external_id=record.key,
            defaults={**record.values, "school_class_id": class_id, "active": True},
        )
        ExternalRef.objects.update_or_create(
            tenant=tenant,
            source="bakalari",
            kind="pupil",
            external_id=record.key,
            defaults={
                "checksum": stored_checksum(record),
                "last_seen_at": now,
                "last_changed_at": now,
                "missing_since": None,
                "object_id": pupil.pk,
            },
            create_defaults={
                "content_type": content_type,
                "object_id": pupil.pk,
                "checksum": stored_checksum(record),
                "first_seen_at": now,
                "last_seen_at": now,
                "last_changed_at": now,
            },
        )


def copied(cursor, class_id: int, records) -> None:
    """The records, their checksums computed as the engine does, in a temporary table."""

    cursor.execute(
        "CREATE TEMPORARY TABLE incoming (external_id text, name text, first_name text, "
        "last_name text, school_class_id bigint, checksum text) ON COMMIT DROP"
    )
    columns = "external_id, name, first_name, last_name, school_class_id, checksum"
    with cursor.cursor.copy(f"COPY incoming ({columns}) FROM STDIN") as copy:
        for record in records:
            values = record.values
            row = (values["name"], values["first_name"], values["last_name"])
            copy.write_row((record.key, *row, class_id, stored_checksum(record)))


def raw_sql(name: str) -> str:
    from sync.models import ExternalRef
    from sync.sources.bakalari.models import Pupil

    return SQL[name].format(pupils=Pupil._meta.db_table, refs=ExternalRef._meta.db_table)


def raw_write(tenant, class_ids: dict, records, statements: tuple[str, str]) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from sync.sources.bakalari.models import Pupil

    now, content_type = timezone.now(), ContentType.objects.get_for_model(Pupil)
    with connection.cursor() as cursor:
        copied(cursor, class_ids["class"]["1.A"], records)
        cursor.execute(raw_sql(statements[0]), {"tenant": tenant.pk})
        parameters = {"tenant": tenant.pk, "type": content_type.pk, "now": now}
        cursor.execute(raw_sql(statements[1]), parameters)


def raw_insert(tenant, class_ids: dict, records) -> None:
    raw_write(tenant, class_ids, records, ("insert pupils", "insert refs"))


def raw_upsert(tenant, class_ids: dict, records) -> None:
    raw_write(tenant, class_ids, records, ("upsert pupils", "upsert refs"))


def raw_update(tenant, class_ids: dict, records) -> None:
    raw_write(tenant, class_ids, records, ("update pupils", "update refs"))


INSERT_PUPILS = """INSERT INTO {pupils} AS p
      (tenant_id, external_id, active, name, first_name, last_name, school_class_id)
    SELECT %(tenant)s, external_id, true, name, first_name, last_name, school_class_id
    FROM incoming"""
INSERT_REFS = """INSERT INTO {refs} AS r
      (tenant_id, source, kind, external_id, scope, content_type_id, object_id,
       checksum, first_seen_at, last_seen_at, last_changed_at)
    SELECT %(tenant)s, 'bakalari', 'pupil', i.external_id, '', %(type)s, p.id, i.checksum,
           %(now)s, %(now)s, %(now)s
    FROM incoming i JOIN {pupils} p ON p.tenant_id = %(tenant)s AND p.external_id = i.external_id"""
SQL = {
    "insert pupils": INSERT_PUPILS,
    "insert refs": INSERT_REFS,
    "upsert pupils": INSERT_PUPILS
    + """
    ON CONFLICT (tenant_id, external_id) DO UPDATE SET
      active = true, name = excluded.name, first_name = excluded.first_name,
      last_name = excluded.last_name, school_class_id = excluded.school_class_id
    WHERE (p.active, p.name, p.first_name, p.last_name, p.school_class_id)
      IS DISTINCT FROM (true, excluded.name, excluded.first_name, excluded.last_name,
                        excluded.school_class_id)""",
    "upsert refs": INSERT_REFS
    + """
    ON CONFLICT (tenant_id, source, kind, external_id) DO UPDATE SET
      checksum = excluded.checksum, last_seen_at = excluded.last_seen_at,
      last_changed_at = excluded.last_changed_at, missing_since = NULL
    WHERE r.checksum IS DISTINCT FROM excluded.checksum""",
    "update pupils": """UPDATE {pupils} AS p SET
      active = true, name = i.name, first_name = i.first_name, last_name = i.last_name,
      school_class_id = i.school_class_id
    FROM incoming i
    WHERE p.tenant_id = %(tenant)s AND p.external_id = i.external_id
      AND (p.active, p.name, p.first_name, p.last_name, p.school_class_id)
        IS DISTINCT FROM (true, i.name, i.first_name, i.last_name, i.school_class_id)""",
    "update refs": """UPDATE {refs} AS r SET
      checksum = i.checksum, last_seen_at = %(now)s, last_changed_at = %(now)s,
      missing_since = NULL
    FROM incoming i
    WHERE r.tenant_id = %(tenant)s AND r.source = 'bakalari' AND r.kind = 'pupil'
      AND r.external_id = i.external_id AND r.checksum IS DISTINCT FROM i.checksum""",
}


def check(tenant, records, started, rewrites_all: bool) -> None:
    """The side really wrote: each record's values and ref stored, the changed refs marked."""
    from sync.models import ExternalRef
    from sync.sources.bakalari.models import Pupil

    names = {r.values["name"] for r in records}
    stored = Pupil.objects.filter(tenant=tenant, external_id__lt=f"P{len(records):06}")
    assert sum(1 for name in stored.values_list("name", flat=True) if name in names) == len(
        records
    ), "a side did not store every record's values"
    refs = ExternalRef.objects.filter(tenant=tenant, kind="pupil")
    assert refs.count() >= len(records)
    marked = refs.filter(last_changed_at__gte=started).count()
    changed = sum(1 for r in records if not r.values["name"].endswith(" base"))
    assert marked == (len(records) if rewrites_all else changed), (marked, changed)


if __name__ == "__main__":
    main()
