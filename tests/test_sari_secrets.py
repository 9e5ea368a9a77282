"""No SARI secret or token ever reaches a log record, an access log line or an error.

The four secrets travel in the token request's query string, URL-encoded: "+", "/" and "="
change on the way, so each secret is looked for raw and in every encoded form.
"""

import logging
import threading
import traceback
from urllib.parse import quote, quote_plus

import httpx
import pytest

from sync.sources.sari import dataset
from sync.upstream.errors import ProtocolError, SyncError
from sync.upstream.sandbox import make_loopback_server
from tests.fixtures_sari import SARI_DEMO_CREDENTIALS, SARI_PREFIX

WRONG_SECRET = "Falsch+Geheim/0=="
WRONG_PASSWORD = "Falsches/Passwort+1="


@pytest.fixture
def all_logs(caplog):
    """Every record at DEBUG, httpx's and httpcore's wire logs included."""
    for name in (None, "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture
def access_log(capsys):
    """The loopback server's access log (stderr), read after the run."""
    return capsys


@pytest.fixture
def loopback(sari_client_for, sari_sandbox):
    """Clients talking real HTTP to the sandbox, whose server writes an access log."""
    server = make_loopback_server(sari_sandbox, quiet=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]

    def make(**options):
        options.update(base_url=f"http://{host}:{port}{SARI_PREFIX}", transport=None)
        return sari_client_for(allow_insecure=True, **options)

    yield make
    server.shutdown()
    server.server_close()


def encoded_forms(secret: str) -> set[str]:
    query = str(httpx.QueryParams({"x": secret}))[2:]
    return {secret, quote(secret), quote(secret, safe=""), quote_plus(secret), query}


def secrets_of(sandbox) -> set[str]:
    values = [*SARI_DEMO_CREDENTIALS.values(), WRONG_SECRET, WRONG_PASSWORD]
    return {form for value in values for form in encoded_forms(value)} | set(
        sandbox.issued_tokens()
    )


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


def assert_no_secrets(sandbox, records, errors, access_lines: str) -> None:
    secrets = secrets_of(sandbox)
    assert len(sandbox.issued_tokens()) >= 4  # tokens were issued, so the check means something
    assert "GET /sari/oauth/v2/token" in access_lines  # the access log was captured
    for text in [*texts_of(records, errors), access_lines]:
        for secret in secrets:
            assert secret not in text


def test_a_succeeding_run_logs_no_secret(all_logs, access_log, loopback, sari_sandbox):
    client = loopback()
    assert client.version("EduRPG-Test") == "EduRPG-Test"
    for course_type in ("VKU", "PGS"):
        client.courses(course_type)
    sari_sandbox.token_calls = 1  # the token dies: a 401 and a new login
    member = client.course_detail(2110003)[0]
    sari_sandbox.token_calls = None
    sari_sandbox.faults.inject("error", status=503)  # a retry, logged as a warning
    client.customer(member.faber_id_raw, member.birthdate)
    assert client.enrol(2110004, dataset.ELENA, "2008-09-09")
    assert client.unenrol(2110004, dataset.ELENA)
    assert sari_sandbox.token_requests() == 2
    assert {"httpx", "httpcore.http11", "sync.upstream.http"} <= {r.name for r in all_logs.records}
    assert_no_secrets(sari_sandbox, all_logs.records, [], access_log.readouterr().err)


def test_a_failing_run_logs_no_secret(all_logs, access_log, loopback, sari_sandbox):
    loopback().login()
    loopback().login()  # two good logins issue tokens, so token leaks would be caught
    failing = [
        lambda: loopback(client_secret=WRONG_SECRET).courses("VKU"),
        lambda: loopback(password=WRONG_PASSWORD).courses("VKU"),
        lambda: loopback().course_detail(2120001),
        lambda: loopback().customer("7181751", "1999-01-01"),
    ]
    errors = []
    for call in failing:
        with pytest.raises(SyncError) as caught:
            call()
        errors.append(caught.value)
    sari_sandbox.token_calls = 0
    with pytest.raises(SyncError) as caught:
        loopback().courses("PGS")  # refused even after a new login
    errors.append(caught.value)
    sari_sandbox.token_calls = None
    sari_sandbox.faults.inject("error", count=3, status=500)
    with pytest.raises(SyncError) as caught:
        loopback().login()  # the login itself fails on every attempt
    errors.append(caught.value)
    kinds = [error.kind for error in errors]
    assert kinds == ["bad_credentials"] * 2 + ["permission", "upstream", "token_rejected"] + [
        "transient"
    ]
    assert_no_secrets(sari_sandbox, all_logs.records, errors, access_log.readouterr().err)


@pytest.mark.parametrize("token", ["Tok3nGeheim7\r\nX-Leak: 1", "T\u00f6k3nGeheim7"])
def test_an_access_token_unfit_for_a_header_is_refused_without_quoting_it(
    all_logs, loopback, sari_sandbox, token
):
    sari_sandbox.token_text = token  # httpx would refuse the header and quote it in its error
    with pytest.raises(ProtocolError) as caught:
        loopback().courses("VKU")
    assert caught.value.message == (
        "The address does not point to a SARI server "
        "(its access token cannot be sent back in a header)."
    )
    assert sari_sandbox.requests == [("GET", "/oauth/v2/token")]  # never sent, never retried
    for text in texts_of(all_logs.records, [caught.value]):
        assert "nGeheim7" not in text
