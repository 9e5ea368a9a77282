"""The HTTP trigger and the health endpoint, as schedulers and uptime monitors call them."""

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from sync.models import ApiToken, SyncRun
from sync.ops.tokens import create_token, digest
from sync.sources.bakalari.models import Pupil
from tenants.models import Connection

# Sized for a whole school through one login: the sandbox's opt-in whole-school account.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.whole_school]


@pytest.fixture
def token():
    return create_token("k8s-cronjob")[1]


@pytest.fixture(autouse=True)
def in_threads(settings):
    """Queued runs are carried out by a thread of this process, against the test database."""
    settings.SYNC_EXECUTOR = "thread"


@pytest.fixture
def api(client, token):
    def post(path="/api/sync/", token=token, **extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return client.post(path, **headers, **extra)

    return post


@pytest.fixture
def status(client, token):
    """GET a run's status URL, as a scheduler polls it."""

    def get(url, token=token):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return client.get(url, **headers)

    return get


def finished_summary(status, url: str) -> dict:
    """Poll a run's status URL until the run has finished; its last answer."""
    deadline = time.monotonic() + 60
    while not (body := status(url).json())["finished"]:
        assert time.monotonic() < deadline, body
        time.sleep(0.1)
    return body


# authentication and routing


def test_missing_token_is_401_json(api):
    response = api(token=None)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "wrong",
    [
        "edurpg_00000000_nothing",
        "not-even-shaped",
        "edurpg__",
    ],
)
def test_wrong_token_is_401(api, wrong):
    assert api(token=wrong).status_code == 401


def test_a_token_with_a_changed_secret_is_401(api, token):
    assert api(token=token[:-1] + ("A" if token[-1] != "A" else "B")).status_code == 401


def test_a_revoked_token_is_401(api, token):
    ApiToken.objects.update(revoked=True)
    assert api(token=token).status_code == 401


def test_basic_auth_is_not_a_bearer_token(client, token):
    response = client.post("/api/sync/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert response.status_code == 401


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_other_methods_are_405(client, token, method):
    response = getattr(client, method)("/api/sync/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"] == "method_not_allowed"


def test_unknown_source_is_404(api, served):
    response = api("/api/sync/moodle/")
    assert response.status_code == 404
    assert "unknown source 'moodle'" in response.json()["message"]


def test_unknown_tenant_is_404(api, served):
    served.connect("skola")
    response = api("/api/sync/?tenant=nikdo")
    assert response.status_code == 404
    assert "unknown tenant nikdo" in response.json()["message"]
    assert not SyncRun.objects.exists()


# queueing and waiting


def test_post_queues_the_runs_and_answers_202_with_a_status_url_each(api, status, served):
    served.connect("skola")
    served.connect("autoskola", source="sari")

    response = api()

    assert response.status_code == 202
    body = response.json()
    assert body["queued"] == 2 and len(body["run_ids"]) == 2
    assert [run["run_id"] for run in body["runs"]] == body["run_ids"]
    assert {(run["tenant"], run["source"]) for run in body["runs"]} == {
        ("skola", "bakalari"),
        ("autoskola", "sari"),
    }
    for run in body["runs"]:
        assert run["status_url"] == f"http://testserver/api/runs/{run['run_id']}/"
        done = finished_summary(status, run["status_url"])
        assert (done["run_id"], done["status"], done["trigger"]) == (run["run_id"], "ok", "api")
    assert Pupil.objects.filter(tenant__slug="skola").count() == 598


def test_wait_answers_the_summary_once_every_run_finished(api, served):
    served.connect("skola")
    served.connect("autoskola", source="sari")

    response = api("/api/sync/?wait=60")

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["tenants_processed"] == 2 and body["total_syncs"] == 2
    assert body["queued"] == 0 and body["failed_tenants"] == []
    assert {(run["status"], run["trigger"]) for run in body["runs"]} == {("ok", "api")}
    assert all(run["status_url"].endswith(f"/api/runs/{run['run_id']}/") for run in body["runs"])
    assert Pupil.objects.filter(tenant__slug="skola").count() == 598


def test_wait_answers_202_with_what_is_known_when_time_runs_out(api, status, served):
    served.connect("skola")
    served.apps["bakalari"].faults.inject("hang", seconds=3)  # the login answers late

    started = time.monotonic()
    response = api("/api/sync/?wait=1")

    assert response.status_code == 202
    assert 1 <= time.monotonic() - started < 3
    body = response.json()
    assert body["unfinished"] == 1
    (run,) = body["runs"]
    assert run["status"] in ("queued", "running")
    assert finished_summary(status, run["status_url"])["status"] == "ok"


def test_source_and_tenant_narrow_the_run(api, served):
    served.connect("skola")
    served.connect("jina-skola")
    served.connect("skola", source="sari")

    body = api("/api/sync/bakalari/?tenant=skola&wait=60").json()

    assert [(r["tenant"], r["source"]) for r in body["runs"]] == [("skola", "bakalari")]


def test_a_failed_sync_answers_502_with_the_reason(api, served):
    served.connect("skola")
    served.connect("zla-skola", secrets={"password": "Tajne-Heslo-9"})

    response = api("/api/sync/?wait=60")

    assert response.status_code == 502
    body = response.json()
    assert body["success"] is False
    (failed,) = body["failed_tenants"]
    assert failed["tenant"] == "zla-skola"
    assert "Tajne-Heslo-9" not in response.content.decode()


@pytest.mark.parametrize("wait", ["", "soon", "-1", "1.5", "301", "٣"])
def test_a_malformed_wait_is_400_and_queues_nothing(api, served, wait):
    served.connect("skola")

    response = api(f"/api/sync/?wait={wait}")

    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_request",
        "message": "wait must be a whole number of seconds from 0 to 300.",
    }
    assert not SyncRun.objects.exists()


# a run's status


def test_a_run_status_needs_a_valid_token(api, status, served):
    served.connect("skola")
    url = api().json()["runs"][0]["status_url"]

    assert status(url, token=None).status_code == 401
    assert status(url, token="edurpg_00000000_nothing").status_code == 401
    assert finished_summary(status, url)["status"] == "ok"


def test_an_unknown_run_is_404(status):
    response = status("/api/runs/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_run_status_refuses_post(client, token):
    url = "/api/runs/00000000-0000-0000-0000-000000000000/"
    response = client.post(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405


# tokens


def test_create_api_token_shows_it_once_and_stores_only_its_hash(capsys):
    call_command("create_api_token", "uptime-robot")
    token = capsys.readouterr().out.strip()
    stored = ApiToken.objects.get(name="uptime-robot")
    assert token.startswith(f"edurpg_{stored.prefix}_")
    assert stored.digest == digest(token) and token not in stored.digest
    assert not ApiToken.objects.filter(digest__contains=token.split("_", 2)[2]).exists()


# health


def mark_synced(connection: Connection, status: str, minutes_ago: int) -> None:
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    fields = {"last_sync_status": status, "last_sync_at": moment}
    if status == "ok":
        fields["last_success_at"] = moment
    Connection.objects.filter(pk=connection.pk).update(**fields)


def test_health_is_200_when_every_connection_synced_recently(client, make_connection, settings):
    settings.SYNC_SCHEDULE = "*/15 * * * *"
    mark_synced(make_connection(), "ok", minutes_ago=10)
    response = client.get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "connections": 1,
        "late_count": 0,
        "failing_count": 0,
    }


def test_health_is_503_counting_a_late_connection(client, make_connection, settings):
    settings.SYNC_SCHEDULE = "*/15 * * * *"
    mark_synced(make_connection(), "ok", minutes_ago=31)
    response = client.get("/api/health/")
    assert response.status_code == 503
    assert response.json()["late_count"] == 1


def test_health_is_503_counting_a_failing_connection(client, make_connection):
    mark_synced(make_connection(source="sari"), "failed", minutes_ago=1)
    response = client.get("/api/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["failing_count"] == 1 and body["status"] == "unhealthy"


def test_health_names_no_tenant_or_source_without_a_valid_token(client, make_connection, settings):
    settings.SYNC_SCHEDULE = "*/15 * * * *"
    mark_synced(make_connection(), "ok", minutes_ago=31)
    mark_synced(make_connection(source="sari"), "failed", minutes_ago=1)
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer edurpg_00000000_nothing"}):
        response = client.get("/api/health/", **headers)
        assert response.status_code == 503
        assert set(response.json()) == {"status", "connections", "late_count", "failing_count"}
        for name in ("gympri", "bakalari", "sari"):
            assert name not in response.content.decode()


def test_health_names_late_and_failing_connections_to_a_token(client, make_connection, token):
    mark_synced(make_connection(), "ok", minutes_ago=60 * 24)
    mark_synced(make_connection(source="sari"), "failed", minutes_ago=1)
    response = client.get("/api/health/", HTTP_AUTHORIZATION=f"Bearer {token}")
    body = response.json()
    assert (body["late"], body["failing"]) == (["gympri/bakalari"], ["gympri/sari"])
    assert (body["late_count"], body["failing_count"]) == (1, 1)


def test_health_ignores_disabled_connections(client, make_connection):
    mark_synced(make_connection(enabled=False), "failed", minutes_ago=1)
    assert client.get("/api/health/").status_code == 200


def test_health_details_only_with_a_token_and_never_secrets(client, make_connection, token):
    connection = make_connection()
    mark_synced(connection, "failed", minutes_ago=1)
    anonymous = client.get("/api/health/").json()
    assert "details" not in anonymous
    detailed = client.get("/api/health/", HTTP_AUTHORIZATION=f"Bearer {token}")
    (item,) = detailed.json()["details"]
    assert item["tenant"] == "gympri" and item["state"] == "failing"
    assert "s3cr3t-Heslo-řžč" not in detailed.content.decode()


def test_health_refuses_post(client):
    assert client.post("/api/health/").status_code == 405
