"""The Bakaláři source as the core uses it: clients from connections, the demo sandbox."""

import httpx
import pytest

from sync.sources import registry
from sync.sources.bakalari import dataset, mirror
from sync.sources.bakalari.sandbox import BakalariSandbox
from sync.sources.bakalari.source import BakalariSource
from sync.upstream.errors import ConfigError
from sync.upstream.sandbox import Mount


@pytest.fixture
def transport(bakalari_sandbox):
    return httpx.WSGITransport(app=bakalari_sandbox)


def test_the_registry_knows_bakalari():
    assert isinstance(registry.get("bakalari"), BakalariSource)


def test_a_client_keeps_its_tokens_on_the_connection(
    bakalari_connection, bakalari_sandbox, transport
):
    with BakalariSource().client(bakalari_connection, transport=transport) as client:
        client.user()
    bakalari_connection.refresh_from_db()
    assert bakalari_connection.session["refresh_token"] in bakalari_sandbox.refresh_tokens
    assert bakalari_connection.session["username"] == "synchronizace"


def test_the_next_run_resumes_the_kept_session(bakalari_connection, bakalari_sandbox, transport):
    with BakalariSource().client(bakalari_connection, transport=transport) as client:
        client.user()
    bakalari_connection.refresh_from_db()
    with BakalariSource().client(bakalari_connection, transport=transport) as client:
        client.timetable_permanent()
    assert bakalari_sandbox.requests.count(("POST", "/api/login")) == 1


def test_a_connection_without_an_address_is_a_config_error(bakalari_connection):
    bakalari_connection.base_url = ""
    with pytest.raises(ConfigError, match="The school's Bakaláři address is not set."):
        BakalariSource().client(bakalari_connection)


def test_the_demo_settings_reach_the_mounted_sandbox(make_connection, bakalari_fast_retries):
    source = BakalariSource()
    server = "http://127.0.0.1:8765"  # what `manage.py sandbox` prints
    mount = Mount([source.make_sandbox("/bakalari")], index=lambda url: b"")
    connection = make_connection(
        base_url=server + source.demo_settings["base_url"],
        options={"username": source.demo_settings["username"]},
        secrets={"password": source.demo_settings["password"]},
    )
    result = source.test_connection(connection, transport=httpx.WSGITransport(app=mount))
    assert result.ok, result.message


def test_make_sandbox_serves_below_the_prefix():
    sandbox = BakalariSource().make_sandbox("/bakalari")
    assert isinstance(sandbox, BakalariSandbox)
    assert sandbox.prefix == "/bakalari"


def read_mirror(client) -> dict:
    return mirror.read(client, None, lambda *report: None)


def test_events_without_the_show_events_right_are_left_untouched(bakalari_client, bakalari_sandbox):
    bakalari_sandbox.school.account(dataset.DEMO_USERNAME).modules["Events"] = []
    batches = read_mirror(bakalari_client)
    assert batches["event"].not_fetched
    assert batches["teacher"].records
    assert ("GET", "/api/3/events") not in bakalari_sandbox.requests


def test_a_summer_sync_reads_the_school_without_a_module_list(bakalari_client, bakalari_sandbox):
    bakalari_sandbox.summer = True
    batches = read_mirror(bakalari_client)
    assert batches["class"].records and batches["pupil"].records
    assert batches["event"].not_fetched
