"""The fault matrix at the engine: every fault the sandboxes offer, through a whole run.

Each fault is either retried to success (the run is ok and carries upstream's change) or fails
the run cleanly: status failed, the error kind and the admin's sentence recorded on the run and
the connection, and the mirror exactly as before. What test_engine_faults.py already runs
(a 5xx storm and a broken Bakaláři answer mid-run, 5xx plus 429 retried, a database fault) is
not repeated here; the clients' own fault tests check single requests, these check whole runs.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import time_machine

from sync.models import SyncRun
from sync.run.engine import sync_connection
from sync.sources.bakalari import dataset as bakalari_data
from sync.sources.bakalari.models import Pupil
from sync.sources.bakalari.sandbox import BakalariSandbox
from sync.sources.sari import dataset as sari_data
from sync.sources.sari.models import CourseSession, Participant
from sync.upstream.http import Limits
from sync.upstream.sandbox import LoopbackServer
from tests.fixtures_bakalari import BAKALARI_PREFIX, BAKALARI_URL
from tests.fixtures_sari import SARI_TODAY
from tests.reliability_helpers import refs_agree_with_rows, small_school
from tests.sync_helpers import run_sync, snapshot

# Sized for a whole school through one login: the sandbox's opt-in whole-school account.
pytestmark = [pytest.mark.django_db, pytest.mark.whole_school]

AFTER_LOGIN = 3  # Bakaláři: login, profile, timetable; then the data calls
RAPPERSWIL_1 = 2110012  # a SARI part nobody has booked yet


def every_attempt_in_flight() -> int:
    """Faults enough for every attempt of every request a connection sends at once: while
    faults are queued no request succeeds, so one of them runs out of attempts."""
    return 3 * Limits.from_settings().max_in_flight


@pytest.fixture
def school_sandbox(bakalari_clock):
    return BakalariSandbox(BAKALARI_PREFIX, school=small_school(), clock=bakalari_clock)


@pytest.fixture
def bakalari(make_connection, school_sandbox, bakalari_fast_retries):
    """A synced connection to the small school, whose upstream has changed since."""
    connection = make_connection(
        base_url=BAKALARI_URL,
        options={"username": bakalari_data.DEMO_USERNAME},
        secrets={"password": bakalari_data.DEMO_PASSWORD},
    )
    assert run_sync(connection, school_sandbox).status == SyncRun.Status.OK
    school = school_sandbox.school
    school.rename_pupil(school.pupils[0].id, last_name="Přejmenovaná")
    return connection, school_sandbox


@pytest.fixture
def sari(sari_connection, sari_sandbox):
    assert run_sync(sari_connection, sari_sandbox).status == SyncRun.Status.OK
    sari_sandbox.data.enrol(RAPPERSWIL_1, sari_data.ELENA)
    return sari_connection, sari_sandbox


def bakalari_change_arrived(tenant, sandbox) -> bool:
    pupil = sandbox.school.pupils[0]
    return Pupil.objects.get(tenant=tenant, external_id=pupil.id).last_name == "Přejmenovaná"


def sari_change_arrived(tenant, sandbox) -> bool:
    key = f"{RAPPERSWIL_1}:{sari_data.ELENA}"
    return Participant.objects.filter(tenant=tenant, external_id=key, active=True).exists()


@dataclass
class Recovered:
    """A fault the run retries or renews its way through."""

    arrange: Callable
    proof: Callable  # (sandbox, run, before) -> bool: the fault really struck
    # Tokens that die after a few calls die faster than the requests a connection sends at once
    # can use them (a fresh one is spent by the others before the renewing request's retry
    # arrives, and the run fails as token_rejected): these are run one request at a time.
    one_at_a_time: bool = False


@dataclass
class Before:
    """Upstream's counters before the faulty run."""

    requests: int  # the requests a run without faults makes
    grants: int  # token pairs issued so far


def grants(sandbox) -> int:
    return len(sandbox.refresh_tokens)


def token_requests(sandbox) -> int:
    return sum(1 for _, path in sandbox.requests if path == "/api/login")


def expire_tokens_every_few_calls(sandbox) -> None:
    sandbox.access_token_calls = 3


def spend_refresh_tokens_at_once(sandbox) -> None:
    sandbox.access_token_calls = 3
    sandbox.refresh_reuse_limit = 0  # every renewal falls back to the password


def each_renewal_one_grant(sandbox, run, before: Before) -> bool:
    issued = grants(sandbox) - before.grants
    return issued >= 3 and token_requests(sandbox) == issued


def each_renewal_refused_then_password(sandbox, run, before: Before) -> bool:
    issued = grants(sandbox) - before.grants
    return issued >= 3 and token_requests(sandbox) == 2 * issued


BAKALARI_RECOVERS = {
    "latency": Recovered(
        lambda s: setattr(s.faults, "latency", 0.01),
        lambda s, run, before: (
            run.duration.total_seconds()
            >= 0.01 * before.requests / Limits.from_settings().max_in_flight
        ),
    ),
    "share of 5xx": Recovered(
        lambda s: setattr(s.faults, "error_rate", 0.2),
        lambda s, run, before: run.requests_made > before.requests,
    ),
    "429 with Retry-After": Recovered(
        lambda s: s.faults.inject("throttle", count=2, retry_after=0, after=AFTER_LOGIN),
        lambda s, run, before: not s.faults.queued,
    ),
    "token expiry after N calls": Recovered(
        expire_tokens_every_few_calls, each_renewal_one_grant, one_at_a_time=True
    ),
    "refresh-token reuse limit": Recovered(
        spend_refresh_tokens_at_once, each_renewal_refused_then_password, one_at_a_time=True
    ),
}


@pytest.mark.parametrize("fault", BAKALARI_RECOVERS.values(), ids=BAKALARI_RECOVERS.keys())
def test_bakalari_faults_that_are_retried_to_success(bakalari, fault, tenant, settings):
    connection, sandbox = bakalari
    if fault.one_at_a_time:
        settings.SYNC_HTTP_LIMITS = {"max_in_flight": 1}
    before = Before(connection.runs.get().requests_made, grants(sandbox))
    fault.arrange(sandbox)
    sandbox.requests.clear()

    run = run_sync(connection, sandbox)

    assert run.status == SyncRun.Status.OK, run.error_message
    assert fault.proof(sandbox, run, before)
    assert bakalari_change_arrived(tenant, sandbox)
    assert refs_agree_with_rows(tenant) == []


@dataclass
class Fails:
    """A fault the run gives up on; the admin reads `sentence`."""

    arrange: Callable
    kind: str
    sentence: str


BAKALARI_FAILS = {
    "429 beyond the attempts": Fails(
        lambda s: s.faults.inject(
            "throttle", count=every_attempt_in_flight(), retry_after=0, after=AFTER_LOGIN + 4
        ),
        "transient",
        "Bakaláři asked us to slow down (HTTP 429).",
    ),
    "invalid UTF-8": Fails(
        lambda s: s.faults.inject("invalid_utf8", after=AFTER_LOGIN + 4),
        "protocol",
        "The server sent text that is not valid UTF-8.",
    ),
    "deeply nested JSON": Fails(
        lambda s: s.faults.inject("deep", after=AFTER_LOGIN + 4),
        "protocol",
        "The server's answer is nested too deeply to read.",
    ),
    "oversized answer": Fails(
        lambda s: s.faults.inject("huge", seconds=2 * 1024 * 1024, after=AFTER_LOGIN + 4),
        "protocol",
        "Bakaláři sent an answer larger than 1 MB; refusing to read it.",
    ),
    "token refused after renewal": Fails(
        lambda s: setattr(s, "access_token_calls", 0),
        "token_rejected",
        "Bakaláři refused a freshly issued access token.",
    ),
}


@pytest.mark.parametrize("fault", BAKALARI_FAILS.values(), ids=BAKALARI_FAILS.keys())
def test_bakalari_faults_that_fail_cleanly(bakalari, fault, tenant, settings):
    settings.SYNC_HTTP_LIMITS = {"max_response_bytes": 1024 * 1024}
    connection, sandbox = bakalari
    before = snapshot(tenant)
    fault.arrange(sandbox)

    run = run_sync(connection, sandbox)

    assert_failed_cleanly(run, fault, before)


def assert_failed_cleanly(run, fault: Fails, before: dict) -> None:
    assert run.status == SyncRun.Status.FAILED
    assert run.error_kind == fault.kind
    assert run.error_message.startswith(fault.sentence)
    assert snapshot(run.connection.tenant) == before
    run.connection.refresh_from_db()
    assert run.connection.last_sync_status == "failed"
    assert run.connection.last_error == run.error_message


@pytest.fixture
def bakalari_over_loopback(bakalari, settings):
    """The same connection, over real HTTP: a hang needs a socket that times out."""
    connection, sandbox = bakalari
    settings.SYNC_HTTP_LIMITS = {"timeout": 0.2}
    with LoopbackServer(sandbox) as server:
        connection.base_url = server.url + BAKALARI_PREFIX
        connection.save()
        yield connection, sandbox


def test_a_hang_past_the_timeout_is_retried_to_success(bakalari_over_loopback, tenant):
    connection, sandbox = bakalari_over_loopback
    sandbox.faults.inject("hang", seconds=0.5, after=AFTER_LOGIN + 2)
    run = connection_sync(connection)
    assert run.status == SyncRun.Status.OK, run.error_message
    assert not sandbox.faults.queued
    assert bakalari_change_arrived(tenant, sandbox)


def test_hanging_on_every_attempt_fails_cleanly(bakalari_over_loopback, tenant):
    connection, sandbox = bakalari_over_loopback
    before = snapshot(tenant)
    sandbox.faults.inject(
        "hang", count=every_attempt_in_flight(), seconds=0.5, after=AFTER_LOGIN + 2
    )
    run = connection_sync(connection)
    fault = Fails(None, "transient", "Bakaláři did not answer within 0.2 seconds.")
    assert_failed_cleanly(run, fault, before)


def connection_sync(connection):
    """A run as cron makes it: the client talks to the connection's address itself."""
    return sync_connection(connection, trigger="cli")


class ChangeMidRun:
    """Upstream changes while the run reads it: `change` runs before the `at`-th request."""

    def __init__(self, sandbox, at: int, change: Callable) -> None:
        self.sandbox, self.at, self.change, self.seen = sandbox, at, change, 0

    def __call__(self, environ, start_response):
        self.seen += 1
        if self.seen == self.at:
            self.change()
        return self.sandbox(environ, start_response)


def test_a_pupil_leaving_mid_run_is_kept_then_marked_missing_next_run(bakalari, tenant, settings):
    connection, sandbox = bakalari
    school = sandbox.school
    settings.SYNC_HTTP_LIMITS = {"max_in_flight": 1}  # the rosters asked for in their order
    # the first class's five rosters are requests 5 to 9 (the session is kept: no login; the
    # events come first); she leaves after her whole-class roster was read, before her
    # half-class ones
    leaver = school.pupils[1]
    mid_run = ChangeMidRun(sandbox, 7, lambda: school.remove_pupil(leaver.id))

    run = run_sync(connection, mid_run)

    assert run.status == SyncRun.Status.OK, run.error_message
    assert mid_run.seen > mid_run.at
    # the run writes what it read: she was in a roster, so she stays until the next run
    assert Pupil.objects.get(tenant=tenant, external_id=leaver.id).active
    assert refs_agree_with_rows(tenant) == []
    again = run_sync(connection, sandbox)
    assert again.counts["pupil"]["missing"] == 1
    assert not Pupil.objects.get(tenant=tenant, external_id=leaver.id).active


SARI_RECOVERS = {
    "INTERNAL_SERVER_ERROR status": Recovered(
        lambda s: s.inject_status("INTERNAL_SERVER_ERROR", count=2),
        lambda s, run, before: not s.statuses,
    ),
    "token expiry after N calls": Recovered(
        lambda s: setattr(s, "token_calls", 4),
        lambda s, run, before: s.token_requests() > 2,
        one_at_a_time=True,
    ),
    "503 on the token endpoint": Recovered(
        lambda s: s.faults.inject("error", status=503),
        lambda s, run, before: s.token_requests() == 2,
    ),
}


@pytest.mark.parametrize("fault", SARI_RECOVERS.values(), ids=SARI_RECOVERS.keys())
def test_sari_faults_that_are_retried_to_success(sari, fault, tenant, settings):
    connection, sandbox = sari
    if fault.one_at_a_time:
        settings.SYNC_HTTP_LIMITS = {"max_in_flight": 1}
    fault.arrange(sandbox)
    sandbox.requests.clear()

    run = run_sync(connection, sandbox)

    assert run.status == SyncRun.Status.OK, run.error_message
    assert fault.proof(sandbox, run, None)
    assert sari_change_arrived(tenant, sandbox)
    assert refs_agree_with_rows(tenant) == []


SARI_FAILS = {
    "INTERNAL_SERVER_ERROR beyond the attempts": Fails(
        lambda s: s.inject_status("INTERNAL_SERVER_ERROR", count=3),
        "transient",
        "SARI reported an internal error (INTERNAL_SERVER_ERROR).",
    ),
    "malformed JSON": Fails(
        lambda s: s.faults.inject("malformed", after=3),
        "protocol",
        "The server did not answer with JSON.",
    ),
    "a status the sync does not know": Fails(
        lambda s: s.inject_status("COURSE_CLOSED"),
        "upstream",
        "SARI refused the VKU course list: for a reason the sync does not know (COURSE_CLOSED).",
    ),
    "access token refused after a new login": Fails(
        lambda s: setattr(s, "token_calls", 0),
        "token_rejected",
        "SARI refused a freshly issued access token.",
    ),
}


@pytest.mark.parametrize("fault", SARI_FAILS.values(), ids=SARI_FAILS.keys())
def test_sari_faults_that_fail_cleanly(sari, fault, tenant):
    connection, sandbox = sari
    before = snapshot(tenant)
    fault.arrange(sandbox)
    assert_failed_cleanly(run_sync(connection, sandbox), fault, before)


def test_a_part_cancelled_mid_run_leaves_its_members_alone(sari, tenant):
    connection, sandbox = sari
    # after login and both course lists, before the members of the part are read
    mid_run = ChangeMidRun(sandbox, 4, lambda: sandbox.data.cancel_part(RAPPERSWIL_1))

    run = run_sync(connection, mid_run)

    assert run.status == SyncRun.Status.OK, run.error_message
    assert not sari_change_arrived(tenant, sandbox)  # its member list was never read
    assert refs_agree_with_rows(tenant) == []
    with time_machine.travel(SARI_TODAY, tick=False):  # still ahead: cancelled, not held
        run_sync(connection, sandbox)
    assert not CourseSession.objects.get(tenant=tenant, external_id=str(RAPPERSWIL_1)).active
