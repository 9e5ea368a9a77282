"""SARI as the core sees it: a client from a connection, the sandbox, the demo settings."""

import pytest

from sync.sources import registry
from sync.sources.sari.client import SariClient
from sync.sources.sari.sandbox import SariSandbox
from sync.upstream.sandbox import LoopbackServer, Mount
from tenants.models import Connection

pytestmark = pytest.mark.django_db


def test_the_registry_offers_sari():
    assert registry.get("sari").label == "SARI"


def test_a_client_from_a_connection_uses_its_address_and_settings(sari_connection):
    with registry.get("sari").client(sari_connection) as client:
        assert isinstance(client, SariClient)
        assert client.base_url == "http://sari.test/sari"
        assert client.retry.attempts == 3  # from the settings
        assert repr(client) == "<SariClient http://sari.test/sari>"


def test_make_sandbox_serves_below_the_prefix():
    sandbox = registry.get("sari").make_sandbox("/sari")
    assert isinstance(sandbox, SariSandbox)
    assert sandbox.prefix == "/sari"


def test_the_demo_settings_reach_a_working_sandbox(tenant, settings):
    settings.SYNC_ALLOW_INSECURE_URLS = True
    source = registry.get("sari")
    mount = Mount([source.make_sandbox("/sari")], index=lambda url: b"")
    with LoopbackServer(mount) as server:
        values = dict(source.demo_settings)
        values["base_url"] = server.url + values["base_url"]
        location = source.locate(values, allow_insecure=True)
        connection = Connection.objects.create(
            tenant=tenant,
            source="sari",
            base_url=location.base_url,
            options=dict(location.options),
            secrets={f.name: values[f.name] for f in source.secret_fields},
        )
        result = source.test_connection(connection)
    assert location.options == {"environment": "custom"}
    assert result.ok, result.message
    assert result.message.endswith("lists 4 VKU and 2 PGS course groups.")


def test_the_preset_environments_are_unchanged():
    source = registry.get("sari")
    production = source.locate({"environment": "production"}, allow_insecure=False)
    test = source.locate({"environment": "test"}, allow_insecure=False)
    assert production.base_url == "https://www.vku-pgs.asa.ch"
    assert test.base_url == "https://sari-v4-test.ky2help.com"
