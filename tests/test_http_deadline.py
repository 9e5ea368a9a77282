"""The overall deadline per request attempt, against a sandbox that trickles its answers.

Over real loopback HTTP, so that the pauses between pieces are the server's, as in production.
Each pause stays under the read timeout; only the deadline can stop the answer.
"""

import time

import pytest

from sync.upstream.errors import TransientError
from sync.upstream.http import Limits, RetryPolicy
from sync.upstream.sandbox import DRIP_PIECES, LoopbackServer
from tests.fixtures_bakalari import BAKALARI_PREFIX

DEADLINE = 0.5
PAUSE = 0.3  # ten pieces: 2.7 s per answer, far past the deadline; each read well within 2 s
WHOLE_ANSWER = (DRIP_PIECES - 1) * PAUSE  # no client can have read it all sooner


@pytest.fixture
def loopback(settings, bakalari_client_for, bakalari_sandbox):
    """Logged-in clients over 127.0.0.1, whose limits come from the settings unless given."""
    settings.SYNC_HTTP_LIMITS = {"timeout": 2.0, "deadline": DEADLINE}
    with LoopbackServer(bakalari_sandbox) as server:

        def make(**options):
            options.update(base_url=server.url + BAKALARI_PREFIX, transport=None)
            client = bakalari_client_for(allow_insecure=True, **options)
            client.login()
            return client

        yield make


def test_a_dripping_answer_is_cut_off_at_the_deadline(loopback, bakalari_sandbox):
    client = loopback(retry=RetryPolicy(attempts=1))
    bakalari_sandbox.faults.inject("drip", seconds=PAUSE)
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        client.user()
    # the deadline's sentence, not the 2 s read timeout's: each piece came in time
    assert caught.value.message == "Bakaláři did not answer within 0.5 seconds."
    assert caught.value.step == "timeout" and caught.value.retryable
    assert DEADLINE <= time.monotonic() - started < WHOLE_ANSWER, "cut off before the end"


def test_a_single_dripping_answer_is_retried_to_success(loopback, bakalari_sandbox):
    client = loopback()
    bakalari_sandbox.faults.inject("drip", seconds=PAUSE)
    assert client.user()["UserType"] == "teacher"
    assert client.requests_made == 3  # login, the cut-off answer, the retry


def test_an_answer_dripping_on_every_attempt_gives_up_after_the_attempts(
    loopback, bakalari_sandbox
):
    client = loopback(retry=RetryPolicy(attempts=2, first_wait=0.01, max_wait=0.05))
    bakalari_sandbox.faults.inject("drip", count=2, seconds=PAUSE)
    with pytest.raises(TransientError, match="did not answer within 0.5 seconds"):
        client.user()
    assert client.requests_made == 1 + 2


def test_an_answer_slower_than_the_read_timeout_but_within_the_deadline_succeeds(
    loopback, bakalari_sandbox
):
    client = loopback(limits=Limits(timeout=0.5, deadline=30.0), retry=RetryPolicy(attempts=1))
    bakalari_sandbox.faults.inject("drip", seconds=0.1)
    started = time.monotonic()
    assert client.user()["UserType"] == "teacher"
    assert time.monotonic() - started > 0.5  # longer than any single read may wait


def test_a_dripped_answer_arrives_whole_in_process(bakalari_client, bakalari_sandbox):
    bakalari_client.login()
    bakalari_sandbox.faults.inject("drip", seconds=0.001)
    assert bakalari_client.user()["UserType"] == "teacher"
    assert bakalari_client.requests_made == 2
