"""Each error kind the Bakaláři connector raises, with the exact sentence the admin reads."""

import json

import httpx
import pytest

from sync.sources.bakalari import dataset
from sync.sources.bakalari.source import BakalariSource
from sync.upstream.errors import (
    BadCredentials,
    ConfigError,
    PermissionDenied,
    ProtocolError,
    TokenRejected,
    TransientError,
    UpstreamError,
)


def raised(kind, call, *args):
    with pytest.raises(kind) as caught:
        call(*args)
    error = caught.value
    assert dataset.DEMO_PASSWORD not in f"{error.message} {error.detail}"
    return error


def fixed_server(answers: dict[str, tuple[int, object]]):
    """A WSGI app answering each path below /skola/bakalari with a fixed JSON body."""

    def app(environ, start_response):
        path = environ["PATH_INFO"].removeprefix("/skola/bakalari")
        status, body = answers.get(path, (404, {"Message": "Not found."}))
        start_response(f"{status} X", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    return app


def test_a_missing_password_is_a_config_error(db, make_connection):
    connection = make_connection(secrets={})
    error = raised(ConfigError, BakalariSource().client, connection)
    assert (
        error.message == "The Bakaláři password is not set. Enter it in the connection's settings."
    )


def test_a_missing_username_is_a_config_error(db, make_connection):
    connection = make_connection(options={})
    error = raised(ConfigError, BakalariSource().client, connection)
    assert (
        error.message == "The Bakaláři username is not set. Enter it in the connection's settings."
    )


def test_a_wrong_password_is_bad_credentials(bakalari_client_for):
    client = bakalari_client_for(password="špatně")
    error = raised(BadCredentials, client.user)
    assert error.message == "Bakaláři rejected the username or password."
    assert error.detail == (
        "invalid_grant Špatný login nebo heslo https://documentation.openiddict.com/errors/ID2024"
    )
    assert error.step == "login" and not error.retryable


def test_a_server_without_the_mobile_api_is_bad_credentials(bakalari_client, bakalari_sandbox):
    bakalari_sandbox.mobile_api_enabled = False
    error = raised(BadCredentials, bakalari_client.user)
    assert error.message == (
        "Bakaláři refused this app's login (client ANDR). The school may have switched off "
        "access for the Bakaláři mobile app."
    )


def test_a_token_refused_even_after_renewal_is_token_rejected(bakalari_client, bakalari_sandbox):
    bakalari_sandbox.access_token_calls = 0
    error = raised(TokenRejected, bakalari_client.user)
    assert error.message == (
        "Bakaláři refused a freshly issued access token. "
        "The account may have been locked or its password changed."
    )


def test_a_spent_session_without_a_password_is_token_rejected(
    bakalari_client_for, bakalari_sandbox, bakalari_clock
):
    sessions = []
    bakalari_client_for(on_session=sessions.append).user()
    bakalari_sandbox.refresh_tokens.clear()
    bakalari_clock.advance(3600)
    client = bakalari_client_for(password=None, session=sessions[-1])
    error = raised(TokenRejected, client.user)
    assert error.message == (
        "Bakaláři needs a new login, but no password is stored. "
        "Enter the password again in the connection's settings."
    )


def test_a_switched_off_module_is_permission_denied(bakalari_client, bakalari_sandbox):
    bakalari_sandbox.disable_module(dataset.DEMO_USERNAME, "Timetable")
    error = raised(PermissionDenied, bakalari_client.timetable_permanent)
    assert error.message == (
        "The Bakaláři account synchronizace may not use the Timetable module "
        "(right ShowTimetable). Ask the school's Bakaláři administrator to enable it."
    )


def test_a_403_from_the_server_is_permission_denied(bakalari_client, bakalari_sandbox):
    bakalari_sandbox.disable_module(dataset.DEMO_USERNAME, "Marks")
    error = raised(PermissionDenied, bakalari_client.marking_atoms)
    assert error.message == "Bakaláři does not let this account read the grade book (marking)."
    assert "An error has occurred." in error.detail


def test_an_overloaded_server_is_transient(bakalari_client, bakalari_sandbox):
    bakalari_sandbox.faults.error_rate = 1.0
    error = raised(TransientError, bakalari_client.api_version)
    assert error.message == "Bakaláři had an internal error (HTTP 503)."
    assert error.retryable


def test_an_unknown_atom_is_an_upstream_error(bakalari_client):
    error = raised(UpstreamError, bakalari_client.marking_marks, "NEEXISTUJE")
    assert error.message == "Bakaláři could not find the grade book entry 'NEEXISTUJE' (HTTP 404)."
    assert error.code == "404"


TOKENS = {"access_token": "a", "refresh_token": "r", "token_type": "Bearer", "expires_in": 3599}
EVENTS_MODULE = {"Module": "Events", "Rights": ["ShowEvents"]}
TEACHER = {"UserUID": "1/U", "FullName": "Dvořák Pavel", "UserType": "teacher"}


def test_a_wrong_shape_is_a_protocol_error_naming_what_was_expected(bakalari_client_for):
    server = fixed_server(
        {
            "/api/login": (200, TOKENS),
            "/api/3/user": (200, {**TEACHER, "EnabledModules": [EVENTS_MODULE]}),
            "/api/3/events": (200, {"Events": {"Id": "TBVQN"}}),
        }
    )
    client = bakalari_client_for(transport=httpx.WSGITransport(app=server))
    error = raised(ProtocolError, client.events)
    assert error.message == (
        "Bakaláři sent the events in an unexpected form (expected a list named Events)."
    )


def test_a_login_answer_without_tokens_is_a_protocol_error(bakalari_client_for):
    server = fixed_server({"/api/login": (200, {"token_type": "Bearer", "expires_in": 3599})})
    client = bakalari_client_for(transport=httpx.WSGITransport(app=server))
    error = raised(ProtocolError, client.user)
    assert error.message == "Bakaláři answered the login without a usable token pair."
    assert error.step == "login"


def test_other_oauth_errors_are_protocol_errors(bakalari_client_for):
    refusal = {"error": "invalid_request", "error_description": "The request is malformed."}
    server = fixed_server({"/api/login": (400, refusal)})
    client = bakalari_client_for(transport=httpx.WSGITransport(app=server))
    error = raised(ProtocolError, client.user)
    assert error.message == "Bakaláři did not accept the login request (invalid_request)."
    assert error.detail == "invalid_request The request is malformed."


def test_openiddict_error_codes_reach_the_detail(bakalari_client_for):
    error = raised(BadCredentials, bakalari_client_for(password="špatně").user)
    assert error.detail.endswith("https://documentation.openiddict.com/errors/ID2024")


def test_an_unreadable_change_date_fails_the_fetch_naming_the_value(bakalari_client_for):
    event = {"Id": "TBVQN", "Times": [], "DateChanged": "včera"}
    server = fixed_server(
        {
            "/api/login": (200, TOKENS),
            "/api/3/user": (200, {**TEACHER, "EnabledModules": [EVENTS_MODULE]}),
            "/api/3/events": (200, {"Events": [event]}),
        }
    )
    client = bakalari_client_for(transport=httpx.WSGITransport(app=server))
    error = raised(ProtocolError, client.events)
    assert error.message == "Bakaláři sent a time that cannot be read: 'včera'."
