"""Peak memory of a sync of a 100,000- and a 200,000-record Bakalari connection, with DEBUG off
and on, first run and re-run. Targets: under 200 MB peak at 200,000 records, and the growth
under 500 bytes per record.

    .venv/bin/python bench/memory.py            # about 100,000 and 200,000 records (~3 min)
    .venv/bin/python bench/memory.py --quick    # 2 and 4 copies of the demo pupils (~20 s)

Each sync runs in a fresh process (against the sandbox in another), which reports its peak
resident set size: the whole process, and the growth over the same process just before the
sync started (Django, the project and its imports loaded). DEBUG reaches the child through the
environment, as settings read it (`DEBUG = flag("DEBUG", ...)`).
"""

import json
import subprocess
import sys

import common

# x 598 pupils with their enrolments and marks: about 100,000 and 200,000 records
FULL = {"copies": (18, 37)}
QUICK = {"copies": (2, 4)}
TARGET_MB = 200
TARGET_BYTES = 500  # growth per record


def child(connection_id: int, debug: bool) -> None:
    common.setup_django(migrate=False, debug=debug)  # the parent migrated: that costs 60 MB
    from django.conf import settings

    from sync.run.engine import sync_connection
    from tenants.models import Connection

    assert settings.DEBUG is debug
    connection = Connection.objects.select_related("tenant").get(pk=connection_id)
    before = common.peak_mb()
    run = sync_connection(connection, trigger="cli")
    totals = run.totals()
    records = totals["created"] + totals["updated"] + totals["unchanged"]
    print(
        json.dumps(
            {
                "status": run.status,
                "error": run.error_message,
                "records": records,
                "before_mb": before,
                "peak_mb": common.peak_mb(),
                "seconds": (run.finished_at - run.started_at).total_seconds(),
            }
        )
    )


def synced_in_a_fresh_process(connection_id: int, debug: bool) -> dict:
    command = [sys.executable, __file__, "--child", str(connection_id), str(debug)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "ok", result["error"]
    return {**result, "load": common.load()}


def main() -> None:
    options = common.arguments(__doc__, FULL, QUICK)
    common.setup_django()
    rows = []
    for copies in options.copies:
        with common.served_school(pupil_copies=copies) as url:
            for debug in (False, True):
                common.empty_database()
                connection = common.connect("memory", url)
                for run in ("first run (all created)", "re-run (all unchanged)"):
                    result = synced_in_a_fresh_process(connection.pk, debug)
                    print(result, flush=True)
                    rows.append(format_row(run, debug, result))
    header = [
        "sync",
        "DEBUG",
        "records",
        "process before",
        "peak",
        "growth",
        f"bytes/record growth (target <= {TARGET_BYTES})",
        f"peak / {TARGET_MB} MB (target < 1 at 200,000)",
        "time",
        common.LOAD_HEADER,
    ]
    common.record(
        "Peak memory",
        ".venv/bin/python bench/memory.py",
        common.table(header, rows) + NOTES,
        options,
    )


NOTES = """

Peak is the whole process's resident set (`ru_maxrss`), Django and the project loaded; growth is
the peak less the process just before the sync. The targets are met when the ratio is below 1
and the bytes per record at most 500. The sandbox runs in another process and is not counted.
With DEBUG on, Django keeps the last 9,000 SQL statements of the connection in memory.
"""


def format_row(label: str, debug: bool, result: dict) -> list[str]:
    grown = result["peak_mb"] - result["before_mb"]
    return [
        label,
        "on" if debug else "off",
        f"{result['records']:,}",
        f"{result['before_mb']:.0f} MB",
        f"{result['peak_mb']:.0f} MB",
        f"{grown:.0f} MB",
        f"**{grown * 2**20 / result['records']:,.0f}**",
        f"**{result['peak_mb'] / TARGET_MB:.2f}**",
        f"{result['seconds']:.1f} s",
        result["load"],
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]), sys.argv[3] == "True")
    else:
        main()
