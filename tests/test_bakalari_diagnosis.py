"""Test connection for Bakaláři: the first failing step, in words an admin understands."""

import socket

import httpx
import pytest

from sync.sources.bakalari import dataset
from sync.sources.bakalari.source import BakalariSource
from sync.upstream.sandbox import LoopbackServer
from tests.fixtures_bakalari import BAKALARI_PREFIX

pytestmark = pytest.mark.django_db


@pytest.fixture
def diagnose(bakalari_sandbox):
    """Test a connection against the in-process sandbox (or over the network: transport=None)."""

    def run(connection, transport="sandbox"):
        if transport == "sandbox":
            transport = httpx.WSGITransport(app=bakalari_sandbox)
        return BakalariSource().test_connection(connection, transport=transport)

    return run


@pytest.fixture
def insecure_urls(settings):
    settings.SYNC_ALLOW_INSECURE_URLS = True


def html_server(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html")])
    return [b"<!doctype html><title>Sch\xc5\xafla</title><p>Welcome"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_working_connection_names_the_account(diagnose, bakalari_connection):
    result = diagnose(bakalari_connection)
    assert result.ok
    assert result.step == "ok"
    assert result.message == "Logged in as Dvořák Pavel (teacher), API 3.28.0."
    assert result.latency_ms >= 0
    assert result.summary().startswith("OK: Logged in as Dvořák Pavel")


def test_a_working_pupil_account(diagnose, bakalari_connection):
    bakalari_connection.options = {"username": dataset.PUPIL_USERNAME}
    bakalari_connection.secrets = {"password": dataset.PUPIL_PASSWORD}
    assert diagnose(bakalari_connection).message == (
        "Logged in as Hájek Matěj, 1.A (student), API 3.28.0."
    )


def test_the_new_tokens_are_kept_on_the_connection(diagnose, bakalari_connection, bakalari_sandbox):
    diagnose(bakalari_connection)
    bakalari_connection.refresh_from_db()
    assert bakalari_connection.session["refresh_token"] in bakalari_sandbox.refresh_tokens


def test_missing_settings(diagnose, bakalari_connection):
    bakalari_connection.secrets = {}
    result = diagnose(bakalari_connection)
    assert (result.ok, result.step, result.step_name) == (False, "config", "Settings")
    assert (
        result.message == "The Bakaláři password is not set. Enter it in the connection's settings."
    )


def test_an_unknown_host_fails_at_name_resolution(diagnose, bakalari_connection):
    bakalari_connection.base_url = "https://bakalari.skola.invalid"
    result = diagnose(bakalari_connection, transport=None)
    assert result.step == "resolve"
    assert result.message == (
        "The server name bakalari.skola.invalid could not be found. Check the address for typos."
    )


def test_a_closed_port_fails_at_connecting(diagnose, bakalari_connection, insecure_urls):
    bakalari_connection.base_url = f"http://127.0.0.1:{closed_port()}"
    result = diagnose(bakalari_connection, transport=None)
    assert result.step == "connect"
    assert result.message == (
        "127.0.0.1 refused the connection: no Bakaláři server is listening there."
    )


def test_a_server_without_tls_fails_at_the_secure_connection(
    diagnose, bakalari_connection, bakalari_sandbox, insecure_urls
):
    with LoopbackServer(bakalari_sandbox) as server:
        bakalari_connection.base_url = server.url.replace("http:", "https:") + BAKALARI_PREFIX
        result = diagnose(bakalari_connection, transport=None)
    assert result.step == "tls"
    assert result.step_name == "Secure connection (TLS)"


def test_a_server_that_hangs_fails_at_response_time(
    diagnose, bakalari_connection, bakalari_sandbox, insecure_urls, settings
):
    settings.SYNC_HTTP_LIMITS = {"timeout": 0.2}
    bakalari_sandbox.faults.inject("hang", count=3, seconds=1.0)
    with LoopbackServer(bakalari_sandbox) as server:
        bakalari_connection.base_url = server.url + BAKALARI_PREFIX
        result = diagnose(bakalari_connection, transport=None)
    assert result.step == "timeout"
    assert result.message == "Bakaláři did not answer within 0.2 seconds."


def test_a_failing_server_fails_at_the_http_answer(diagnose, bakalari_connection, bakalari_sandbox):
    bakalari_sandbox.faults.error_rate = 1.0
    result = diagnose(bakalari_connection)
    assert (result.step, result.step_name) == ("http", "HTTP answer")
    assert result.message == "Bakaláři had an internal error (HTTP 503)."


def test_the_test_tries_each_request_once_and_reports_what_happened(
    diagnose, bakalari_connection, bakalari_sandbox, settings
):
    settings.SYNC_HTTP_RETRY = {"attempts": 4, "first_wait": 0.01, "max_wait": 0.01}
    bakalari_sandbox.faults.inject("error", count=1)  # a sync would retry this and succeed
    result = diagnose(bakalari_connection)
    assert result.step == "http" and result.message.endswith("(HTTP 503).")
    assert len(bakalari_sandbox.requests) == 1


def test_a_refusing_server_fails_at_the_http_answer(diagnose, bakalari_connection):
    def forbidden(environ, start_response):
        start_response("403 Forbidden", [("Content-Type", "text/html")])
        return [b"<h1>403</h1>"]

    result = diagnose(bakalari_connection, httpx.WSGITransport(app=forbidden))
    assert result.step == "http"
    assert result.message == (
        "The server answered /api with HTTP 403 instead of the list of Bakaláři API versions."
    )


def test_a_redirect_fails_at_the_http_answer(diagnose, bakalari_connection):
    def redirect(environ, start_response):
        start_response("302 Found", [("Location", "https://skola.example.cz/login?ReturnUrl=x")])
        return [b""]

    result = diagnose(bakalari_connection, httpx.WSGITransport(app=redirect))
    assert result.step == "http"
    assert result.message.startswith("The server answered /api with a redirect (HTTP 302)")
    assert "ReturnUrl" not in result.detail


def test_a_dropped_path_prefix_is_not_a_bakalari_server(diagnose, bakalari_connection):
    bakalari_connection.base_url = "http://bakalari.test"
    result = diagnose(bakalari_connection)
    assert (result.step, result.step_name) == ("server", "Server identity")
    assert result.message == (
        "The address does not point to a Bakaláři server (/api answered HTTP 404)."
    )


def test_a_web_page_is_not_a_bakalari_server(diagnose, bakalari_connection):
    result = diagnose(bakalari_connection, httpx.WSGITransport(app=html_server))
    assert result.step == "server"
    assert result.message == (
        "The address does not point to a Bakaláři server (/api did not answer with JSON)."
    )


def test_a_server_without_api_3_fails_at_the_version(
    diagnose, bakalari_connection, bakalari_sandbox
):
    bakalari_sandbox.api_versions = [{"ApiVersion": "2.7.1", "BaseUrl": "api/2"}]
    result = diagnose(bakalari_connection)
    assert (result.step, result.step_name) == ("version", "API version")
    assert result.message == (
        "The server offers Bakaláři API 2.7.1, but not API 3, which the sync needs."
    )


def test_a_wrong_password_fails_at_login(diagnose, bakalari_connection):
    bakalari_connection.secrets = {"password": "špatné-heslo"}
    result = diagnose(bakalari_connection)
    assert (result.step, result.step_name) == ("login", "Login")
    assert result.message == "Bakaláři rejected the username or password."


def test_a_missing_timetable_module_fails_at_permissions(
    diagnose, bakalari_connection, bakalari_sandbox
):
    bakalari_sandbox.disable_module(dataset.DEMO_USERNAME, "Timetable")
    result = diagnose(bakalari_connection)
    assert (result.step, result.step_name) == ("permission", "Permissions")
    assert result.message == (
        "The Bakaláři account synchronizace may not use the Timetable module "
        "(right ShowTimetable). Ask the school's Bakaláři administrator to enable it."
    )


def test_a_teacher_without_the_grade_book_fails_at_permissions(
    diagnose, bakalari_connection, bakalari_sandbox
):
    bakalari_sandbox.disable_module(dataset.DEMO_USERNAME, "Marks")
    result = diagnose(bakalari_connection)
    assert result.step == "permission"
    assert result.message == "Bakaláři does not let this account read the grade book (marking)."


def test_a_pupil_without_subjects_fails_at_permissions(
    diagnose, bakalari_connection, bakalari_sandbox
):
    bakalari_connection.options = {"username": dataset.PUPIL_USERNAME}
    bakalari_connection.secrets = {"password": dataset.PUPIL_PASSWORD}
    bakalari_sandbox.disable_module(dataset.PUPIL_USERNAME, "Subjects")
    result = diagnose(bakalari_connection)
    assert result.step == "permission"
    assert "may not use the Subjects module" in result.message


def test_a_staff_account_of_another_type_is_not_tested_as_a_teacher(
    diagnose, bakalari_connection, bakalari_sandbox
):
    school = bakalari_sandbox.school
    headmaster = school.teachers[2]
    school.accounts.append(
        dataset.Account(
            "reditel", "Ředitel-Heslo-1", "headmastership", headmaster.id, dataset.TEACHER_MODULES
        )
    )
    bakalari_connection.options = {"username": "reditel"}
    bakalari_connection.secrets = {"password": "Ředitel-Heslo-1"}
    result = diagnose(bakalari_connection)
    assert result.ok, result.message
    assert result.message == (
        f"Logged in as {headmaster.surname_first} (headmastership), API 3.28.0."
    )
    assert ("GET", "/api/3/marking/atoms") not in bakalari_sandbox.requests
