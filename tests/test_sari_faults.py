"""Injected faults: what the SARI client retries, what it refuses, and how long it waits."""

import time

import pytest

from sync.upstream.errors import ProtocolError, TransientError
from sync.upstream.http import Limits, RetryPolicy
from sync.upstream.sandbox import LoopbackServer
from tests.fixtures_sari import SARI_PREFIX


@pytest.fixture
def logged_in(sari_client):
    """Faults are consumed by the next requests: log in first so they hit the API call."""
    sari_client.login()
    return sari_client


@pytest.fixture
def loopback(sari_client_for, sari_sandbox):
    """Clients talking real HTTP to the sandbox on 127.0.0.1."""
    with LoopbackServer(sari_sandbox) as server:

        def make(**options):
            options.update(base_url=server.url + SARI_PREFIX, transport=None)
            return sari_client_for(allow_insecure=True, **options)

        yield make


def test_latency_slows_but_does_not_fail(logged_in, sari_sandbox):
    sari_sandbox.faults.latency = 0.05
    started = time.monotonic()
    assert len(logged_in.courses("VKU")) == 4
    assert time.monotonic() - started >= 0.05


def test_a_share_of_server_errors_is_retried_to_success(sari_client_for, sari_sandbox):
    client = sari_client_for(retry=RetryPolicy(attempts=8, first_wait=0.001, max_wait=0.005))
    sari_sandbox.faults.error_rate = 0.4
    for _ in range(10):
        assert len(client.courses("PGS")) == 2
    assert client.requests_made > 11  # some answers were 503 and asked again


def test_server_errors_beyond_the_attempts_fail_as_transient(logged_in, sari_sandbox):
    sari_sandbox.faults.inject("error", count=3, status=502)
    with pytest.raises(TransientError) as caught:
        logged_in.courses("VKU")
    assert caught.value.message == "SARI had an internal error (HTTP 502)."
    assert logged_in.requests_made == 1 + 3


@pytest.mark.parametrize("errors_as_http", [False, True])
def test_internal_server_error_status_is_retried_like_a_5xx(
    logged_in, sari_sandbox, errors_as_http
):
    sari_sandbox.errors_as_http = errors_as_http  # HTTP 200 or 500, with the envelope
    sari_sandbox.inject_status("INTERNAL_SERVER_ERROR", count=2)
    assert len(logged_in.courses("VKU")) == 4
    assert logged_in.requests_made == 1 + 3


def test_internal_server_error_status_beyond_the_attempts(logged_in, sari_sandbox):
    sari_sandbox.inject_status("INTERNAL_SERVER_ERROR", count=3)
    with pytest.raises(TransientError) as caught:
        logged_in.customer("7181751", "2008-04-17")
    assert caught.value.message == "SARI reported an internal error (INTERNAL_SERVER_ERROR)."


def test_a_lost_answer_to_an_enrolment_is_retried_and_reads_as_done(logged_in, sari_sandbox):
    sari_sandbox.faults.inject("error", status=502)  # SARI enrolled her, the answer got lost
    assert logged_in.enrol(2110004, "8765432", "2008-09-09") is False  # PERSON_ALREADY_ADDED
    assert "8765432" in sari_sandbox.data.part(2110004).members


def test_a_lost_answer_to_a_removal_is_retried_and_reads_as_done(logged_in, sari_sandbox):
    sari_sandbox.faults.inject("error", status=502)
    assert logged_in.unenrol(2110004, "012345678") is False  # COURSEMEMBER_NOT_FOUND
    assert "12345678" not in sari_sandbox.data.part(2110004).members


def test_too_many_requests_waits_as_long_as_retry_after_says(logged_in, sari_sandbox):
    sari_sandbox.faults.inject("throttle", retry_after=1)
    started = time.monotonic()
    assert len(logged_in.courses("VKU")) == 4
    assert time.monotonic() - started >= 0.95  # not the test policy's 0.01 s backoff


def test_a_server_error_on_the_login_is_retried(sari_client, sari_sandbox):
    sari_sandbox.faults.inject("error", status=503)
    assert len(sari_client.courses("VKU")) == 4
    assert sari_sandbox.token_requests() == 2


def test_a_hang_past_the_timeout_is_retried_over_real_http(loopback, sari_sandbox):
    client = loopback(limits=Limits(timeout=0.3))
    client.login()
    sari_sandbox.faults.inject("hang", seconds=0.6)
    assert len(client.courses("VKU")) == 4
    assert client.requests_made == 1 + 2


def test_a_hang_past_the_timeout_on_every_attempt_fails(loopback, sari_sandbox):
    client = loopback(limits=Limits(timeout=0.2), retry=RetryPolicy(attempts=1))
    client.login()
    sari_sandbox.faults.inject("hang", seconds=0.5)
    with pytest.raises(TransientError) as caught:
        client.courses("VKU")
    assert caught.value.step == "timeout"
    assert caught.value.message == "SARI did not answer within 0.2 seconds."


def test_non_ascii_text_survives_the_version_check_over_real_http(loopback):
    assert loopback().version("Prüfung ü/ä 2026") == "Prüfung ü/ä 2026"


def test_malformed_json_is_refused(logged_in, sari_sandbox):
    sari_sandbox.faults.inject("malformed")
    with pytest.raises(ProtocolError) as caught:
        logged_in.courses("VKU")
    assert caught.value.message == "The server did not answer with JSON."


def test_an_oversized_answer_is_refused(sari_client_for, sari_sandbox):
    client = sari_client_for(limits=Limits(max_response_bytes=1024 * 1024))
    client.login()
    sari_sandbox.faults.inject("huge", seconds=2 * 1024 * 1024)
    with pytest.raises(ProtocolError) as caught:
        client.courses("VKU")
    assert caught.value.message == "SARI sent an answer larger than 1 MB; refusing to read it."


def test_invalid_utf8_is_refused(logged_in, sari_sandbox):
    sari_sandbox.faults.inject("invalid_utf8")
    with pytest.raises(ProtocolError) as caught:
        logged_in.courses("VKU")
    assert caught.value.message == "The server sent text that is not valid UTF-8."


def test_deep_nesting_is_refused(logged_in, sari_sandbox):
    sari_sandbox.faults.inject("deep")
    with pytest.raises(ProtocolError) as caught:
        logged_in.course_detail(2110003)
    assert caught.value.message == "The server's answer is nested too deeply to read."


def test_a_malformed_login_answer_is_not_sari(sari_client, sari_sandbox):
    sari_sandbox.faults.inject("malformed")
    with pytest.raises(ProtocolError) as caught:
        sari_client.login()
    assert caught.value.message == (
        "The address does not point to a SARI server (its login answer is not a JSON object)."
    )
