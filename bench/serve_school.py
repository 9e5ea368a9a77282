"""Serve the Bakalari sandbox with a school of any size over loopback; print its URL, then serve.

`--copies N` gives every class N times its pupils (N x 598 pupils; enrolments grow alike);
`--classes K` keeps only the first K classes; `--latency S` delays every answer. A line
`latency S` on standard input changes the delay while serving, so one school (and the records
mirrored from it) serves both a delayed round and one answered at once.
"""

import argparse
import sys
import threading
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sync.sources.bakalari.dataset import School  # noqa: E402
from sync.sources.bakalari.sandbox import BakalariSandbox  # noqa: E402
from sync.upstream.sandbox import Mount, make_loopback_server  # noqa: E402


def school_of(copies: int, classes: int | None) -> School:
    # The benchmarks time a whole school through one login: the sandbox's opt-in account that
    # sees everything. Read through several teachers' accounts instead, a sync makes a login,
    # a profile, a timetable and a directory request more per account, and fetches the same.
    school = School.build(whole_school_account=True)
    if classes:
        kept = {c.id for c in school.classes[:classes]}
        school.classes = [c for c in school.classes if c.id in kept]
        school.groups = [g for g in school.groups if g.class_id in kept]
        groups = {g.id for g in school.groups}
        school.pupils = [p for p in school.pupils if p.class_id in kept]
        school.atoms = [a for a in school.atoms if a.group_id in groups]
        school.lessons = [x for x in school.lessons if x.group_id in groups]
        school.events = [e for e in school.events if set(e.class_ids) <= kept]
    originals = list(school.pupils)
    for copy in range(1, copies):
        school.pupils += [replace(p, id=f"{p.id}-{copy}") for p in originals]
    return school


def follow_commands(sandbox: BakalariSandbox) -> None:
    """`latency S` lines from the benchmark that started us; the end of input ends nothing."""
    for line in sys.stdin:
        words = line.split()
        if len(words) == 2 and words[0] == "latency":
            sandbox.faults.latency = float(words[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--classes", type=int)
    parser.add_argument("--latency", type=float, default=0.0)
    options = parser.parse_args()
    sandbox = BakalariSandbox("/bakalari", school=school_of(options.copies, options.classes))
    sandbox.faults.latency = options.latency
    server = make_loopback_server(Mount([sandbox], index=lambda url: b""), quiet=True)
    threading.Thread(target=follow_commands, args=[sandbox], daemon=True).start()
    host, port = server.server_address[:2]
    print(f"http://{host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
