"""`manage.py sync_sources` as cron and operators run it: a real process, real HTTP."""

import json
import time

import pytest

from sync.models import SyncRun
from sync.sources.bakalari.models import Pupil
from sync.sources.sari.models import Course
from tests.processes import manage, start

# Sized for a whole school through one login: the sandbox's opt-in whole-school account.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.whole_school]


def summary_of(result) -> dict:
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


def test_all_succeed_exit_0_with_the_json_summary(served):
    served.connect("skola")
    served.connect("autoskola", source="sari")

    result = manage("sync_sources", "--json")

    assert result.returncode == 0, result.stderr
    summary = summary_of(result)
    assert summary["success"] is True
    assert summary["tenants_processed"] == 2
    assert summary["total_syncs"] == 2
    assert summary["failed_tenants"] == []
    runs = {run["source"]: run for run in summary["runs"]}
    assert runs["bakalari"]["status"] == "ok"
    assert runs["bakalari"]["counts"]["pupil"]["created"] == 598
    assert SyncRun.objects.get(pk=runs["sari"]["run_id"]).trigger == "cli"
    assert Course.objects.filter(tenant__slug="autoskola").exists()
    # the log events went to stderr, one start and one ok per run
    assert result.stderr.count("sync_start") == 2
    assert result.stderr.count("sync_ok") == 2


def test_one_failure_exit_1_names_it_and_the_rest_synced(served):
    served.connect("skola")
    served.connect("zla-skola", secrets={"password": "Heslo-spatne-123"})

    result = manage("sync_sources", "--json")

    assert result.returncode == 1
    summary = summary_of(result)
    assert summary["success"] is False
    assert summary["total_syncs"] == 2
    (failed,) = summary["failed_tenants"]
    assert failed["tenant"] == "zla-skola" and failed["source"] == "bakalari"
    assert "username or password" in failed["error"].lower()
    assert "Heslo-spatne-123" not in result.stdout + result.stderr
    assert Pupil.objects.filter(tenant__slug="skola").count() == 598
    assert "sync_fail" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--source", "moodle"], "unknown source 'moodle'"),
        (["--tenant", "nikdo"], "unknown tenant nikdo"),
        (["--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_usage_and_configuration_errors_exit_2(served, args, message):
    served.connect("skola")
    result = manage("sync_sources", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert not SyncRun.objects.exists()


def test_source_and_tenant_filters(served):
    served.connect("skola-a")
    served.connect("skola-b")
    served.connect("skola-c")
    served.connect("skola-a", source="sari")

    result = manage(
        "sync_sources",
        "--json",
        "--tenant",
        "skola-a",
        "--tenant",
        "skola-b",
        "--source",
        "bakalari",
    )

    assert result.returncode == 0, result.stderr
    synced = {(run["tenant"], run["source"]) for run in summary_of(result)["runs"]}
    assert synced == {("skola-a", "bakalari"), ("skola-b", "bakalari")}


@pytest.mark.parametrize(
    "variables, attempts",
    [
        ({"SYNC_HTTP_RETRY_ATTEMPTS": "2"}, 2),
        ({"SYNC_HTTP_RETRY_ATTEMPTS": "10", "SYNC_HTTP_RETRY_SECONDS": "0.001"}, 1),
    ],
)
def test_the_retry_variables_bound_the_attempts_at_a_failing_server(served, variables, attempts):
    served.connect("autoskola", source="sari")
    served.apps["sari"].faults.error_rate = 1.0  # every answer a 503

    result = manage("sync_sources", "--json", **variables)

    assert result.returncode == 1, result.stderr
    (run,) = summary_of(result)["runs"]
    assert "internal error (HTTP 503)" in run["error"]
    assert len(served.apps["sari"].requests) == run["requests"] == attempts


@pytest.mark.parametrize(
    "args",
    [["--tenant", "skola", "--source", "sari"], ["--tenant", "vypnuta"], ["--tenant", "zavrena"]],
)
def test_a_selection_of_no_enabled_connection_says_so_and_exits_0(served, args):
    served.connect("skola")
    served.connect("vypnuta", enabled=False)
    inactive = served.connect("zavrena")
    inactive.tenant.active = False
    inactive.tenant.save()

    result = manage("sync_sources", "--json", *args)

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"nothing to sync: no enabled connection of an active tenant matches {' '.join(args)}"
    ]
    assert summary_of(result)["runs"] == []


def test_disabled_connections_and_inactive_tenants_are_left_alone(served):
    served.connect("skola")
    served.connect("vypnuta", enabled=False)
    inactive = served.connect("zavrena")
    inactive.tenant.active = False
    inactive.tenant.save()

    summary = summary_of(manage("sync_sources", "--json"))

    assert [run["tenant"] for run in summary["runs"]] == ["skola"]


def test_dry_run_reports_and_writes_nothing_but_the_run(served):
    served.connect("skola")
    result = manage("sync_sources", "--json", "--dry-run")
    assert result.returncode == 0, result.stderr
    (run,) = summary_of(result)["runs"]
    assert run["dry_run"] is True
    assert run["counts"]["pupil"]["created"] == 598
    assert not Pupil.objects.exists()
    assert SyncRun.objects.get().dry_run


def test_a_dry_runs_plain_lines_each_say_it_is_a_dry_run(served):
    served.connect("skola")
    served.connect("zla-skola", secrets={"password": "spatne"})
    result = manage("sync_sources", "--dry-run")
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    assert any(line.startswith("dry run: ok ") and "skola/bakalari" in line for line in lines)
    assert any(line.startswith("dry run: failed ") and "zla-skola/" in line for line in lines)
    assert lines[-1] == "dry run: 2 sync(s) of 2 tenant(s), 1 failed; the mirror was not changed"


def test_plain_output_has_one_line_per_run_and_a_closing_line(served):
    served.connect("skola")
    served.connect("zla-skola", secrets={"password": "spatne"})
    result = manage("sync_sources", "--workers", "2")
    lines = result.stdout.strip().splitlines()
    assert any(line.startswith("ok ") and "skola/bakalari" in line for line in lines)
    assert any(line.startswith("failed ") and "zla-skola/bakalari" in line for line in lines)
    assert lines[-1] == "2 sync(s) of 2 tenant(s), 1 failed"


def test_two_overlapping_processes_the_second_is_skipped_and_writes_nothing(served):
    connection = served.connect("skola")
    # ~150 requests of a second each: the first run lasts until the second process is done
    served.apps["bakalari"].faults.latency = 1.0

    first = start("sync_sources", "--json")
    deadline = time.monotonic() + 60
    while not (running := SyncRun.objects.filter(status=SyncRun.Status.RUNNING).first()):
        assert time.monotonic() < deadline and first.poll() is None, first.communicate()
        time.sleep(0.05)
    second = manage("sync_sources", "--json")
    running.refresh_from_db()
    assert running.status == "running", "the first run went on while the second process ran"
    served.apps["bakalari"].faults.latency = 0
    first_out, first_err = first.communicate(timeout=120)

    assert second.returncode == 0, second.stderr
    (skipped,) = summary_of(second)["runs"]
    assert skipped["status"] == "skipped"
    assert "is syncing this connection right now" in skipped["error"]
    assert "sync_skip" in second.stderr
    assert first.returncode == 0, first_err
    (done,) = json.loads(first_out)["runs"]
    assert done["status"] == "ok"
    assert skipped["error"].startswith(f"Skipped: run {done['run_id']}")
    # only the first run wrote: every mirrored row was created once, by it
    assert Pupil.objects.filter(tenant=connection.tenant).count() == 598
    assert done["counts"]["pupil"]["created"] == 598
    assert SyncRun.objects.get(pk=skipped["run_id"]).counts == {}
