"""No password, access token or refresh token of Bakaláři ever reaches a log or an error."""

import logging
import traceback

import pytest

from sync.sources.bakalari import dataset
from sync.upstream.errors import SyncError
from sync.upstream.sandbox import LoopbackServer
from tests.fixtures_bakalari import BAKALARI_PREFIX

WRONG_PASSWORD = "Chybné-Heslo-Ž9"


@pytest.fixture
def all_logs(caplog):
    """Every record at DEBUG, httpx's and httpcore's wire logs included."""
    for name in (None, "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture
def loopback(bakalari_client_for, bakalari_sandbox):
    """Clients talking real HTTP to the sandbox, so that httpcore logs its traffic."""
    with LoopbackServer(bakalari_sandbox) as server:

        def make(**options):
            options.update(base_url=server.url + BAKALARI_PREFIX, transport=None)
            return bakalari_client_for(allow_insecure=True, **options)

        yield make


def secrets_of(sandbox) -> list[str]:
    return [dataset.DEMO_PASSWORD, WRONG_PASSWORD, *sandbox.issued_tokens()]


def texts_of(records, errors) -> list[str]:
    texts = []
    for record in records:
        texts += [record.getMessage(), repr(record.args), repr(vars(record))]
        if record.exc_info:
            texts.append("".join(traceback.format_exception(*record.exc_info)))
    for error in errors:
        texts += [str(error), repr(error), error.detail]
        texts.append("".join(traceback.format_exception(error)))
    return texts


def assert_no_secrets(sandbox, records, errors) -> None:
    secrets = secrets_of(sandbox)
    assert len(secrets) > 2  # tokens were issued, so the check means something
    for text in texts_of(records, errors):
        for secret in secrets:
            assert secret not in text


def test_a_succeeding_run_logs_no_secret(all_logs, loopback, bakalari_sandbox, bakalari_clock):
    sessions = []
    client = loopback(on_session=sessions.append)
    client.user()
    bakalari_clock.advance(3600)  # a proactive refresh
    atom = client.marking_atoms()[0]
    bakalari_sandbox.access_token_calls = 1  # a refresh after a 401
    client.marking_marks(atom["Id"])
    bakalari_sandbox.access_token_calls = None
    client.timetable_permanent()
    client.events()
    assert len(sessions) == 3
    assert {"httpx", "httpcore.http11"} <= {r.name for r in all_logs.records}
    assert_no_secrets(bakalari_sandbox, all_logs.records, [])
    assert dataset.DEMO_PASSWORD not in repr(sessions)


def test_a_failing_run_logs_no_secret(all_logs, loopback, bakalari_sandbox, bakalari_clock):
    sessions, errors = [], []
    loopback(on_session=sessions.append).user()
    bakalari_sandbox.refresh_tokens.clear()
    bakalari_clock.advance(3600)
    failing = [
        loopback(password=WRONG_PASSWORD),  # refused password
        loopback(password=WRONG_PASSWORD, session=sessions[-1]),  # refused refresh, password
        loopback(password=None, session=sessions[-1]),  # refused refresh, no password
    ]
    for client in failing:
        with pytest.raises(SyncError) as caught:
            client.user()
        errors.append(caught.value)
    bakalari_sandbox.access_token_calls = 0
    with pytest.raises(SyncError) as caught:
        loopback().user()  # refused token even after renewal
    errors.append(caught.value)
    kinds = [error.kind for error in errors]
    assert kinds == ["bad_credentials"] * 2 + ["token_rejected"] * 2
    assert_no_secrets(bakalari_sandbox, all_logs.records, errors)


def test_the_client_and_its_tokens_do_not_show_secrets_in_repr(bakalari_client):
    bakalari_client.user()
    tokens = bakalari_client._tokens
    shown = repr(bakalari_client) + repr(tokens)
    assert dataset.DEMO_USERNAME in shown
    for secret in (dataset.DEMO_PASSWORD, tokens.access_token, tokens.refresh_token):
        assert secret not in shown
