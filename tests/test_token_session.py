"""The token session the clients share, under threads sharing one client: a token due or
refused is replaced once, and rejected credentials are tried once, counted at the sandbox."""

from datetime import timedelta

import pytest

from sync.upstream.errors import BadCredentials
from tests.test_bakalari_client import run_in_threads


def test_concurrent_401s_make_one_new_login(sari_client, sari_sandbox):
    sari_client.login()
    sari_sandbox.access_tokens.clear()  # the token in hand is refused from now on
    sari_sandbox.faults.latency = 0.01
    assert len(run_in_threads(8, lambda: sari_client.courses("PGS"))) == 8
    assert sari_sandbox.token_requests() == 2


def test_a_token_due_for_renewal_is_renewed_once_for_all_threads(sari_client, sari_sandbox):
    sari_client.login()
    sari_sandbox.advance(timedelta(seconds=3600 - 30))  # inside the renewal margin
    sari_sandbox.faults.latency = 0.01
    assert len(run_in_threads(8, lambda: sari_client.courses("PGS"))) == 8
    assert sari_sandbox.token_requests() == 2


def test_rejected_credentials_are_tried_once_whatever_the_threads(sari_client_for, sari_sandbox):
    client = sari_client_for(password="wrong")
    sari_sandbox.faults.latency = 0.01

    def refused():
        with pytest.raises(BadCredentials):
            client.courses("PGS")

    run_in_threads(8, refused)
    assert sari_sandbox.token_requests() == 1
