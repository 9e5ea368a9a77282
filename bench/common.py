"""What the benchmarks share: a dedicated database, tenants wired to a served sandbox, timing,
and the results file.

Each benchmark is one command run from the project directory, for example
`.venv/bin/python bench/throughput.py`. BENCH_DATABASE_URL picks the database (default: a
PostgreSQL database `edurpg_bench` on 127.0.0.1, created if missing and emptied per run).
`--quick` runs a benchmark at small sizes in well under a minute, to check that it works; its
figures are printed, never recorded.
"""

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/edurpg_bench"


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)


def arguments(doc: str, full: dict, quick: dict) -> argparse.Namespace:
    """`--quick` and the benchmark's sizes: `--name value` each, else its full or quick size."""
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes; record nothing")
    for name, value in full.items():
        many = isinstance(value, tuple)
        kind = type(value[0]) if many else type(value)
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, nargs="+" if many else None)
    options = parser.parse_args()
    for name in full:
        if getattr(options, name) is None:
            setattr(options, name, (quick if options.quick else full)[name])
        elif isinstance(full[name], tuple):
            setattr(options, name, tuple(getattr(options, name)))
    options.record = not options.quick and sys.argv[1:] == []  # only the full run's figures
    return options


def setup_django(migrate: bool = True, debug: bool = False) -> None:
    """Django on the benchmark database, migrated; the checkout's .env supplies the keys."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ["DATABASE_URL"] = database_url()
    os.environ["SYNC_ALLOW_INSECURE_URLS"] = "true"  # the sandboxes are served on loopback
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edurpg.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # a log line per run would time the terminal
    # false as in production unless asked: DEBUG keeps the last 9,000 SQL statements in memory
    os.environ["DEBUG"] = "true" if debug else "false"
    ensure_database()
    import django

    django.setup()
    if not migrate:
        return
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def require_postgresql() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("this benchmark needs PostgreSQL (BENCH_DATABASE_URL=postgres://...)")


def peak_mb() -> float:
    """This process's peak resident set so far."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def ensure_database() -> None:
    url = database_url()
    if not url.startswith("postgres"):
        return
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def empty_database() -> None:
    """Every tenant and what hangs off it, so each benchmark starts from the same state."""
    from django.db import connection as db

    from sync.models import ExternalRef, Lease, SyncRun
    from tenants.models import Connection, Tenant

    if db.vendor == "postgresql":  # the ORM's cascade would load every mirrored row first
        with db.cursor() as cursor:
            cursor.execute(f"TRUNCATE {db.ops.quote_name(Tenant._meta.db_table)} CASCADE")
        return
    for model in (Lease, SyncRun, ExternalRef, Connection, Tenant):
        model.objects.all().delete()


def connect(slug: str, sandbox_url: str, source: str = "bakalari"):
    """A tenant with an enabled connection to the sandbox served at `sandbox_url`."""
    from sync.sources import registry
    from tenants.models import Connection, Tenant

    tenant = Tenant.objects.create(slug=slug, name=slug.title())
    plugin = registry.get(source)
    values = {**plugin.demo_settings, "base_url": sandbox_url + f"/{source}"}
    location = plugin.locate(values, allow_insecure=True)
    return Connection.objects.create(
        tenant=tenant,
        source=source,
        base_url=location.base_url,
        options=dict(location.options),
        secrets={f.name: values[f.name] for f in plugin.secret_fields},
    )


class ServedSchool(str):
    """The URL of a sandbox served by `served_school`, which can change its delay meanwhile."""

    process: subprocess.Popen

    def delay(self, latency: float) -> None:
        self.process.stdin.write(f"latency {latency}\n")
        self.process.stdin.flush()
        time.sleep(0.1)  # the sandbox reads the line in a thread of its own


@contextmanager
def served_school(pupil_copies: int = 1, classes: int | None = None, latency: float = 0.0):
    """The Bakalari sandbox in its own process (so it never shares our GIL), yielding its URL."""
    command = [sys.executable, str(ROOT / "bench" / "serve_school.py")]
    command += ["--copies", str(pupil_copies), "--latency", str(latency)]
    if classes:
        command += ["--classes", str(classes)]
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
    server = subprocess.Popen(command, text=True, cwd=ROOT, **pipes)
    try:
        line = server.stdout.readline()
        if not line.startswith("http://"):
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        url = ServedSchool(line.strip())
        url.process = server
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def load() -> str:
    """The machine's load beside each figure: the others on this shared machine slow us."""
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f} on {os.cpu_count()}"


LOAD_HEADER = "load (1 / 5 min) on cores"


class Stopwatch:
    def __enter__(self) -> "Stopwatch":
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc_info) -> None:
        self.seconds = time.perf_counter() - self.started


def machine() -> str:
    cores = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        else:
            database = "SQLite"
    return (
        f"{cores} cores, {memory:.0f} GiB, {database}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def record(section: str, command: str, body: str, options=None) -> None:
    """Replace this benchmark's section of bench/RESULTS.md, keeping the others; a run at other
    sizes than the full ones (`--quick`, or sizes given) is only printed."""
    body = f"{body.strip()}\n\nLoad at the end: {load()} cores."
    print(body)
    if options is not None and not options.record:
        print("\nsizes other than the full ones: nothing recorded in bench/RESULTS.md")
        return
    block = (
        f"<!-- {section} -->\n## {section}\n\n{date.today().isoformat()} on {machine()}.\n\n"
        f"```sh\n{command}\n```\n\n{body.strip()}\n<!-- /{section} -->"
    )
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    pattern = re.compile(rf"<!-- {re.escape(section)} -->.*?<!-- /{re.escape(section)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else f"{text}\n{block}\n"
    RESULTS.write_text(text)
    print(f"\nwritten to {RESULTS.relative_to(ROOT)} ({section})")


HEADER = """# Benchmark results

Each section is written by its benchmark; absolute times on this shared 2-core machine are
noisy, so every figure is a ratio against a baseline measured in the same run.
"""


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
