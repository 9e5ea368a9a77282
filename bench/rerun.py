"""A re-run over unchanged data: rows written (must be 0) and database queries per 1,000 records.

One Bakalari connection is synced twice against the sandbox (served in its own process), for
the demo school and for a school of just over 100,000 records. Rows written are counted by the
database itself: every row an INSERT or UPDATE touches gets the writing transaction's id as its
`xmin`, so rows of the mirrored tables with an `xmin` newer than the re-run's start are rows the
re-run wrote. The first run is counted the same way, to show that the count sees writes.
Queries are every statement Django sends, BEGIN and COMMIT included.

A third run stands for the next day's first: every ExternalRef's `last_seen_at` is moved back a
day before it, as a day passing would leave it. The writer does not confirm `last_seen_at` of
unchanged records (a record still listed was seen by the latest sync), so this run must write
nothing either; its rows written are reported beside the 0.

    .venv/bin/python bench/rerun.py            # demo school and 100,000 records (~2 min)
    .venv/bin/python bench/rerun.py --quick    # demo school and 2 copies of its pupils (~20 s)
"""

from contextlib import contextmanager

import common

FULL = {"copies": (1, 18)}  # pupil copies: the demo school, and 18 x 598 pupils: ~100,000 records
QUICK = {"copies": (1, 2)}


def main() -> None:
    options = common.arguments(__doc__, FULL, QUICK)
    common.setup_django()
    rows = [measure(copies) for copies in options.copies]
    header = [
        "school",
        "records",
        "rows written, first run",
        "rows written, re-run (must be 0)",
        "mirror writes, re-run (statements)",
        "write phase: queries",
        "write phase: queries / 1,000 records",
        "whole re-run: queries",
        "whole re-run: queries / 1,000 records",
        "rows written, re-run the next day (must be 0); the run after it",
        "next day: mirror writes (statements)",
        common.LOAD_HEADER,
    ]
    body = common.table(header, [format_row(row) for row in rows]) + NOTES
    common.record("Re-run over unchanged data", ".venv/bin/python bench/rerun.py", body, options)


NOTES = """

Rows written are rows of the mirrored tables (the Bakalari models and ExternalRef) whose `xmin`
is newer than the start of the run, as PostgreSQL counts them; the first run's figure shows the
count sees every row a run writes. Mirror writes are INSERT, UPDATE and DELETE statements sent
to those tables. The write phase is `write_streams` (reading each stream's known refs and
comparing checksums); the whole re-run adds the lease (claim, renewals, release), the run record
and the connection's status, a fixed cost per run, one progress write per half second of fetching
in which something moved, and a lease renewal once a third of the lease has passed. Known refs
are read 5,000 per query, so the write phase costs one query per stream and one more per 5,000
records. The next day's first re-run (every ref's `last_seen_at` moved back a day before it)
writes nothing either: `last_seen_at` is written when a record is created, changed or found
gone (then: the time of the sync before, the last that listed it), never to confirm it.
"""


def format_row(row: dict) -> list[str]:
    per_thousand = 1000 / row["records"]
    return [
        row["label"],
        f"{row['records']:,}",
        f"{row['first_written']:,}",
        f"**{row['rerun_written']}**",
        f"{row['mirror_statements']}",
        f"{row['write_queries']}",
        f"**{row['write_queries'] * per_thousand:.2f}**",
        f"{row['run_queries']}",
        f"{row['run_queries'] * per_thousand:.2f}",
        f"{row['next_day_written']:,} of {row['refs']:,} refs; then **{row['later_written']}**",
        f"{row['next_day_statements']}",
        row["load"],
    ]


def measure(copies: int) -> dict:
    from sync.run.engine import sync_connection

    common.empty_database()
    with common.served_school(pupil_copies=copies) as url:
        connection = common.connect("rerun", url)
        mark = transaction_mark()
        first = sync_connection(connection, trigger="cli")
        first_written = rows_written_since(mark)
        connection.refresh_from_db()
        mark = transaction_mark()
        with counted_queries() as counted:
            again = sync_connection(connection, trigger="cli")
        rerun_written = rows_written_since(mark)
        seen_a_day_earlier(connection.tenant_id)
        mark = transaction_mark()
        with counted_queries() as next_day_counted:
            next_day = sync_connection(connection, trigger="cli")
        next_day_written = rows_written_since(mark)
        mark = transaction_mark()
        later = sync_connection(connection, trigger="cli")
        later_written = rows_written_since(mark)
    for run in (first, again, next_day, later):
        assert run.status == "ok", run.error_message
    totals = again.totals()
    assert totals["created"] == totals["updated"] == totals["missing"] == 0, totals
    assert next_day.totals() == totals, next_day.totals()
    row = {
        "label": "demo school" if copies == 1 else f"{totals['unchanged']:,}-record school",
        "records": totals["unchanged"],
        "first_written": first_written,
        "rerun_written": rerun_written,
        "next_day_written": next_day_written,
        "later_written": later_written,
        "next_day_statements": next_day_counted["mirror_statements"],
        "refs": refs_of(connection.tenant_id),
        "load": common.load(),
        **counted,
    }
    print(format_row(row), flush=True)
    return row


def seen_a_day_earlier(tenant_id: int) -> None:
    """What a day passing leaves behind: every record last seen before today."""
    from datetime import timedelta

    from django.db.models import F

    from sync.models import ExternalRef

    refs = ExternalRef.objects.filter(tenant_id=tenant_id)
    refs.update(last_seen_at=F("last_seen_at") - timedelta(days=1))


def refs_of(tenant_id: int) -> int:
    from sync.models import ExternalRef

    return ExternalRef.objects.filter(tenant_id=tenant_id).count()


def mirror_tables() -> list[str]:
    from django.apps import apps

    from sync.models import ExternalRef

    models = [ExternalRef, *apps.get_app_config("bakalari").get_models()]
    return [model._meta.db_table for model in models]


def transaction_mark() -> int:
    """A transaction id: every later write has a newer one (32 bits, as `xmin` holds it)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current() % 4294967296")
        return cursor.fetchone()[0]


def rows_written_since(mark: int) -> int:
    from django.db import connection

    written = 0
    with connection.cursor() as cursor:
        for table in mirror_tables():
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE xmin::text::bigint > %s',  # noqa: S608
                [mark],
            )
            written += cursor.fetchone()[0]
    return written


@contextmanager
def counted_queries():
    """Count the queries of a sync, and separately those of its write phase."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sync.run import engine

    counts = {"write_queries": 0}
    real_write_streams = engine.write_streams

    def write_streams(*args):
        before = len(captured)
        try:
            return real_write_streams(*args)
        finally:
            counts["write_queries"] = len(captured) - before

    engine.write_streams = write_streams
    try:
        with CaptureQueriesContext(connection) as captured:
            yield counts
    finally:
        engine.write_streams = real_write_streams
    counts["run_queries"] = len(captured)
    mirrored = set(mirror_tables())
    counts["mirror_statements"] = sum(
        1 for query in captured.captured_queries if written_table(query["sql"]) in mirrored
    )


def written_table(sql: str) -> str | None:
    """The table an INSERT, UPDATE or DELETE statement writes to; None for anything else."""
    words = sql.replace("\n", " ").split()
    verb = words[0].upper() if words else ""
    if verb == "INSERT":
        return words[2].strip('"')
    if verb == "UPDATE":
        return words[1].strip('"')
    if verb == "DELETE":
        return words[2].strip('"')
    return None


if __name__ == "__main__":
    main()
