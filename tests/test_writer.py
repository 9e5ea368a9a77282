"""The stream writer on its own: statements grow with batches, not records."""

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sync.models import ExternalRef
from sync.run import writer
from sync.run.writer import BATCH_ROWS, StreamWriter
from sync.sources.bakalari.models import Pupil, SchoolClass
from sync.sources.streams import Batch, Record, Stream

pytestmark = pytest.mark.django_db

PUPILS = Stream("pupil", Pupil, "pupils")
CLASSES = Stream("class", SchoolClass, "classes")


def pupils(count: int, suffix: str = "") -> list[Record]:
    return [
        Record(
            f"P{n:05}",
            {"name": f"Žák {n}{suffix}", "first_name": "Žák", "last_name": f"{n}{suffix}"},
            links={"school_class": ("class", "1.A")},
        )
        for n in range(count)
    ]


def write(tenant, stream, records, object_ids=None) -> tuple[object, int]:
    object_ids = {} if object_ids is None else object_ids
    writer = StreamWriter(tenant, "bakalari", stream, timezone.now(), object_ids)
    with CaptureQueriesContext(db) as captured:
        counts = writer.write(Batch(records))
    return counts, len(captured.captured_queries)


@pytest.fixture
def school_class(tenant):
    ids = {}
    write(tenant, CLASSES, [Record("1.A", {"abbrev": "1.A", "name": "Prima A"})], ids)
    return ids


def statements(tenant, school_class, count: int) -> dict[str, int]:
    """Statements to insert, then update all of, then re-read `count` pupils."""
    ids = dict(school_class)
    _, inserted = write(tenant, PUPILS, pupils(count), ids)
    _, updated = write(tenant, PUPILS, pupils(count, suffix="!"), ids)
    _, unchanged = write(tenant, PUPILS, pupils(count, suffix="!"), ids)
    return {"insert": inserted, "update": updated, "unchanged": unchanged}


def test_statements_grow_with_batches_not_records(tenant, school_class):
    small = statements(tenant, school_class, 10)
    Pupil.objects.all().delete()
    ExternalRef.objects.filter(kind="pupil").delete()
    records = 3 * BATCH_ROWS
    big = statements(tenant, school_class, records)
    # reading what is known and finding nothing changed: a fixed number, whatever the size
    assert small["unchanged"] == big["unchanged"] <= 3
    # writing: a statement per batch (SQLite's batches are smaller: 999 parameters at most)
    for phase in ("insert", "update"):
        assert big[phase] <= records / 40, (phase, big)
    # SQLite: an UPDATE ... FROM (VALUES) per 1,000 rows; PostgreSQL: one COPY and UPDATE per table
    assert big["update"] <= small["update"] + 2 * 2


def test_links_resolve_to_the_parent_written_before(tenant, school_class):
    write(tenant, PUPILS, pupils(3), dict(school_class))
    pupil = Pupil.objects.get(external_id="P00001")
    assert pupil.school_class.external_id == "1.A"


def test_a_key_repeated_in_one_payload_is_one_row_the_last_wins(tenant, school_class):
    records = pupils(2) + [
        Record("P00000", {"name": "Poslední", "first_name": "", "last_name": ""})
    ]
    counts, _ = write(tenant, PUPILS, records, dict(school_class))
    assert counts.created == 2
    assert Pupil.objects.get(external_id="P00000").name == "Poslední"
    assert ExternalRef.objects.filter(kind="pupil").count() == 2


def test_a_missing_link_target_leaves_the_link_empty(tenant):
    counts, _ = write(tenant, PUPILS, pupils(1))
    assert counts.created == 1
    assert Pupil.objects.get().school_class is None


def test_known_refs_read_in_pages_miss_none(tenant, school_class, monkeypatch):
    monkeypatch.setattr(writer, "REFS_PAGE", 7)  # pages of 7 over 30 refs, ids with spaces
    records = [
        Record(f"P {n:03}", {"name": f"Žák {n}", "first_name": "", "last_name": ""})
        for n in range(30)
    ]
    write(tenant, PUPILS, records, dict(school_class))

    counts, _ = write(tenant, PUPILS, records, dict(school_class))

    assert (counts.created, counts.unchanged) == (0, 30)
    assert Pupil.objects.count() == 30
