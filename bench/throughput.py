"""Engine write throughput on PostgreSQL for 10,000 and 100,000 changed records.

Three ways to apply the same change (every pupil renamed) to the same tables, pupils and their
ExternalRefs, each in one transaction:

- engine: the real StreamWriter (read the known refs, checksum every record, update the
  changed rows and refs in batches), as a sync does after fetching;
- naive: `update_or_create` of the pupil and of its ref, record by record;
- raw limit: COPY into a temporary table, then INSERT ... ON CONFLICT DO UPDATE ... WHERE
  (...) IS DISTINCT FROM (...) for pupils and for refs, the checksums computed as the engine
  does. The fastest PostgreSQL offers for an upsert.

Targets: engine at least 20x the naive loop and at least half the raw limit.
"""

import sys

import common

SIZES = (10_000, 100_000)
REPEATS = 3  # each side's best of three: the machine is shared and its noise only slows
NAIVE_SAMPLE = 5_000  # the naive loop's cost per record is flat; timing it on 100,000 adds minutes


def main() -> None:
    common.setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("this benchmark needs PostgreSQL (BENCH_DATABASE_URL=postgres://...)")
    rows = []
    for size in SIZES:
        rows.append(measure(size))
    header = [
        "changed records",
        "engine",
        "naive loop",
        "raw limit",
        "engine / naive (target >= 20)",
        "engine / raw (target >= 0.5)",
    ]
    body = common.table(header, [format_row(row) for row in rows]) + NOTES
    print(body)
    common.record("Engine throughput", ".venv/bin/python bench/throughput.py", body)


NOTES = """

Records per second, each side applying one change to every record of the table (the engine's
and the raw limit's figures over all of them, best of three alternating attempts; the naive
loop's over its first 5,000, its cost per record being flat). What each side writes is the
same: the pupil row and its ExternalRef (checksum, last changed, last seen). The engine's
figure is its write phase only, as a sync runs it after fetching; it includes reading the
known refs and checksumming every record.
"""


def format_row(row: dict) -> list[str]:
    return [
        f"{row['size']:,}",
        f"{row['engine']:,.0f}/s",
        f"{row['naive']:,.0f}/s",
        f"{row['raw']:,.0f}/s",
        f"**{row['engine'] / row['naive']:.1f}x**",
        f"**{row['engine'] / row['raw']:.2f}x**",
    ]


def measure(size: int) -> dict:
    from django.db import transaction

    from sync.models import ExternalRef
    from sync.sources.bakalari.models import Pupil

    common.empty_database()
    tenant, class_ids = school(size)
    engine_write(tenant, class_ids, pupils(size, "created"))  # the rows every side then changes
    result = {"size": size, "engine": 0.0, "raw": 0.0}
    for attempt in range(REPEATS):  # alternating, so both sides meet the same background noise
        with common.Stopwatch() as clock, transaction.atomic():
            engine_write(tenant, class_ids, pupils(size, f"engine{attempt}"))
        result["engine"] = max(result["engine"], size / clock.seconds)
        with common.Stopwatch() as clock, transaction.atomic():
            raw_upsert(tenant, class_ids, pupils(size, f"raw{attempt}"))
        result["raw"] = max(result["raw"], size / clock.seconds)
    sample = pupils(min(size, NAIVE_SAMPLE), "naive")
    with common.Stopwatch() as clock, transaction.atomic():
        naive_loop(tenant, class_ids, sample)
    result["naive"] = len(sample) / clock.seconds
    check(tenant, size, Pupil, ExternalRef)
    print(format_row(result), flush=True)
    return result


def school(size: int):
    from tenants.models import Tenant

    tenant = Tenant.objects.create(slug=f"throughput-{size}", name="Throughput")
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


def pupils(count: int, version: str):
    from sync.sources.streams import Record

    return [
        Record(
            f"P{n:06}",
            {"name": f"Žák {n} {version}", "first_name": "Žák", "last_name": f"{n} {version}"},
            links={"school_class": ("class", "1.A")},
        )
        for n in range(count)
    ]


def engine_write(tenant, class_ids: dict, records, stream=None) -> None:
    from django.utils import timezone

    from sync.run.writer import StreamWriter
    from sync.sources.streams import Batch

    stream = stream or PUPILS()
    StreamWriter(tenant, "bakalari", stream, timezone.now(), class_ids).write(Batch(records))


def naive_loop(tenant, class_ids: dict, records) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from sync.models import ExternalRef
    from sync.run.writer import checksum
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
                "checksum": checksum(record),
                "last_seen_at": now,
                "last_changed_at": now,
                "missing_since": None,
                "object_id": pupil.pk,
            },
            create_defaults={
                "content_type": content_type,
                "object_id": pupil.pk,
                "checksum": checksum(record),
                "first_seen_at": now,
                "last_seen_at": now,
                "last_changed_at": now,
            },
        )


def raw_upsert(tenant, class_ids: dict, records) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from sync.models import ExternalRef
    from sync.run.writer import checksum
    from sync.sources.bakalari.models import Pupil

    now, content_type = timezone.now(), ContentType.objects.get_for_model(Pupil)
    class_id = class_ids["class"]["1.A"]
    pupils_table, refs_table = Pupil._meta.db_table, ExternalRef._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE incoming (external_id text, name text, first_name text, "
            "last_name text, school_class_id bigint, checksum text) ON COMMIT DROP"
        )
        columns = "external_id, name, first_name, last_name, school_class_id, checksum"
        with cursor.cursor.copy(f"COPY incoming ({columns}) FROM STDIN") as copy:
            for record in records:
                values = record.values
                copy.write_row(
                    (
                        record.key,
                        values["name"],
                        values["first_name"],
                        values["last_name"],
                        class_id,
                        checksum(record),
                    )
                )
        cursor.execute(
            f"""INSERT INTO {pupils_table} AS p
                  (tenant_id, external_id, active, name, first_name, last_name, school_class_id)
                SELECT %s, external_id, true, name, first_name, last_name, school_class_id
                FROM incoming
                ON CONFLICT (tenant_id, external_id) DO UPDATE SET
                  active = true, name = excluded.name, first_name = excluded.first_name,
                  last_name = excluded.last_name, school_class_id = excluded.school_class_id
                WHERE (p.active, p.name, p.first_name, p.last_name, p.school_class_id)
                  IS DISTINCT FROM (true, excluded.name, excluded.first_name,
                                    excluded.last_name, excluded.school_class_id)""",  # noqa: S608
            [tenant.pk],
        )
        cursor.execute(
            f"""INSERT INTO {refs_table} AS r
                  (tenant_id, source, kind, external_id, scope, content_type_id, object_id,
                   checksum, first_seen_at, last_seen_at, last_changed_at)
                SELECT %s, 'bakalari', 'pupil', i.external_id, '', %s, p.id, i.checksum,
                       %s, %s, %s
                FROM incoming i JOIN {pupils_table} p
                  ON p.tenant_id = %s AND p.external_id = i.external_id
                ON CONFLICT (tenant_id, source, kind, external_id) DO UPDATE SET
                  checksum = excluded.checksum, last_seen_at = excluded.last_seen_at,
                  last_changed_at = excluded.last_changed_at, missing_since = NULL
                WHERE r.checksum IS DISTINCT FROM excluded.checksum""",  # noqa: S608
            [tenant.pk, content_type.pk, now, now, now, tenant.pk],
        )


def check(tenant, size: int, pupil_model, ref_model) -> None:
    """Every side really wrote: the last change applied, nothing duplicated."""
    pupils = pupil_model.objects.filter(tenant=tenant)
    assert pupils.count() == size
    assert pupils.filter(name__endswith=" naive").count() == min(size, NAIVE_SAMPLE)
    last_raw = f" raw{REPEATS - 1}"
    assert pupils.filter(name__endswith=last_raw).count() == size - min(size, NAIVE_SAMPLE)
    assert ref_model.objects.filter(tenant=tenant, kind="pupil").count() == size


if __name__ == "__main__":
    main()
