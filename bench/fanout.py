"""Fan-out: 200 connections against the loopback sandbox answering each request after 50 ms,
synced with 1, 4 and 16 workers. Wall time against the ideal, requests x latency / workers
(each connection's requests follow one another, so that is the best any worker count can do).
Target: within 1.3x of ideal at 16 workers.

The ideal counts only the waiting. To show what the work itself costs on this machine, the
same rounds are timed again against a sandbox that answers at once: the work floor.
"""

import time

import common

CONNECTIONS = 200
LATENCY = 0.05
WORKERS = (1, 4, 16)
CLASSES = 1  # one class per school: nine requests and about 120 records per sync


def main() -> None:
    common.setup_django()
    delayed = timed_rounds(LATENCY)
    floor = timed_rounds(0.0)
    rows = [format_row(delayed[w], floor[w]) for w in WORKERS]
    header = [
        "workers",
        "requests",
        "wall time",
        "ideal",
        "wall / ideal (target <= 1.3 at 16)",
        "work floor (no latency)",
        "floor / ideal",
        "CPU of the syncing process per sync",
    ]
    body = common.table(header, rows) + NOTES
    print(body)
    common.record("Fan-out over many connections", ".venv/bin/python bench/fanout.py", body)


NOTES = f"""

{CONNECTIONS} connections (one tenant each) to one Bakalari sandbox in another process, every
answer delayed {LATENCY * 1000:.0f} ms; `sync_many(..., workers=N)` as `sync_sources --workers N`
runs it, after one untimed round that created the records and stored each refresh token, so
the timed rounds are the scheduled case: fetch everything, find nothing changed. A Bakalari sync
sends its requests one after another (`SYNC_HTTP_MAX_IN_FLIGHT` caps them, it does not run them
side by side), so a connection's waiting is its requests times the latency and the ideal divides
the sum by the workers. The work floor is the same round against the same sandbox answering at
once: what the syncing process, the sandbox and PostgreSQL need of this machine's 2 cores.
"""


def format_row(delayed: dict, floor: dict) -> list[str]:
    ideal = delayed["requests"] * LATENCY / delayed["workers"]
    return [
        delayed["workers"],
        f"{delayed['requests']:,}",
        f"{delayed['seconds']:.1f} s",
        f"{ideal:.1f} s",
        f"**{delayed['seconds'] / ideal:.2f}x**",
        f"{floor['seconds']:.1f} s",
        f"{floor['seconds'] / ideal:.2f}x",
        f"{delayed['cpu'] / CONNECTIONS * 1000:.0f} ms",
    ]


def timed_rounds(latency: float) -> dict[int, dict]:
    """One untimed round, then one timed round per worker count, against a fresh sandbox."""
    from sync.run.engine import sync_many

    common.empty_database()
    rounds = {}
    with common.served_school(classes=CLASSES, latency=latency) as url:
        connections = [common.connect(f"fanout-{n:03}", url) for n in range(CONNECTIONS)]
        check(sync_many(connections, trigger="cli", workers=16))  # creates, logs in once
        for workers in WORKERS:
            cpu = time.process_time()
            with common.Stopwatch() as clock:
                runs = sync_many(connections, trigger="cli", workers=workers)
            check(runs)
            rounds[workers] = {
                "workers": workers,
                "requests": sum(run.requests_made for run in runs),
                "seconds": clock.seconds,
                "cpu": time.process_time() - cpu,
            }
            print(f"latency {latency * 1000:.0f} ms: {rounds[workers]}", flush=True)
    return rounds


def check(runs) -> None:
    failed = [run.error_message for run in runs if run.status != "ok"]
    assert not failed, failed


if __name__ == "__main__":
    main()
