"""A connection's independent requests go side by side, at most its in-flight cap at a time,
counted at the sandboxes over loopback HTTP; what is read, and reported, is as one by one."""

import logging
import threading
import time

import pytest

from sync.models import ExternalRef, SyncRun
from sync.run.engine import sync_connection
from sync.sources import registry
from sync.upstream import parallel, scrub
from sync.upstream.errors import UpstreamError
from sync.upstream.http import HttpClient, Limits, RetryPolicy

# Sized for a whole school through one login: the sandbox's opt-in whole-school account.
pytestmark = [pytest.mark.django_db, pytest.mark.whole_school]

LATENCY = 0.02  # seconds per answer: enough for requests to overlap
CAP = 4


def read(served, connection, settings, cap: int):
    """What the source reads with this cap, what it reported meanwhile, the most requests the
    sandbox handled at once."""
    settings.SYNC_HTTP_LIMITS = {"max_in_flight": cap}
    sandbox, source, reports = served.apps[connection.source], registry.get(connection.source), []
    sandbox.in_flight.reset()
    with source.client(connection) as client:
        batches = source.read(client, connection, lambda *report: reports.append(report))
    return batches, reports, sandbox.in_flight.most


@pytest.mark.parametrize(("slug", "late_one"), [("bakalari", 7), ("sari", 6)])
def test_side_by_side_reads_and_reports_what_one_by_one_does(served, settings, slug, late_one):
    connection = served.connect("skola", slug)
    one_by_one, reported_one_by_one, most_one_by_one = read(served, connection, settings, 1)
    sandbox = served.apps[slug]
    sandbox.faults.latency = LATENCY
    # one roster or member list answers late, after those sent behind it
    sandbox.faults.inject("hang", seconds=0.1, after=late_one - 1)

    side_by_side, reported_side_by_side, most_side_by_side = read(served, connection, settings, CAP)

    assert side_by_side == one_by_one
    assert reported_side_by_side == reported_one_by_one
    answers_done = [report[2] for report in reported_side_by_side if len(report) > 2]
    assert answers_done == sorted(answers_done), "the run page's bar only moves forward"
    assert (most_one_by_one, most_side_by_side) == (1, CAP)


def test_no_more_requests_are_in_flight_than_a_cap_of_two(served, settings):
    connection = served.connect("skola")
    served.apps["bakalari"].faults.latency = LATENCY

    *_, most = read(served, connection, settings, 2)

    assert most == 2


def test_a_failing_roster_fails_the_run_with_its_error_and_writes_nothing(served, settings):
    connection = served.connect("skola")
    settings.SYNC_HTTP_LIMITS = {"max_in_flight": CAP}
    sandbox = served.apps["bakalari"]
    sandbox.faults.latency = LATENCY
    sandbox.faults.inject("malformed", after=20)  # a roster, well after the first requests

    started = time.monotonic()
    run = sync_connection(connection, trigger="manual")

    assert time.monotonic() - started < 5
    assert run.status == SyncRun.Status.FAILED
    assert run.error_kind == "protocol"
    assert run.error_message == "The server did not answer with JSON."
    assert len(sandbox.requests) < 40, "the rosters not yet asked for were dropped"
    assert not ExternalRef.objects.filter(tenant=connection.tenant).exists()


def test_a_failing_member_list_fails_the_run_with_its_error(served, settings):
    connection = served.connect("fahrschule", "sari")
    settings.SYNC_HTTP_LIMITS = {"max_in_flight": CAP}
    sandbox = served.apps["sari"]
    sandbox.faults.latency = LATENCY
    sandbox.faults.inject("malformed", after=6)  # the fourth member list

    run = sync_connection(connection, trigger="manual")

    assert run.status == SyncRun.Status.FAILED
    assert run.error_message == "The server did not answer with JSON."
    assert not ExternalRef.objects.filter(tenant=connection.tenant).exists()


def test_a_token_dying_under_parallel_requests_is_renewed_once(served, settings):
    connection = served.connect("skola")
    read(served, connection, settings, CAP)  # logs in and keeps the token pair
    connection.refresh_from_db()
    sandbox, kept = served.apps["bakalari"], connection.session["access_token"]
    # it dies among the rosters; the next one lasts the run
    sandbox.access_token_calls = sandbox.access_tokens[kept].calls + 8
    sandbox.faults.latency = LATENCY
    sandbox.requests.clear()

    batches, *_ = read(served, connection, settings, CAP)

    rosters = [path for _, path in sandbox.requests if path.startswith("/api/3/marking/marks/")]
    assert sandbox.requests.count(("POST", "/api/login")) == 1
    assert len(rosters) - len(set(rosters)) > 1, "several requests were refused at once"
    assert len(batches["enrolment"].complete_scopes) == len(set(rosters))
    stored = connection.session
    connection.refresh_from_db()  # the renewed pair reached the database, from this thread
    assert connection.session == stored
    assert stored["access_token"] != kept
    assert sandbox.access_tokens[stored["access_token"]].calls > 0


def sandbox_client(served, slots: int = CAP) -> HttpClient:
    retry = RetryPolicy(attempts=3, first_wait=0.01, max_wait=0.05)
    limits = Limits(max_in_flight=slots)
    return HttpClient(served.url, server_name="Bakaláři", limits=limits, retry=retry)


def test_results_come_in_the_items_order_whatever_order_they_arrive_in(served):
    client, last_arrived = sandbox_client(served), threading.Event()

    def fetch(n: int) -> int:
        if n == 0:
            last_arrived.wait(timeout=5)  # the first answer arrives last
        status = client.request("GET", f"/bakalari/api?n={n}").status_code
        if n == 3:
            last_arrived.set()
        return status * 10 + n

    assert list(parallel.fetched(client, fetch, range(4))) == [(n, 2000 + n) for n in range(4)]


def test_a_cap_of_one_fetches_one_by_one_in_the_calling_thread(served):
    client, threads = sandbox_client(served, slots=1), []

    def fetch(n: int) -> int:
        threads.append(threading.current_thread())
        return client.request("GET", "/bakalari/api").status_code

    assert list(parallel.fetched(client, fetch, range(3))) == [(0, 200), (1, 200), (2, 200)]
    assert threads == [threading.current_thread()] * 3


def test_the_error_is_the_first_failing_items_whichever_fails_first(served):
    client, later_failed, started = sandbox_client(served), threading.Event(), []

    def fetch(n: int) -> int:
        started.append(n)
        client.request("GET", "/bakalari/api")
        if n == 2:
            later_failed.set()
            raise UpstreamError(f"item {n} failed")
        if n == 1:
            later_failed.wait(timeout=5)
            raise UpstreamError(f"item {n} failed")
        return n

    with pytest.raises(UpstreamError, match="item 1 failed"):
        list(parallel.fetched(client, fetch, range(100)))
    window = CAP * (1 + parallel.QUEUED_PER_SLOT)
    assert len(started) <= window + 1, "those not yet asked for were never started"


def test_a_retry_warning_logged_by_a_worker_thread_is_scrubbed(served, make_connection, caplog):
    connection = make_connection(secrets={"password": "an internal error"})
    client = sandbox_client(served)
    served.apps["bakalari"].faults.inject("error")

    with scrub.guarding(connection), caplog.at_level(logging.WARNING):
        answers = parallel.fetched(client, lambda n: client.request("GET", "/bakalari/api"), [1, 2])
        assert [status.status_code for _, status in answers] == [200, 200]

    (retried,) = [record for record in caplog.records if "retrying" in record.getMessage()]
    assert retried.threadName.startswith("fetch")
    assert retried.getMessage() == f"retrying Bakaláři after: Bakaláři had {scrub.MASK} (HTTP 503)."
