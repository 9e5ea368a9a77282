"""/metrics: Prometheus' text format from the database at scrape time, for a token or an
allowed address only, in a fixed number of queries, with no secret in it."""

from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from sync.models import Incident, SyncRun
from sync.ops.tokens import create_token
from tenants.models import Connection
from tests.sync_helpers import run_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def token():
    return create_token("prometheus")[1]


def scrape(client, token) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_the_values_are_those_of_the_history(client, token, bakalari_connection, bakalari_sandbox):
    ok = run_sync(bakalari_connection, bakalari_sandbox)
    # as the admin changes a password: the session goes with the old one
    Connection.objects.filter(pk=bakalari_connection.pk).update(
        secrets={"password": "Špatné-Heslo-77"}, session={}
    )
    bakalari_connection.refresh_from_db()
    failed = run_sync(bakalari_connection, bakalari_sandbox)
    key = (("source", "bakalari"), ("tenant", bakalari_connection.tenant.slug))

    samples = scrape(client, token)

    ok.refresh_from_db()
    assert samples[("edurpg_connection_last_success_timestamp_seconds", key)] == pytest.approx(
        ok.finished_at.timestamp()
    )
    assert samples[("edurpg_connection_last_run_duration_seconds", key)] == pytest.approx(
        failed.duration.total_seconds()
    )
    assert samples[("edurpg_connection_last_run_records_changed", key)] == 0
    assert samples[("edurpg_connection_last_run_requests", key)] == failed.requests_made
    assert samples[("edurpg_connection_state", (*key[:1], ("state", "failing"), key[1]))] == 1
    assert samples[("edurpg_connection_state", (*key[:1], ("state", "ok"), key[1]))] == 0
    assert samples[("edurpg_connection_open_incidents", key)] == 1
    runs = (("error_kind", ""), ("status", "ok"))
    assert samples[("edurpg_runs_24h", runs)] == 1
    assert (
        samples[("edurpg_runs_24h", (("error_kind", "bad_credentials"), ("status", "failed")))] == 1
    )


def test_a_first_run_counts_its_changes(client, token, bakalari_connection, bakalari_sandbox):
    run = run_sync(bakalari_connection, bakalari_sandbox)
    key = (("source", "bakalari"), ("tenant", bakalari_connection.tenant.slug))
    assert (
        scrape(client, token)[("edurpg_connection_last_run_records_changed", key)]
        == (run.totals()["created"])
    )


def test_no_token_no_metrics_unless_the_address_is_allowed(client, settings, bakalari_connection):
    refused = client.get("/metrics")
    assert refused.status_code == 401 and "Bearer" in refused["WWW-Authenticate"]
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    settings.SYNC_METRICS_ALLOW = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.2").status_code == 401


def test_no_secret_and_no_address_is_in_the_metrics(
    client, token, bakalari_connection, bakalari_sandbox
):
    run_sync(bakalari_connection, bakalari_sandbox)
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").content.decode()
    for secret in [*bakalari_connection.secrets.values(), *bakalari_connection.session.values()]:
        assert str(secret) not in text
    assert bakalari_connection.base_url not in text


def test_the_queries_do_not_grow_with_the_connections(client, token, make_connection):
    def queries() -> int:
        with CaptureQueriesContext(db) as captured:
            assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
        return len(captured)

    first = make_connection()
    SyncRun.objects.create(
        connection=first, trigger="cron", status="ok", finished_at=timezone.now()
    )
    few = queries()
    for number in range(30):
        connection = make_connection(source=f"s{number}")
        SyncRun.objects.create(
            connection=connection, trigger="cron", status="failed", error_kind="transient",
            started_at=timezone.now() - timedelta(seconds=3), finished_at=timezone.now(),
        )  # fmt: skip
        Incident.objects.create(connection=connection, cause="failing", opened_at=timezone.now())
    assert queries() == few <= 8


def test_the_example_rules_and_dashboard_use_only_metrics_that_exist(
    client, token, bakalari_connection, bakalari_sandbox
):
    import json
    import re
    from pathlib import Path

    run_sync(bakalari_connection, bakalari_sandbox)
    exported = {name for name, _ in scrape(client, token)}
    docs = Path(__file__).resolve().parent.parent / "docs" / "prometheus"
    dashboard = json.loads((docs / "grafana-dashboard.json").read_text())
    expressions = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    expressions.append((docs / "alerts.yml").read_text())
    used = {name for text in expressions for name in re.findall(r"edurpg_\w+", text)}
    assert used and used <= exported
