"""Runs started in the background the default way: a detached `manage.py execute_runs`."""

import os
import time
from pathlib import Path

import pytest

from sync.models import SyncRun
from sync.run import launcher
from tests import processes

pytestmark = pytest.mark.django_db(transaction=True)  # the child process reads what we commit


@pytest.fixture
def process_executor(settings, monkeypatch, tmp_path):
    settings.SYNC_EXECUTOR = "process"
    settings.SYNC_CRON_LOG = str(tmp_path / "var" / "cron.log")  # a folder not made yet
    for name, value in processes.environment().items():  # the child's database is ours
        monkeypatch.setenv(name, value)
    return settings


def finished(run: SyncRun, seconds: float = 60) -> SyncRun:
    deadline = time.monotonic() + seconds
    while run.status not in SyncRun.FINISHED:
        assert time.monotonic() < deadline, f"run still {run.status}"
        time.sleep(0.1)
        run.refresh_from_db()
    return run


def test_a_queued_run_is_carried_out_by_a_detached_process(served, process_executor):
    runs = launcher.queue_runs([served.connect("skola")], trigger="manual")
    launcher.start_in_background(runs)
    run = finished(runs[0])
    assert run.status == "ok", run.error_message
    assert run.worker and not run.worker.endswith(f":{os.getpid()}")
    log = Path(process_executor.SYNC_CRON_LOG)
    # the child writes its line after it recorded the run: wait for it, not for the clock
    assert logged(log, f"{run.pk} ok"), log.read_text()


def logged(log: Path, line: str, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while line not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    return line in log.read_text()


def test_a_process_that_cannot_start_fails_the_runs_instead_of_leaving_them_queued(
    served, process_executor, tmp_path
):
    (tmp_path / "var").write_text("a file where the log's folder should be")
    runs = launcher.queue_runs([served.connect("skola")], trigger="manual")
    launcher.start_in_background(runs)
    run = SyncRun.objects.get(pk=runs[0].pk)
    assert run.status == "failed" and run.error_kind == "config"
    assert run.error_message.startswith("The sync could not be started in the background: ")
    assert run.connection.last_sync_status == "failed"
