"""Four `sync_sources` processes started at once over 50 connections (one tick on four machines):
each connection synced once, never two runs at a time, no duplicate rows, no deadlock."""

import json
from collections import Counter, defaultdict

import pytest

from sync.models import ExternalRef, SyncRun
from sync.sources.bakalari.models import Pupil
from sync.sources.sari.models import Participant
from tests.processes import start
from tests.reliability_helpers import small_school

pytestmark = pytest.mark.django_db(transaction=True)

PROCESSES = 4
SCHOOLS, DRIVING_SCHOOLS = 25, 25


@pytest.fixture
def fifty_connections(served):
    served.apps["bakalari"].school = small_school()  # 50 full schools would take minutes
    connections = [served.connect(f"skola-{n:02}") for n in range(SCHOOLS)]
    connections += [
        served.connect(f"autoskola-{n:02}", source="sari") for n in range(DRIVING_SCHOOLS)
    ]
    return connections


def run_processes_at_once() -> list[tuple[int, dict, str]]:
    # The same scheduled tick, as cron on four machines fires it. One tick a day, so the round
    # cannot roll over while the test runs.
    processes = [
        start("sync_sources", "--json", "--trigger", "cron", SYNC_SCHEDULE="0 3 * * *")
        for _ in range(PROCESSES)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=240)
        results.append((process.returncode, json.loads(out) if out.strip() else {}, err))
    return results


def test_four_processes_sync_each_of_fifty_connections_once(fifty_connections):
    results = run_processes_at_once()

    for returncode, summary, err in results:
        assert returncode == 0, err[-3000:]
        assert summary["total_syncs"] == len(fifty_connections)
        assert "deadlock" not in err.lower()
        assert "database is locked" not in err
        assert "Traceback" not in err and "sync_fail" not in err
    runs = defaultdict(list)
    for run in SyncRun.objects.all():
        runs[run.connection_id].append(run)
    assert len(runs) == len(fifty_connections)
    for connection in fifty_connections:
        statuses = Counter(run.status for run in runs[connection.pk])
        assert statuses == {"ok": 1, "skipped": PROCESSES - 1}, (connection, statuses)
    assert_no_duplicates()


def assert_no_duplicates() -> None:
    refs = ExternalRef.objects.values_list("tenant", "source", "kind", "external_id")
    assert len(refs) == len(set(refs))
    pupils = Counter(Pupil.objects.filter(active=True).values_list("tenant", flat=True))
    participants = Counter(Participant.objects.filter(active=True).values_list("tenant", flat=True))
    # every tenant mirrors the same sandbox, so each has exactly what one run creates
    created = SyncRun.objects.filter(status="ok", connection__source="bakalari").first()
    assert set(pupils.values()) == {created.counts["pupil"]["created"]}
    assert len(pupils) == SCHOOLS
    created = SyncRun.objects.filter(status="ok", connection__source="sari").first()
    assert set(participants.values()) == {created.counts["participant"]["created"]}
    assert len(participants) == DRIVING_SCHOOLS
