"""`sync_status` and the log events: what an operator or a monitor reads."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from sync.models import ExternalRef
from sync.run.health import connection_health
from tests.processes import manage, unused_port

pytestmark = pytest.mark.django_db(transaction=True)


def test_status_after_a_good_and_a_failed_sync(served):
    served.connect("skola")
    served.connect("zla-skola", secrets={"password": "spatne"})
    manage("sync_sources")

    result = manage("sync_status", "--json")

    assert result.returncode == 1  # something needs attention
    state = {item["tenant"]: item for item in json.loads(result.stdout)}
    assert state["skola"]["state"] == "ok"
    assert state["skola"]["success_rate_24h"] == 1.0
    assert state["skola"]["last_success_at"] is not None
    assert state["zla-skola"]["state"] == "failing"
    assert state["zla-skola"]["last_status"] == "failed"
    assert state["zla-skola"]["success_rate_24h"] == 0.0
    plain = manage("sync_status").stdout
    assert "failing   zla-skola/bakalari" in plain


def test_all_healthy_exits_0(served):
    served.connect("skola")
    manage("sync_sources")
    assert manage("sync_status").returncode == 0


def test_exit_2_when_it_cannot_look(served):
    served.connect("skola")
    port = unused_port()

    result = manage("sync_status", DATABASE_URL=f"postgres://edurpg@127.0.0.1:{port}/edurpg")

    assert result.returncode == 2  # not 1: nothing is known to need attention
    assert result.stderr.splitlines() == [
        f"cannot connect to the database edurpg at 127.0.0.1:{port}: Connection refused"
    ]
    assert result.stdout == ""


def test_no_success_within_twice_the_schedule_is_late(served, settings):
    settings.SYNC_SCHEDULE = "*/15 * * * *"
    connection = served.connect("skola")
    manage("sync_sources")
    (health,) = connection_health(now=timezone.now() + timedelta(minutes=29))
    assert health.state == "ok"
    (health,) = connection_health(now=timezone.now() + timedelta(minutes=31))
    assert health.state == "late"
    assert connection.pk == health.connection.pk


def test_log_events_as_json_lines_carry_the_run(served):
    served.connect("skola")
    result = manage("sync_sources", LOG_FORMAT="json")
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    by_event = {e["event"]: e for e in events if e.get("event", "").startswith("sync_")}
    assert set(by_event) == {"sync_start", "sync_ok"}
    assert by_event["sync_start"]["run_id"] == by_event["sync_ok"]["run_id"]
    ok = by_event["sync_ok"]
    assert ok["tenant"] == "skola" and ok["source"] == "bakalari"
    assert ok["counts"]["created"] == ExternalRef.objects.count() > 0
    assert ok["duration_ms"] >= 0


def test_json_says_what_the_last_sync_covered(served):
    served.connect("skola")
    manage("sync_sources")

    (item,) = json.loads(manage("sync_status", "--json").stdout)

    coverage = item["coverage"]
    assert coverage["state"] == "partial"  # one teacher's slice of the school
    assert "pupils of 5 of 30 known classes" in coverage["gaps"]
    assert "partial coverage: " in manage("sync_status").stdout
