"""Housekeeping at scale on PostgreSQL: `prune_history` over 1,000,000 runs and `purge_missing`
over 100,000 pupils missing upstream for two years. Targets: each command's process peaks at
100 MB at most, and no SQL statement it sends takes 1 s or more.

    .venv/bin/python bench/housekeeping.py            # 1,000,000 runs, 100,000 pupils (~15 min)
    .venv/bin/python bench/housekeeping.py --quick    # 20,000 runs, 2,000 pupils (~30 s)

The data is made by SQL inside the database (INSERT ... SELECT over generate_series), not by
the ORM: 300 schools with a Bakaláři connection each; the runs spread evenly over two years
(created_at, started_at and finished_at), statuses mixed (85% ok, 7% partial, 6% failed, 2%
skipped) with the counts of eleven streams each; a closed incident for every twentieth failure,
pointing at its run; and per school pupils gone upstream two years ago (inactive, their
ExternalRef's missing_since two years back), each with an enrolment gone with it, beside as many
pupils still listed with theirs, which the purge must leave alone.

Each command runs in a fresh process through `call_command`, which reports its peak resident
set (`ru_maxrss`) and the process just before the command, its wall time, and the duration of
every SQL statement it sends (Django's `execute_wrapper`, and COMMIT, where the deferred
foreign-key checks run). The baseline, in the same run: the very rows each command deletes,
deleted from a copy of their table (its indexes, no foreign keys) by one plain DELETE, the single
long statement batches avoid.
"""

import io
import json
import subprocess
import sys
import time

import common

FULL = {"runs": 1_000_000, "pupils": 100_000, "connections": 300}
QUICK = {"runs": 20_000, "pupils": 2_000, "connections": 30}
TARGET_MB = 100
TARGET_SECONDS = 1.0
CHUNK = 200_000  # runs per INSERT, so progress shows
COMMAND = ".venv/bin/python bench/housekeeping.py"
STREAMS = (
    "class", "group", "subject", "teacher", "room", "lesson", "pupil", "enrolment", "mark",
    "event", "event_time",
)  # fmt: skip
COUNTS = json.dumps(
    {kind: {"created": 0, "updated": 2, "unchanged": 412, "missing": 0} for kind in STREAMS}
)
COVERAGE = json.dumps({"pupil": {"unit": "class", "covered": 30, "known": 30}})


def main() -> None:
    options = common.arguments(__doc__, FULL, QUICK)
    common.setup_django()
    common.require_postgresql()
    common.empty_database()
    made = make_history(options) | make_mirror(options)
    print(f"made {made}", flush=True)
    analyze()
    rows = [measure_prune(made), measure_purge(made)]
    header = [
        "command",
        "rows deleted",
        "wall time",
        f"peak memory (target <= {TARGET_MB} MB)",
        "statements",
        f"longest statement (target < {TARGET_SECONDS:g} s)",
        "baseline: one DELETE of the same rows",
        common.LOAD_HEADER,
    ]
    body = common.table(header, rows) + notes(options, made)
    common.record("Housekeeping at scale", COMMAND, body, options)


def sql(statement: str, params=None) -> int:
    """Run one statement on the benchmark's database; the rows it touched."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def scalar(statement: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


def make_history(options) -> dict:
    """The schools, their connections, the runs of two years and the incidents of failures."""
    from tenants.models import Connection, Tenant

    tenants = Tenant.objects.bulk_create(
        Tenant(slug=f"school-{n:03}", name=f"School {n:03}") for n in range(options.connections)
    )
    for tenant in tenants:  # one by one: the secrets are encrypted on save
        Connection.objects.create(
            tenant=tenant,
            source="bakalari",
            base_url=f"https://{tenant.slug}.example.cz",
            options={"username": "ucitel"},
            secrets={"password": "Heslo-1234"},
        )
    sql("SELECT setseed(0.42)")
    for first in range(0, options.runs, CHUNK):
        count = min(CHUNK, options.runs - first)
        sql(RUNS, {"first": first, "count": count, "total": options.runs, **JSON})
        print(f"runs: {first + count:,} of {options.runs:,}", flush=True)
    incidents = sql(INCIDENTS)
    return {"runs": options.runs, "incidents": incidents}


JSON = {"counts": COUNTS, "coverage": COVERAGE}
CONNECTIONS = """
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS position,
           count(*) OVER () AS connections
    FROM tenants_connection
"""
# Run i of n is created at i/n of the way through the last two years, on connection i mod k:
# the table in time order, as runs are written, each connection's runs every few hours.
RUNS = f"""
    INSERT INTO sync_syncrun (id, connection_id, trigger, dry_run, status, created_at,
        started_at, finished_at, counts, coverage, progress, requests_made, error_kind,
        error_message, worker)
    SELECT gen_random_uuid(), c.id,
        CASE WHEN g.r < 0.97 THEN 'cron' ELSE 'manual' END, false,
        CASE WHEN g.r < 0.85 THEN 'ok' WHEN g.r < 0.92 THEN 'partial'
             WHEN g.r < 0.98 THEN 'failed' ELSE 'skipped' END,
        g.created, g.created + interval '1 second',
        g.created + interval '20 seconds' + g.r * interval '40 seconds',
        CASE WHEN g.r < 0.92 THEN %(counts)s::jsonb ELSE '{{}}' END,
        CASE WHEN g.r < 0.92 THEN %(coverage)s::jsonb ELSE '{{}}' END, '{{}}',
        CASE WHEN g.r < 0.92 THEN 155 ELSE 3 END,
        CASE WHEN g.r BETWEEN 0.92 AND 0.98 THEN 'transient' ELSE '' END,
        CASE WHEN g.r BETWEEN 0.92 AND 0.98
             THEN 'The school''s server did not answer within 15 seconds.' ELSE '' END,
        'sync-1:4242'
    FROM (
        SELECT i, random() AS r,
               now() - interval '730 days' * (1 - i::float8 / %(total)s) AS created
        FROM generate_series(%(first)s, %(first)s + %(count)s - 1) AS i
    ) AS g
    JOIN ({CONNECTIONS}) AS c ON c.position = g.i %% c.connections
"""  # noqa: S608 - our own constants
INCIDENTS = """
    INSERT INTO sync_incident (connection_id, cause, error_kind, message, opened_at, closed_at,
        opening_run_id, latest_run_id, opening_notice, closing_notice, reminder_notice,
        delivered_to, last_delivery_error)
    SELECT connection_id, 'failing', 'transient', error_message, created_at,
        created_at + interval '6 hours', id, id, 'sent', 'sent', '', '{}', ''
    FROM (
        SELECT id, connection_id, created_at, error_message,
               row_number() OVER (PARTITION BY connection_id ORDER BY created_at) AS n
        FROM sync_syncrun WHERE status = 'failed'
    ) AS failed
    WHERE n % 20 = 1
"""


def make_mirror(options) -> dict:
    """Per school pupils gone two years ago and as many still listed, each with an enrolment,
    and the ExternalRef of every row."""
    from django.contrib.contenttypes.models import ContentType

    from sync.sources.bakalari.models import Enrolment, Pupil

    types = ContentType.objects.get_for_models(Pupil, Enrolment)
    pupils = {"gone": options.pupils, "total": 2 * options.pupils}
    sql(PUPILS, {**pupils, "kind": "pupil", "content_type": types[Pupil].pk})
    sql(ENROLMENTS, {"kind": "enrolment", "content_type": types[Enrolment].pk})
    return {"pupils": 2 * options.pupils, "gone": options.pupils}


REF_COLUMNS = """tenant_id, source, kind, external_id, scope, content_type_id, object_id,
    checksum, first_seen_at, last_seen_at, last_changed_at, missing_since"""
# gone upstream two years ago: last seen by the sync before, inactive, missing since then
REF_VALUES = """
    tenant_id, 'bakalari', %(kind)s, external_id, '', %(content_type)s, id,
    md5(external_id) || md5(external_id), now() - interval '1000 days',
    CASE WHEN active THEN now() ELSE now() - interval '730 days 15 minutes' END,
    now() - interval '1000 days',
    CASE WHEN active THEN NULL ELSE now() - interval '730 days' END
"""
PUPILS = f"""
    WITH tenants AS (
        SELECT id, row_number() OVER (ORDER BY id) - 1 AS position, count(*) OVER () AS schools
        FROM tenants_tenant
    ), pupils AS (
        INSERT INTO bakalari_pupil (tenant_id, external_id, active, name, first_name, last_name)
        SELECT t.id, 'U' || lpad(g.i::text, 7, '0'), g.i >= %(gone)s,
               'Novák Jan ' || g.i, 'Jan', 'Novák ' || g.i
        FROM generate_series(0, %(total)s - 1) AS g(i)
        JOIN tenants AS t ON t.position = g.i %% t.schools
        RETURNING id, tenant_id, external_id, active
    )
    INSERT INTO sync_externalref ({REF_COLUMNS})
    SELECT {REF_VALUES} FROM pupils
"""  # noqa: S608 - our own constants
ENROLMENTS = f"""
    WITH enrolments AS (
        INSERT INTO bakalari_enrolment (tenant_id, external_id, active, atom_id, name, pupil_id)
        SELECT tenant_id, external_id || ' M1', active, 'M1', 'Matematika', id
        FROM bakalari_pupil
        RETURNING id, tenant_id, external_id, active
    )
    INSERT INTO sync_externalref ({REF_COLUMNS})
    SELECT {REF_VALUES} FROM enrolments
"""  # noqa: S608 - our own constants


def analyze() -> None:
    """What autovacuum would have done by the time a daily job runs: statistics, hint bits."""
    for table in ("sync_syncrun", "sync_incident", "sync_externalref"):
        sql(f"VACUUM ANALYZE {table}")
    sql("VACUUM ANALYZE bakalari_pupil")
    sql("VACUUM ANALYZE bakalari_enrolment")


def measure_prune(made: dict) -> list[str]:
    from sync.housekeeping.history import kept_runs

    keep = [str(run_id) for run_id in kept_runs()]
    copy_of("sync_syncrun")
    result = in_a_fresh_process("prune_history")
    pruned = result["result"]
    condition = "created_at < %s AND NOT id = ANY(%s::uuid[])"  # prune's cutoff, its kept runs
    baseline = delete_from_copy("sync_syncrun", condition, [pruned["cutoff"], keep])
    assert pruned["runs"] == baseline["rows"], (pruned, baseline)  # the same rows
    left = scalar("SELECT count(*) FROM sync_syncrun")
    assert left == made["runs"] - pruned["runs"], left
    deleted = f"{pruned['runs']:,} runs, {pruned['incidents']:,} incidents"
    return format_row("`prune_history`", deleted, result, baseline)


def measure_purge(made: dict) -> list[str]:
    from django.conf import settings

    before = mirror_counts()
    copy_of("sync_externalref")
    result = in_a_fresh_process("purge_missing")
    after = mirror_counts()
    days = settings.SYNC_PURGE_MISSING_DAYS
    condition = f"source = 'bakalari' AND missing_since < now() - interval '{days} days'"
    baseline = delete_from_copy("sync_externalref", condition)
    purged = {table: before[table] - after[table] for table in before}
    assert purged["sync_externalref"] == baseline["rows"] == 2 * made["gone"], purged
    assert after["bakalari_pupil"] == made["pupils"] - made["gone"], after  # the listed stay
    deleted = (
        f"{purged['bakalari_pupil']:,} pupils, {purged['bakalari_enrolment']:,} enrolments, "
        f"{purged['sync_externalref']:,} refs"
    )
    return format_row("`purge_missing`", deleted, result, baseline)


def mirror_counts() -> dict[str, int]:
    tables = ("bakalari_pupil", "bakalari_enrolment", "sync_externalref")
    return {table: scalar(f"SELECT count(*) FROM {table}") for table in tables}  # noqa: S608


def copy_of(table: str) -> None:
    """A copy of `table` as it is before a command deletes from it: its indexes, no foreign
    keys."""
    copy = f"bench_copy_of_{table}"
    sql(f"DROP TABLE IF EXISTS {copy}")
    sql(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")
    sql(f"INSERT INTO {copy} SELECT * FROM {table}")  # noqa: S608
    sql(f"VACUUM ANALYZE {copy}")


def delete_from_copy(table: str, condition: str, params=None) -> dict:
    """The rows `condition` selects, deleted from the copy of `table` in one statement."""
    copy = f"bench_copy_of_{table}"
    with common.Stopwatch() as clock:
        rows = sql(f"DELETE FROM {copy} WHERE {condition}", params)  # noqa: S608
    sql(f"DROP TABLE {copy}")
    print(f"baseline: one DELETE of {rows:,} rows from {table}: {clock.seconds:.1f} s", flush=True)
    return {"rows": rows, "seconds": clock.seconds}


def in_a_fresh_process(command: str) -> dict:
    child = [sys.executable, __file__, "--child", command]
    out = subprocess.run(child, capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    print(f"{command}: {json.dumps(result)[:600]}", flush=True)
    return {**result, "load": common.load()}


class Statements:
    """Every SQL statement's duration, as a wrapper of Django's execute: the count, and the
    longest with its text (only that one is kept: the batches' texts would weigh on memory)."""

    def __init__(self) -> None:
        self.count, self.longest, self.longest_sql = 0, 0.0, ""

    def __call__(self, execute, sql, params, many, context):
        return self.timed(sql, lambda: execute(sql, params, many, context))

    def timed(self, sql: str, call):
        started = time.perf_counter()
        try:
            return call()
        finally:
            seconds = time.perf_counter() - started
            self.count += 1
            if seconds > self.longest:
                self.longest, self.longest_sql = seconds, sql


def child(command: str) -> None:
    common.setup_django(migrate=False)
    from django.core.management import call_command
    from django.db import connection

    statements = Statements()
    commit = connection._commit  # Django commits outside execute_wrapper; the checks run here
    connection._commit = lambda: statements.timed("COMMIT", commit)
    before, out = common.peak_mb(), io.StringIO()
    with connection.execute_wrapper(statements), common.Stopwatch() as clock:
        call_command(command, "--json", stdout=out)
    result = {
        "result": json.loads(out.getvalue()),
        "seconds": clock.seconds,
        "before_mb": before,
        "peak_mb": common.peak_mb(),
        "statements": statements.count,
        "longest": statements.longest,
        "longest_sql": " ".join(statements.longest_sql.split())[:160],
    }
    print(json.dumps(result))


def format_row(command: str, deleted: str, result: dict, baseline: dict) -> list[str]:
    return [
        command,
        deleted,
        f"{result['seconds']:.1f} s",
        f"**{result['peak_mb']:.0f} MB** ({result['before_mb']:.0f} MB before)"
        + over(result["peak_mb"] > TARGET_MB),
        f"{result['statements']:,}",
        f"**{result['longest']:.3f} s**: `{shortened(result['longest_sql'])}`"
        + over(result["longest"] >= TARGET_SECONDS),
        f"{baseline['seconds']:.1f} s ({baseline['rows']:,} rows)",
        result["load"],
    ]


def over(missed: bool) -> str:
    return ", over the target" if missed else ""


def shortened(statement: str) -> str:
    return statement if len(statement) <= 70 else statement[:67] + "..."


def notes(options, made: dict) -> str:
    return f"""

{made["runs"]:,} runs of {options.connections} Bakaláři connections spread evenly over two
years, {made["incidents"]:,} closed incidents (one per twentieth failure); {made["pupils"]:,}
pupils with an enrolment each, {made["gone"]:,} of them missing upstream for two years, the
others still listed. `prune_history` deletes what is older than SYNC_HISTORY_DAYS (90) but
each connection's latest, latest successful and latest failed run; `purge_missing` what has
been missing longer than SYNC_PURGE_MISSING_DAYS (365), with its references; the rows still
listed are left, as the benchmark checks. Each command runs in a fresh process: peak is its
whole resident set (`ru_maxrss`), Django and the project loaded, the figure in brackets the
process just before the command. Statements are every one Django sends, and COMMIT (where the
deferred foreign-key checks run); the longest is shown with the start of its text. The
baseline deletes the same rows from a copy of the table, with its indexes but without its
foreign keys, by one DELETE: a statement of that length holds its row locks and keeps vacuum
from the table until it ends, which is what the batches' short transactions avoid.
"""


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        main()
