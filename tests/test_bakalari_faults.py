"""The Bakaláři client under the sandbox's injected faults."""

import time

import pytest

from sync.upstream.errors import ConfigError, ProtocolError, TransientError
from sync.upstream.http import Limits, RetryPolicy
from sync.upstream.sandbox import LoopbackServer
from tests.fixtures_bakalari import BAKALARI_PREFIX

HANG = 3.0  # seconds a hanging answer takes: far past the timeout of the tests below


@pytest.fixture
def logged_in(bakalari_client):
    """Logged in already, so that the next injected fault hits a data call."""
    bakalari_client.login()
    return bakalari_client


def test_latency_is_waited_out(logged_in, bakalari_sandbox):
    bakalari_sandbox.faults.latency = 0.05
    started = time.monotonic()
    logged_in.user()
    assert time.monotonic() - started >= 0.05


def test_a_5xx_is_retried_to_success(logged_in, bakalari_sandbox):
    bakalari_sandbox.faults.inject("error", status=503)
    assert logged_in.user()["UserType"] == "teacher"
    assert logged_in.requests_made == 3  # login, the 503, the retry


def test_a_share_of_5xx_is_retried_to_success(bakalari_client_for, bakalari_sandbox):
    client = bakalari_client_for(retry=RetryPolicy(attempts=6, first_wait=0.001, max_wait=0.01))
    client.login()
    bakalari_sandbox.faults.error_rate = 0.3
    atoms = client.marking_atoms()[:20]
    rosters = [client.marking_marks(atom["Id"]) for atom in atoms]
    assert all(roster["Students"] for roster in rosters)
    calls = 1 + 1 + 1 + len(atoms)  # login, profile, atoms, one per atom
    assert client.requests_made > calls  # some answers were 503s, and were retried


def test_persistent_5xx_gives_up_after_the_attempts(logged_in, bakalari_sandbox):
    bakalari_sandbox.faults.error_rate = 1.0
    with pytest.raises(TransientError, match=r"internal error \(HTTP 503\)"):
        logged_in.user()
    assert logged_in.requests_made == 1 + 3


def test_429_waits_as_long_as_retry_after_says(logged_in, bakalari_sandbox):
    bakalari_sandbox.faults.inject("throttle", retry_after=1)
    started = time.monotonic()
    logged_in.user()
    assert time.monotonic() - started >= 1.0  # the policy's own backoff would be 0.01 s
    assert logged_in.requests_made == 3  # login, the 429, the one retry


def test_a_hang_past_the_timeout_over_real_http(bakalari_client_for, bakalari_sandbox):
    with LoopbackServer(bakalari_sandbox) as server:
        client = bakalari_client_for(
            base_url=server.url + BAKALARI_PREFIX,
            transport=None,
            allow_insecure=True,
            limits=Limits(timeout=0.5),
            retry=RetryPolicy(attempts=1),
        )
        client.login()
        bakalari_sandbox.faults.inject("hang", seconds=HANG)
        started = time.monotonic()
        with pytest.raises(TransientError) as caught:
            client.user()
        assert time.monotonic() - started < HANG, "it gave up before the server answered"
    assert caught.value.step == "timeout"
    assert caught.value.message == "Bakaláři did not answer within 0.5 seconds."
    assert client.requests_made == 2  # the login and the one attempt


def test_a_single_hang_is_retried_over_real_http(bakalari_client_for, bakalari_sandbox):
    with LoopbackServer(bakalari_sandbox) as server:
        client = bakalari_client_for(
            base_url=server.url + BAKALARI_PREFIX,
            transport=None,
            allow_insecure=True,
            limits=Limits(timeout=0.5),
        )
        client.login()
        bakalari_sandbox.faults.inject("hang", seconds=HANG)
        assert client.user()["UserType"] == "teacher"
        assert client.requests_made == 3  # the login, the attempt cut off, the retry


@pytest.mark.parametrize(
    ("fault", "sentence"),
    [
        ("malformed", "The server did not answer with JSON."),
        ("invalid_utf8", "The server sent text that is not valid UTF-8."),
        ("deep", "The server's answer is nested too deeply to read."),
    ],
)
def test_broken_answers_are_protocol_errors_and_not_retried(
    logged_in, bakalari_sandbox, fault, sentence
):
    bakalari_sandbox.faults.inject(fault)
    with pytest.raises(ProtocolError) as caught:
        logged_in.user()
    assert caught.value.message == sentence
    assert logged_in.requests_made == 2


def test_an_oversized_answer_is_refused(bakalari_client_for, bakalari_sandbox):
    client = bakalari_client_for(limits=Limits(max_response_bytes=1024 * 1024))
    client.login()
    bakalari_sandbox.faults.inject("huge", seconds=2 * 1024 * 1024)
    with pytest.raises(ProtocolError) as caught:
        client.user()
    assert caught.value.message == "Bakaláři sent an answer larger than 1 MB; refusing to read it."


def test_a_broken_login_answer_is_a_protocol_error(bakalari_client, bakalari_sandbox):
    bakalari_sandbox.faults.inject("malformed")
    with pytest.raises(ProtocolError, match="did not answer with JSON"):
        bakalari_client.user()


def test_a_failed_tls_handshake_is_not_retried(bakalari_client_for, bakalari_sandbox, settings):
    settings.SYNC_ALLOW_INSECURE_URLS = True
    with LoopbackServer(bakalari_sandbox) as server:  # plain HTTP where https:// is asked for
        url = server.url.replace("http://", "https://") + BAKALARI_PREFIX
        client = bakalari_client_for(base_url=url, transport=None)
        with pytest.raises(ConfigError) as caught:
            client.user()
    assert caught.value.step == "tls" and not caught.value.retryable
    assert client.requests_made == 1
