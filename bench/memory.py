"""Peak memory of one sync of a 100,000-record Bakalari connection. Target: under 200 MB.

The sync runs in a fresh process (against the sandbox in another), which reports its peak
resident set size: the whole process, and the growth over the same process just before the
sync started (Django, the project and its imports loaded).
"""

import json
import resource
import subprocess
import sys

import common

COPIES = 42  # 42 x 598 pupils with their enrolments: just over 100,000 records
TARGET_MB = 200


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def child(connection_id: int) -> None:
    common.setup_django(migrate=False)  # the parent migrated; loading migrations costs 60 MB
    from sync.run.engine import sync_connection
    from tenants.models import Connection

    connection = Connection.objects.select_related("tenant").get(pk=connection_id)
    before = peak_mb()
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
                "peak_mb": peak_mb(),
                "seconds": (run.finished_at - run.started_at).total_seconds(),
            }
        )
    )


def synced_in_a_fresh_process(connection_id: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(connection_id)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "ok", result["error"]
    return result


def main() -> None:
    common.setup_django()
    common.empty_database()
    with common.served_school(pupil_copies=COPIES) as url:
        connection = common.connect("memory", url)
        first = synced_in_a_fresh_process(connection.pk)  # creates every record
        again = synced_in_a_fresh_process(connection.pk)  # compares every record, writes none
    rows = []
    for label, result in (("first run (all created)", first), ("re-run (all unchanged)", again)):
        grown = result["peak_mb"] - result["before_mb"]
        rows.append(
            [
                label,
                f"{result['records']:,}",
                f"{result['before_mb']:.0f} MB",
                f"{result['peak_mb']:.0f} MB",
                f"{grown:.0f} MB",
                f"{grown * 2**20 / result['records']:,.0f}",
                f"**{result['peak_mb'] / TARGET_MB:.2f}**",
                f"{result['seconds']:.1f} s",
            ]
        )
    header = [
        "sync",
        "records",
        "process before",
        "peak",
        "growth",
        "bytes/record growth",
        f"peak / {TARGET_MB} MB target",
        "time",
    ]
    body = common.table(header, rows) + (
        "\n\nPeak is the whole process's resident set (`ru_maxrss`), Django and the project "
        "loaded; the target is met when the ratio is below 1. The sandbox runs in another "
        "process and is not counted. Each roster's marks are dropped as it arrives "
        "(`bakalari/mirror.py`), so what a run holds is its records, not the answers."
    )
    print(body)
    common.record("Peak memory", ".venv/bin/python bench/memory.py", body)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]))
    else:
        main()
