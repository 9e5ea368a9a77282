"""SARI fixtures: the sandbox in-process, clients of it, a connection to it."""

from datetime import datetime

import httpx
import pytest

from sync.sources.sari import dataset
from sync.sources.sari.client import SariClient
from sync.sources.sari.formats import ZURICH
from sync.sources.sari.sandbox import SariSandbox
from sync.upstream.http import RetryPolicy

SARI_PREFIX = "/sari"
SARI_URL = "http://sari.test" + SARI_PREFIX
SARI_FAST_RETRY = {"attempts": 3, "first_wait": 0.01, "max_wait": 0.05}
SARI_TODAY = datetime(2026, 3, 10, 9, 0, tzinfo=ZURICH)  # 19 days before summer time
SARI_DEMO_CREDENTIALS = {
    "client_id": dataset.DEMO_CLIENT_ID,
    "client_secret": dataset.DEMO_CLIENT_SECRET,
    "username": dataset.DEMO_USERNAME,
    "password": dataset.DEMO_PASSWORD,
}


@pytest.fixture
def sari_clock():
    """Frozen at a Tuesday morning in March; sandbox and clients share it."""
    return dataset.Clock(SARI_TODAY.timestamp())


@pytest.fixture
def sari_sandbox(sari_clock):
    return SariSandbox(SARI_PREFIX, clock=sari_clock)


@pytest.fixture
def sari_http(sari_sandbox):
    """A plain httpx client of the sandbox, for tests of the sandbox itself."""
    transport = httpx.WSGITransport(app=sari_sandbox)
    with httpx.Client(transport=transport, base_url=SARI_URL) as client:
        yield client


@pytest.fixture
def sari_client_for(sari_sandbox, sari_clock):
    """Make clients of the in-process sandbox (any credentials, any options); closed afterwards."""
    clients = []

    def make(**options):
        credentials = {k: options.pop(k, v) for k, v in SARI_DEMO_CREDENTIALS.items()}
        sandbox = options.pop("sandbox", sari_sandbox)
        options.setdefault("transport", httpx.WSGITransport(app=sandbox))
        options.setdefault("retry", RetryPolicy(**SARI_FAST_RETRY))
        options.setdefault("clock", sari_clock)
        client = SariClient(options.pop("base_url", SARI_URL), **credentials, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def sari_client(sari_client_for):
    """The demo driving school's client."""
    return sari_client_for()


@pytest.fixture
def sari_fast_retries(settings):
    """Clients built from a connection read their retry policy from the settings."""
    settings.SYNC_HTTP_RETRY = SARI_FAST_RETRY


@pytest.fixture
def sari_connection(make_connection, sari_fast_retries):
    return make_connection(
        source="sari",
        base_url=SARI_URL,
        options={"environment": "custom"},
        secrets=dict(SARI_DEMO_CREDENTIALS),
    )
