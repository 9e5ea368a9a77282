import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django_crontab.crontab import Crontab

ROOT = Path(__file__).resolve().parent.parent


def generated_lines() -> list[str]:
    crontab = Crontab(readonly=True, verbosity=0)
    crontab.add_jobs()
    return crontab.crontab_lines


def test_the_lines_use_absolute_paths_and_their_schedules():
    sync, housekeeping = generated_lines()
    assert sync.startswith(settings.SYNC_SCHEDULE + " ")
    assert housekeeping.startswith(settings.SYNC_HOUSEKEEPING_SCHEDULE + " ")
    for line in (sync, housekeeping):
        assert f"{sys.executable} {ROOT / 'manage.py'} crontab run " in line
        assert "--settings=edurpg.settings" in line
        assert line.rstrip().endswith(f"# {settings.CRONTAB_COMMENT}")
        assert "%" not in line  # cron would cut the command there


def test_the_line_runs_under_crons_bare_environment(tmp_path, settings):
    database = tmp_path / "cron.sqlite3"
    log = tmp_path / "cron.log"
    # Only the documented prefix carries configuration into cron's environment.
    settings.CRONTAB_COMMAND_PREFIX = f"DATABASE_URL=sqlite:///{database} SYNC_CRON_LOG={log}"
    settings.CRONJOBS = [(settings.SYNC_SCHEDULE, "sync.ops.cron.scheduled_sync", f">> {log} 2>&1")]
    migrate = [sys.executable, "manage.py", "migrate", "-v0"]
    env = {"DATABASE_URL": f"sqlite:///{database}", "PATH": "/usr/bin:/bin"}
    subprocess.run(migrate, cwd=ROOT, env=env, check=True)
    command = generated_lines()[0].split(" ", 5)[5].rsplit(" # ", 1)[0]

    # cron: PATH=/usr/bin:/bin, cwd = $HOME, nothing else from our shell
    subprocess.run(
        ["/bin/sh", "-c", command], cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, check=True
    )

    assert "scheduled sync done: 0 run(s), 0 failed" in log.read_text()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM django_migrations").fetchone()[0] > 0


@pytest.mark.skipif(not shutil.which("crontab"), reason="cron is not installed here")
def test_crontab_add_show_remove_round_trip():
    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", "crontab", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def crontab_lines() -> str:
        return subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout

    # This checkout may be a deployed one whose own line is installed: put back what was there.
    saved = crontab_lines()
    try:
        manage("add")
        installed = crontab_lines()
        assert all(line in installed for line in generated_lines())  # both jobs
        shown = manage("show")
        assert "sync.ops.cron.scheduled_sync" in shown and "sync.ops.cron.housekeeping" in shown
        manage("remove")
        assert settings.CRONTAB_COMMENT not in crontab_lines()
    finally:
        subprocess.run(["crontab", "-"], input=saved, text=True, check=True)


def test_a_log_folder_is_made_and_a_path_with_spaces_is_quoted(tmp_path):
    log = tmp_path / "cron logs" / "sync.log"
    shown = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.CRONJOBS[0][2])",
        ],
        cwd=ROOT,
        env={**os.environ, "SYNC_CRON_LOG": str(log)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert log.parent.is_dir()  # cron's ">>" cannot create it, and the job would never start
    assert shown.strip().splitlines()[-1] == f">> '{log}' 2>&1"
