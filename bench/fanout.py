"""Fan-out: many connections to one Bakalari sandbox in another process, every answer delayed
50 ms, synced with `sync_many(..., workers=N)` for N in 1, 4 and 16. Wall time against the ideal.
Target: within 1.3x of ideal at 16 workers.

    .venv/bin/python bench/fanout.py                 # 200 connections of 30 classes (~17 min)
    .venv/bin/python bench/fanout.py --quick         # 8 connections of 3 classes (~15 s)
    .venv/bin/python bench/fanout.py --connections 50 --classes 30

Each school is the demo school (`--classes 30`: 598 pupils, 6,841 records). The ideal, now
that a connection fetches in parallel up to the client's in-flight cap: a connection waits at
least (requests / cap) x latency; W workers overlap the connections, so the round waits at
least the sum of that over the connections / W. It can never beat the work itself either: the
same round against the same sandbox answering at once (the work floor: the syncing process,
the sandbox serving every connection and PostgreSQL sharing this machine's cores). So
ideal = max(sum of (requests / cap) x latency / W, work floor), each measured in the same run.
"""

import os
import time

import common

FULL = {"connections": 200, "classes": 30, "workers": (1, 4, 16), "latency": 0.05}
QUICK = {"connections": 8, "classes": 3, "workers": (1, 4), "latency": 0.05}


def main() -> None:
    options = common.arguments(__doc__, FULL, QUICK)
    common.setup_django()
    from django.conf import settings

    cap = settings.SYNC_HTTP_LIMITS["max_in_flight"]
    rounds = timed_rounds(options)
    rows = [format_row(delayed, floor, options, cap) for delayed, floor in rounds]
    header = [
        "workers",
        "requests",
        "wall time",
        f"waiting: sum of requests / {cap} x latency / workers",
        "work floor (no latency)",
        "ideal (the larger)",
        "wall / ideal (target <= 1.3 at 16)",
        "serial waiting: requests x latency / workers",
        "CPU of the syncing process per sync",
        common.LOAD_HEADER,
    ]
    body = common.table(header, rows) + notes(options, cap)
    common.record("Fan-out over many connections", COMMAND, body, options)


COMMAND = ".venv/bin/python bench/fanout.py"


def notes(options, cap: int) -> str:
    return f"""

{options.connections} connections (one tenant each) to one Bakalari sandbox of
{options.classes} classes in another process, every answer delayed
{options.latency * 1000:.0f} ms; `sync_many(..., workers=N)` as `sync_sources --workers N` runs
it, after one untimed round that created the records and stored each refresh token, so the
timed rounds are the scheduled case: fetch everything, find nothing changed. Each delayed round
is followed by the same round with the sandbox answering at once, the work floor. The ideal is
the larger of the waiting, each connection's (requests / {cap}) x latency (its requests going
out up to the in-flight cap at a time) summed and divided by the workers, and the work floor:
neither can be beaten, and the sandbox serves every connection from one process on this
machine's {os.cpu_count()} cores. Requests that wait for an earlier answer (the user, the
teaching assignments, then their rosters) add rounds the waiting does not count. The serial
figure is the waiting if each connection sent one request at a time.
"""


def format_row(delayed: dict, floor: dict, options, cap: int) -> list[str]:
    workers, latency = delayed["workers"], options.latency
    waiting = delayed["requests"] / cap * latency / workers
    ideal = max(waiting, floor["seconds"])
    return [
        workers,
        f"{delayed['requests']:,}",
        f"{delayed['seconds']:.1f} s",
        f"{waiting:.1f} s",
        f"{floor['seconds']:.1f} s",
        f"{ideal:.1f} s",
        f"**{delayed['seconds'] / ideal:.2f}x**",
        f"{delayed['requests'] * latency / workers:.1f} s",
        f"{delayed['cpu'] / options.connections * 1000:.0f} ms",
        delayed["load"],
    ]


def timed_rounds(options) -> list[tuple[dict, dict]]:
    """One untimed round, then per worker count a delayed round and one answered at once."""
    from sync.run.engine import sync_many

    common.empty_database()
    rounds = []
    with common.served_school(classes=options.classes, latency=options.latency) as url:
        connections = [common.connect(f"fanout-{n:03}", url) for n in range(options.connections)]
        check(sync_many(connections, trigger="cli", workers=max(options.workers)))
        for workers in options.workers:
            url.delay(options.latency)
            delayed = timed_round(connections, workers)
            url.delay(0.0)
            rounds.append((delayed, timed_round(connections, workers)))
    return rounds


def timed_round(connections, workers: int) -> dict:
    from sync.run.engine import sync_many

    cpu = time.process_time()
    with common.Stopwatch() as clock:
        runs = sync_many(connections, trigger="cli", workers=workers)
    check(runs)
    result = {
        "workers": workers,
        "requests": sum(run.requests_made for run in runs),
        "seconds": clock.seconds,
        "cpu": time.process_time() - cpu,
        "load": common.load(),
    }
    print(result, flush=True)
    return result


def check(runs) -> None:
    failed = [run.error_message for run in runs if run.status != "ok"]
    assert not failed, failed


if __name__ == "__main__":
    main()
