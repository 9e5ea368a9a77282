"""Test connection for SARI: the first failing step, in words the driving school understands."""

import socket

import httpx
import pytest

from sync.sources.sari import dataset
from sync.sources.sari.source import SariSource
from sync.upstream.sandbox import LoopbackServer
from tests.fixtures_sari import SARI_PREFIX

pytestmark = pytest.mark.django_db


@pytest.fixture
def diagnose(sari_sandbox):
    """Test a connection against the in-process sandbox, another app, or the network (None)."""

    def run(connection, transport="sandbox"):
        if transport == "sandbox":
            transport = httpx.WSGITransport(app=sari_sandbox)
        return SariSource().test_connection(connection, transport=transport)

    return run


@pytest.fixture
def insecure_urls(settings):
    settings.SYNC_ALLOW_INSECURE_URLS = True


def web_site(environ, start_response):
    """Any web server: a page for every path, with HTTP 200."""
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [b"<!doctype html><title>Fahrschule</title><p>Willkommen"]


def missing_page(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"Not found"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_working_connection_counts_the_course_groups(diagnose, sari_connection):
    result = diagnose(sari_connection)
    assert (result.ok, result.step, result.step_name) == (True, "ok", "All checks")
    assert result.message == (
        "Logged in; SARI answered the version check and lists 4 VKU and 2 PGS course groups."
    )
    assert result.latency_ms >= 0
    assert result.summary().startswith("OK: Logged in;")


def test_the_test_stores_no_token(diagnose, sari_connection):
    diagnose(sari_connection)
    sari_connection.refresh_from_db()
    assert sari_connection.session == {}


def test_a_missing_secret_fails_at_the_settings(diagnose, sari_connection):
    sari_connection.secrets = {**sari_connection.secrets, "password": ""}
    result = diagnose(sari_connection)
    assert (result.ok, result.step, result.step_name) == (False, "config", "Settings")
    assert (
        result.message == "The SARI API password is not set. Enter it in the connection's settings."
    )


def test_an_unknown_host_fails_at_name_resolution(diagnose, sari_connection):
    sari_connection.base_url = "https://sari.fahrschule.invalid"
    result = diagnose(sari_connection, transport=None)
    assert (result.step, result.step_name) == ("resolve", "Name resolution (DNS)")
    assert result.message == (
        "The server name sari.fahrschule.invalid could not be found. Check the address for typos."
    )


def test_a_closed_port_fails_at_the_connection(diagnose, sari_connection, insecure_urls):
    sari_connection.base_url = f"http://127.0.0.1:{closed_port()}/sari"
    result = diagnose(sari_connection, transport=None)
    assert (result.step, result.step_name) == ("connect", "Connection")
    assert result.message == "127.0.0.1 refused the connection: no SARI server is listening there."


def test_plain_http_behind_https_fails_at_tls(
    diagnose, sari_connection, sari_sandbox, insecure_urls
):
    with LoopbackServer(sari_sandbox) as server:
        sari_connection.base_url = server.url.replace("http://", "https://") + SARI_PREFIX
        result = diagnose(sari_connection, transport=None)
    assert (result.step, result.step_name) == ("tls", "Secure connection (TLS)")
    assert result.message.startswith("The secure connection to 127.0.0.1 failed")


def test_a_server_that_hangs_fails_at_the_response_time(
    diagnose, sari_connection, sari_sandbox, insecure_urls, settings
):
    settings.SYNC_HTTP_LIMITS = {"timeout": 0.2}
    settings.SYNC_HTTP_RETRY = {"attempts": 1}
    sari_sandbox.faults.inject("hang", seconds=0.5)
    with LoopbackServer(sari_sandbox) as server:
        sari_connection.base_url = server.url + SARI_PREFIX
        result = diagnose(sari_connection, transport=None)
    assert (result.step, result.step_name) == ("timeout", "Response time")
    assert result.message == "SARI did not answer within 0.2 seconds."
    assert result.latency_ms >= 200


def test_an_unexpected_http_status_fails_at_the_http_answer(
    diagnose, sari_connection, sari_sandbox
):
    sari_sandbox.faults.inject("error", status=403)
    result = diagnose(sari_connection)
    assert (result.step, result.step_name) == ("http", "HTTP answer")
    assert result.message == "SARI answered the login with HTTP 403 instead of an access token."


def test_a_server_failing_on_every_attempt_fails_at_the_http_answer(
    diagnose, sari_connection, sari_sandbox
):
    sari_sandbox.faults.inject("error", count=3, status=503)
    result = diagnose(sari_connection)
    assert result.step == "http"
    assert result.message == "SARI had an internal error (HTTP 503)."


def test_a_web_site_is_not_a_sari_server(diagnose, sari_connection):
    result = diagnose(sari_connection, transport=httpx.WSGITransport(app=web_site))
    assert (result.step, result.step_name) == ("server", "Server identity")
    assert result.message == (
        "The address does not point to a SARI server (its login answer is not a JSON object)."
    )


def bad_request_page(environ, start_response):
    """A web server refusing a POST it does not expect, as many do."""
    start_response("400 Bad Request", [("Content-Type", "text/html")])
    return [b"<html><body><h1>Bad Request</h1></body></html>"]


def test_a_web_site_refusing_the_login_with_400_is_not_a_sari_server(diagnose, sari_connection):
    result = diagnose(sari_connection, transport=httpx.WSGITransport(app=bad_request_page))
    assert result.step == "server"  # not "bad credentials": nothing SARI-like answered
    assert result.message == (
        "The address does not point to a SARI server (its login answered with a web page)."
    )


def test_an_address_without_the_login_is_not_a_sari_server(diagnose, sari_connection):
    result = diagnose(sari_connection, transport=httpx.WSGITransport(app=missing_page))
    assert result.step == "server"
    assert result.message == (
        "The address does not point to a SARI server (it has no login at /oauth/v2/token)."
    )


def test_bad_client_credentials_fail_at_the_login(diagnose, sari_connection):
    sari_connection.secrets = {**sari_connection.secrets, "client_id": dataset.OTHER_CLIENT_ID}
    result = diagnose(sari_connection)
    assert (result.step, result.step_name) == ("login", "Login")
    assert result.message == "SARI rejected the client ID or client secret."


def test_a_bad_password_fails_at_the_login(diagnose, sari_connection):
    sari_connection.secrets = {**sari_connection.secrets, "password": "Lachen/See+2025=Kurs&ü"}
    result = diagnose(sari_connection)
    assert result.step == "login"
    assert result.message == "SARI rejected the API username or password."


def test_a_version_check_that_does_not_echo_fails_at_the_version(
    diagnose, sari_connection, sari_sandbox
):
    sari_sandbox.version_answer = "SARI 4.2"
    result = diagnose(sari_connection)
    assert (result.step, result.step_name) == ("version", "API version")
    assert result.message == (
        "SARI answered the version check with another text than it was sent, so this is not the "
        "interface the sync expects."
    )


@pytest.mark.parametrize(
    "username, password, code",
    [
        (dataset.ORPHAN_USERNAME, dataset.ORPHAN_PASSWORD, "DRIVINGSCHOOL_NOT_FOUND"),
        (dataset.LOCKED_USERNAME, dataset.LOCKED_PASSWORD, "NO_PERMISSION"),
    ],
)
def test_a_user_without_school_or_right_fails_at_the_permissions(
    diagnose, sari_connection, username, password, code
):
    sari_connection.secrets = {
        **sari_connection.secrets,
        "username": username,
        "password": password,
    }
    result = diagnose(sari_connection)
    assert (result.step, result.step_name) == ("permission", "Permissions")
    assert result.message.startswith("SARI refused the VKU course list: ")
    assert result.message.endswith(f"({code}).")


def test_a_school_offering_only_vku_passes_and_says_so(diagnose, sari_connection, sari_sandbox):
    sari_sandbox.data.school(dataset.DEMO_SCHOOL_ID).sections = {"VKU"}
    result = diagnose(sari_connection)
    assert result.ok, result.message
    assert result.message.endswith(
        "lists 4 VKU and no PGS course groups (the others are not offered)."
    )


def test_a_school_offering_neither_course_type_fails_at_the_permissions(
    diagnose, sari_connection, sari_sandbox
):
    sari_sandbox.data.school(dataset.DEMO_SCHOOL_ID).sections = set()
    result = diagnose(sari_connection)
    assert result.step == "permission"
    assert result.message.startswith("SARI knows neither VKU nor PGS courses")
