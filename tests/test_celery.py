"""Syncs on Celery: the real broker, real worker processes, the sandboxes over loopback HTTP.

Each pytest process uses its own queue, so test runs sharing the broker never take each
other's tasks; workers are real `celery worker` processes killed at teardown.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from sync.models import Lease, SyncRun
from sync.ops.tokens import create_token
from sync.sources.sari.models import Course
from tests.processes import ROOT, environment, manage

pytestmark = pytest.mark.django_db(transaction=True)

BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
REDIS_URL = "redis://127.0.0.1:6379/15"
LEASE_SECONDS = 3  # how long a killed worker's run blocks its connection


@contextmanager
def own_queue(url: str):
    """A queue of our own on the broker at `url`, deleted afterwards; skip if none answers."""
    kombu = pytest.importorskip("kombu", reason="the celery extra is not installed")
    name = f"edurpg-test-{uuid.uuid4().hex[:12]}"
    # declared as Celery declares its default queue, so workers and senders agree with it
    queue = kombu.Queue(name, kombu.Exchange(name, type="direct"), routing_key=name)
    with kombu.Connection(url, connect_timeout=3) as conn:
        try:
            conn.ensure_connection(max_retries=1)
        except Exception as error:  # whatever the failure, there is no broker to test with
            pytest.skip(f"no broker answers at {url} ({error}); .ci/run starts RabbitMQ")
        bound = queue(conn.default_channel)
        bound.declare()
        yield bound
        bound.delete()
        bound.exchange.delete()


@pytest.fixture(scope="session")
def broker_queue():
    """One queue per test session, so concurrent test runs never take each other's tasks."""
    with own_queue(BROKER_URL) as queue:
        yield queue


@pytest.fixture
def celery_env(broker_queue, settings) -> dict[str, str]:
    """SYNC_EXECUTOR=celery for this process and the environment of the processes it starts."""
    broker_queue.purge()  # tasks a failed test left behind
    settings.SYNC_EXECUTOR = "celery"
    settings.CELERY_BROKER_URL = BROKER_URL
    settings.CELERY_TASK_DEFAULT_QUEUE = broker_queue.name
    return {
        "SYNC_EXECUTOR": "celery",
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_QUEUE": broker_queue.name,
        "SYNC_LEASE_SECONDS": str(LEASE_SECONDS),
    }


class Workers:
    """`celery -A edurpg worker` processes, each in its own process group."""

    def __init__(self, env: dict[str, str], logs) -> None:
        self.env, self.logs, self.processes = env, logs, []

    def start(self, count: int) -> list[subprocess.Popen]:
        started = [self.spawn(f"w{len(self.processes) + i}") for i in range(count)]
        self.processes += started
        for process in started:
            wait_for(lambda p=process: " ready." in self.log(p), 30, "a worker to start", self)
        return started

    def spawn(self, name: str) -> subprocess.Popen:
        command = [sys.executable, "-m", "celery", "-A", "edurpg", "worker", "--concurrency=1"]
        command += ["-n", f"{name}-{uuid.uuid4().hex[:6]}@%h", "--loglevel=INFO"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 - the worker writes it
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment(**self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: killing it kills nothing else
        )
        process.log_path = log.name
        log.close()
        return process

    def log(self, process: subprocess.Popen) -> str:
        with open(process.log_path, encoding="utf-8", errors="replace") as file:
            return file.read()

    def all_logs(self) -> str:
        return "\n".join(f"--- {p.log_path}\n{self.log(p)}" for p in self.processes)

    def holding(self, run: SyncRun) -> subprocess.Popen:
        """The live worker that `run` is recorded to run on (its main or its pool process)."""
        group = os.getpgid(int(run.worker.rsplit(":", 1)[1]))
        (process,) = [p for p in self.processes if p.pid == group]
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the whole worker, as when its machine dies."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def kill_pool_process(self, process: subprocess.Popen) -> None:
        """SIGKILL the one pool process of a worker, as the OOM killer would."""
        (child,) = children(process.pid)
        os.kill(child, signal.SIGKILL)

    def stop(self) -> None:
        # Killed, not asked: an idle worker's warm shutdown waits up to 10 s for its event loop's
        # next timer, and the tasks it still holds go back to a queue the next test purges.
        for process in self.processes:
            if process.poll() is None:
                self.kill(process)


@pytest.fixture
def workers(celery_env, tmp_path):
    pool = Workers(celery_env, tmp_path)
    yield pool
    pool.stop()


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def wait_for(condition, seconds: float, what: str, workers: Workers | None = None):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        logs = workers.all_logs() if workers else ""
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{logs}"
        time.sleep(0.1)
    return result


def all_finished(run_ids) -> bool:
    return not SyncRun.objects.filter(pk__in=run_ids).exclude(status__in=SyncRun.FINISHED).exists()


def queued_by_sync_sources(celery_env) -> list[str]:
    result = manage("sync_sources", "--json", **celery_env)
    assert result.returncode == 0, result.stderr
    return [run["run_id"] for run in json.loads(result.stdout)["runs"]]


# nothing of Celery without the setting

IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
import django
django.setup()
from django.core.management import call_command

for package in ("edurpg", "sync", "tenants"):
    module = importlib.import_module(package)
    for found in pkgutil.walk_packages(module.__path__, package + "."):
        if found.name not in ("edurpg.celery", "sync.ops.celery_tasks"):
            importlib.import_module(found.name)
call_command("check")
print("celery imported:", sorted(m for m in sys.modules if m.split(".")[0] in ("celery", "kombu")))
"""


def test_without_the_setting_nothing_imports_celery():
    env = environment()
    env.pop("SYNC_EXECUTOR", None)
    env.pop("CELERY_BROKER_URL", None)

    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "celery imported: []"


def test_celery_without_a_broker_url_is_a_configuration_error():
    result = manage("check", SYNC_EXECUTOR="celery", CELERY_BROKER_URL="")
    assert result.returncode != 0
    assert "CELERY_BROKER_URL is not set" in result.stderr


# sync_sources hands the runs to the workers


def test_fifty_connections_two_workers_each_synced_exactly_once(served, workers, celery_env):
    connections = [served.connect(f"autoskola-{n:02}", source="sari") for n in range(50)]
    two = workers.start(2)

    run_ids = queued_by_sync_sources(celery_env)

    assert len(run_ids) == 50
    wait_for(lambda: all_finished(run_ids), 60, "50 runs to finish", workers)
    runs = list(SyncRun.objects.all())
    assert len(runs) == 50, "a run was added: some connection was synced twice"
    assert {run.connection_id for run in runs} == {c.pk for c in connections}
    assert {run.status for run in runs} == {"ok"}, [run.error_message for run in runs]
    assert {workers.holding(run) for run in runs} == set(two), "both workers took runs"
    # every request the sandbox answered belongs to one of the 50 runs: none was fetched twice
    assert sum(run.requests_made for run in runs) == len(served.apps["sari"].requests)
    created = {run.counts["course"]["created"] for run in runs}
    assert created == {Course.objects.filter(tenant=connections[0].tenant).count()}
    assert Course.objects.count() == 50 * created.pop()


def running_run(run_id, workers: Workers) -> SyncRun:
    return wait_for(
        lambda: SyncRun.objects.filter(pk=run_id, status="running", requests_made__gt=0).first(),
        30,
        "the run to be fetching",
        workers,
    )


def successor_of(dead: SyncRun, workers: Workers) -> SyncRun:
    """The run that took over from `dead`, once it has synced; `dead` is refreshed."""
    successor = wait_for(
        lambda: SyncRun.objects.filter(connection=dead.connection_id, status="ok").first(),
        30,
        "the task to complete after the kill",
        workers,
    )
    dead.refresh_from_db()
    assert dead.status == "failed" and dead.error_kind == "abandoned", dead.error_message
    assert f"Run {successor.pk} took its place" in dead.error_message
    assert successor.trigger == dead.trigger
    assert SyncRun.objects.count() == 2
    assert Course.objects.count() == successor.counts["course"]["created"]
    return successor


def test_a_worker_killed_mid_run_its_task_completes_on_the_other(served, workers, celery_env):
    connection = served.connect("autoskola", source="sari")
    served.apps["sari"].faults.latency = 0.3  # the run takes seconds: time to kill its worker
    workers.start(2)
    (first_id,) = queued_by_sync_sources(celery_env)
    first = running_run(first_id, workers)

    victim = workers.holding(first)
    (survivor,) = [p for p in workers.processes if p is not victim]
    workers.kill(victim)
    lease_expires_at = Lease.objects.get(connection=connection).expires_at
    served.apps["sari"].faults.latency = 0

    successor = successor_of(first, workers)
    assert workers.holding(successor) is survivor
    assert successor.started_at >= lease_expires_at, "it waited for the dead run's lease"


def test_a_pool_process_killed_mid_run_its_task_is_given_back(served, workers, celery_env):
    connection = served.connect("autoskola", source="sari")
    served.apps["sari"].faults.latency = 0.3
    workers.start(2)
    (first_id,) = queued_by_sync_sources(celery_env)
    first = running_run(first_id, workers)

    workers.kill_pool_process(workers.holding(first))
    lease_expires_at = Lease.objects.get(connection=connection).expires_at
    served.apps["sari"].faults.latency = 0

    successor = successor_of(first, workers)
    assert successor.started_at >= lease_expires_at
    assert "WorkerLostError" in workers.all_logs()


def test_a_run_delivered_again_while_it_runs_is_synced_once(served, workers):
    from sync.ops.celery_tasks import execute_run

    connection = served.connect("autoskola", source="sari")
    served.apps["sari"].faults.latency = 0.5  # a run of seconds, until the second copy is seen
    workers.start(2)
    run = SyncRun.objects.create(connection=connection, trigger="api")

    execute_run.delay(str(run.pk))
    busy = workers.holding(running_run(run.pk, workers))
    execute_run.delay(str(run.pk))  # as a broker delivers again, e.g. after a lost connection
    (idle,) = [p for p in workers.processes if p is not busy]
    held = f"run {run.pk}: another delivery holds its lease; retrying"
    wait_for(lambda: held in workers.log(idle), 30, "the second copy to find the lease", workers)
    served.apps["sari"].faults.latency = 0

    done = lambda: workers.all_logs().count("succeeded in") == 2  # noqa: E731
    wait_for(done, 30, "both copies to end", workers)
    run.refresh_from_db()
    assert run.status == "ok"
    assert SyncRun.objects.count() == 1
    logs = workers.all_logs()
    assert logs.count(held) == 1, "the retried copy found the run finished and left it"
    assert logs.count(f"sync_start run_id={run.pk}") == 1
    assert run.requests_made == len(served.apps["sari"].requests)


def test_a_copy_finding_its_own_run_holding_the_lease_leaves_it_alone(served):
    from sync.run import engine, lease

    connection = served.connect("autoskola", source="sari")
    run = SyncRun.objects.create(connection=connection, trigger="api")
    assert lease.claim(connection.pk, run.pk)  # as the first delivery did, moments ago

    engine.execute(run)  # the second delivery, racing past execute_run's own check

    run.refresh_from_db()
    assert run.status == "queued", "not recorded skipped by itself"
    assert lease.holder(connection.pk) == run.pk, "the first delivery keeps its lease"


# the other ways in: the HTTP trigger, django-crontab's job and beat


def test_http_trigger_hands_runs_to_the_workers(client, served, workers):
    served.connect("autoskola-a", source="sari")
    served.connect("autoskola-b", source="sari")
    (worker,) = workers.start(1)
    token = create_token("celery-test")[1]

    # the request waits by watching the database, wherever the runs are carried out
    response = client.post("/api/sync/?wait=60", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["total_syncs"], body["queued"]) == (2, 0)
    runs = SyncRun.objects.filter(pk__in=[run["run_id"] for run in body["runs"]])
    assert {(run.status, run.trigger) for run in runs} == {("ok", "api")}
    assert {workers.holding(run) for run in runs} == {worker}


def test_beat_task_queues_every_enabled_connection(served, workers, settings):
    from celery.schedules import crontab

    from edurpg.celery import app

    served.connect("autoskola-a", source="sari")
    served.connect("autoskola-b", source="sari")
    served.connect("vypnuta", source="sari", enabled=False)
    workers.start(1)
    entry = app.conf.beat_schedule["sync-enabled-connections"]
    assert entry["schedule"] == crontab.from_string(settings.SYNC_SCHEDULE)

    app.send_task(entry["task"])  # what beat sends on each tick

    wait_for(lambda: SyncRun.objects.count() == 2, 30, "beat's task to queue runs", workers)
    wait_for(lambda: all_finished(SyncRun.objects.values("pk")), 30, "the runs", workers)
    runs = SyncRun.objects.select_related("connection__tenant")
    assert sorted((r.connection.tenant.slug, r.trigger, r.status) for r in runs) == [
        ("autoskola-a", "cron", "ok"),
        ("autoskola-b", "cron", "ok"),
    ]


def test_the_crontab_job_queues_instead_of_syncing(served, workers):
    from sync.ops.cron import scheduled_sync

    served.connect("autoskola-a", source="sari")
    (worker,) = workers.start(1)

    scheduled_sync()  # what django-crontab's line calls

    (run,) = SyncRun.objects.all()
    assert run.trigger == "cron"
    wait_for(lambda: all_finished([run.pk]), 30, "the run", workers)
    run.refresh_from_db()
    assert (run.status, workers.holding(run)) == ("ok", worker)


def test_redis_as_the_broker_works_the_same(served, tmp_path):
    with own_queue(REDIS_URL) as queue:
        env = {
            "SYNC_EXECUTOR": "celery",
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_QUEUE": queue.name,
        }
        pool = Workers(env, tmp_path)
        try:
            served.connect("autoskola-a", source="sari")
            served.connect("autoskola-b", source="sari")
            (worker,) = pool.start(1)

            result = manage("sync_sources", **env)

            assert result.returncode == 0, result.stderr
            *lines, closing = result.stdout.splitlines()
            assert closing.startswith("2 of 2 run(s) queued for Celery workers; their outcomes")
            run_ids = [line.rsplit(" run ", 1)[1] for line in lines]
            wait_for(lambda: all_finished(run_ids), 30, "the runs to finish", pool)
            runs = SyncRun.objects.filter(pk__in=run_ids)
            assert {run.status for run in runs} == {"ok"}
            assert {pool.holding(run) for run in runs} == {worker}
        finally:
            pool.stop()


def test_queued_runs_are_reported_as_queued_not_as_synced(served, celery_env):
    served.connect("skola")
    served.connect("autoskola", source="sari")

    result = manage("sync_sources", "--json", **celery_env)
    text = manage("sync_sources", **celery_env)

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["success"], summary["queued"], summary["total_syncs"]) == (True, 2, 0)
    assert {run["status"] for run in summary["runs"]} == {"queued"}
    assert "outcomes are in the run history" in summary["note"]
    closing = text.stdout.splitlines()[-1]
    assert closing.startswith("2 of 2 run(s) queued for Celery workers; their outcomes will be")


# failures are recorded, never hidden


def test_a_broker_that_refuses_records_the_runs_failed_and_exits_1(served):
    served.connect("autoskola", source="sari")

    result = manage(
        "sync_sources", SYNC_EXECUTOR="celery", CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:9//"
    )

    assert result.returncode == 1, result.stderr
    run = SyncRun.objects.get()
    assert run.status == "failed" and run.error_kind == "broker"
    assert "broker did not take this run" in result.stdout
    assert "0 of 1 run(s) queued" in result.stdout
    assert "sync_fail" in result.stderr


def test_dry_run_reports_right_here_instead_of_queueing(served, celery_env):
    served.connect("autoskola", source="sari")

    result = manage("sync_sources", "--dry-run", **celery_env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("dry run: ok ")
    run = SyncRun.objects.get()
    assert run.dry_run and run.status == "ok" and run.counts["course"]["created"] > 0
    assert not Course.objects.exists()


def test_beats_tick_pings_the_heartbeat_and_finds_late_connections(
    served, celery_env, settings, webhook_receiver
):
    from datetime import timedelta

    from django.utils import timezone

    from sync.models import Incident
    from sync.ops.celery_tasks import queue_enabled_connections
    from tenants.models import Connection

    settings.SYNC_HEARTBEAT_URL = webhook_receiver.url + "/ping/beat"
    connection = served.connect("autoskola-a", source="sari")
    Connection.objects.filter(pk=connection.pk).update(
        created_at=timezone.now() - timedelta(days=1)
    )

    assert queue_enabled_connections() == 1  # what beat's task does on a worker

    paths = [path for path, _, _ in webhook_receiver.posts]
    assert paths == ["/ping/beat/start", "/ping/beat"]
    assert "1 run(s) queued for the workers" in webhook_receiver.bodies[-1]
    assert Incident.objects.get(connection=connection).cause == "late"
