"""A run's recorded outcome is what was committed: a write refused at the very end is a failure."""

import json
import logging

import pytest

from sync.models import SyncRun
from tenants.models import Connection
from tests.db_triggers import refusing
from tests.processes import manage
from tests.sync_helpers import run_sync, snapshot

REFUSED = "status row locked (test)"


def refuse_status_changes():
    """The connection's status row cannot be updated: the last write of a run's transaction."""
    return refusing(Connection._meta.db_table, REFUSED, column="last_sync_at")


@pytest.mark.django_db
def test_a_refused_status_write_fails_the_run_and_keeps_the_mirror(
    bakalari_connection, bakalari_sandbox, tenant, caplog
):
    assert run_sync(bakalari_connection, bakalari_sandbox).status == SyncRun.Status.OK
    school = bakalari_sandbox.school
    school.rename_pupil(school.pupils[0].id, last_name="Nováková")
    before = snapshot(tenant)

    with refuse_status_changes(), caplog.at_level(logging.INFO, logger="sync.run.events"):
        run = run_sync(bakalari_connection, bakalari_sandbox)

    assert (run.status, run.error_kind) == (SyncRun.Status.FAILED, "database")
    assert REFUSED in run.error_message
    assert run.counts == {}, "nothing was written, so nothing is counted"
    stored = SyncRun.objects.get(pk=run.pk)
    assert (stored.status, stored.error_kind) == (SyncRun.Status.FAILED, "database")
    assert stored.finished_at is not None
    assert snapshot(tenant) == before
    records = [r for r in caplog.records if r.name == "sync.run.events"]
    events = [r.event for r in records if r.run_id == str(run.pk)]
    assert events == ["sync_start", "sync_fail"]


@pytest.mark.django_db(transaction=True)
def test_sync_sources_exits_1_and_says_failed_when_the_outcome_cannot_be_stored(served):
    served.connect("skola")

    with refuse_status_changes():
        result = manage("sync_sources", "--json")

    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["success"] is False
    (run,) = summary["runs"]
    assert run["status"] == "failed"
    assert REFUSED in summary["failed_tenants"][0]["error"]
    assert SyncRun.objects.get(pk=run["run_id"]).status == "failed"
    assert "sync_fail" in result.stderr and "sync_ok" not in result.stderr
    assert snapshot(Connection.objects.get().tenant)["refs"] == []
