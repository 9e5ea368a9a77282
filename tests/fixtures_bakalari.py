"""Bakaláři fixtures: the sandbox in-process, clients of it, a connection to it."""

from datetime import datetime

import httpx
import pytest

from sync.sources.bakalari import dataset
from sync.sources.bakalari.client import BakalariClient
from sync.sources.bakalari.sandbox import BakalariSandbox
from sync.upstream.http import RetryPolicy

BAKALARI_PREFIX = "/skola/bakalari"
BAKALARI_URL = "http://bakalari.test" + BAKALARI_PREFIX
BAKALARI_FAST_RETRY = {"attempts": 3, "first_wait": 0.01, "max_wait": 0.05}


class BakalariClock:
    """Wall-clock seconds that move only when a test says so; sandbox and client share it."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def bakalari_clock():
    """A Wednesday in the school year, four days before the switch to summer time."""
    return BakalariClock(datetime(2026, 3, 25, 10, 0, tzinfo=dataset.PRAGUE).timestamp())


@pytest.fixture
def bakalari_sandbox(request, bakalari_clock):
    """The faithful sandbox: each account sees its own slice. Tests marked `whole_school` get
    the opt-in account that sees the whole school (an unverified assumption), where what they
    prove is about the size of a whole school, not about what an account sees."""
    whole = request.node.get_closest_marker("whole_school") is not None
    return BakalariSandbox(BAKALARI_PREFIX, clock=bakalari_clock, whole_school_account=whole)


@pytest.fixture
def bakalari_http(bakalari_sandbox):
    """A plain httpx client of the sandbox, for tests of the sandbox itself."""
    transport = httpx.WSGITransport(app=bakalari_sandbox)
    with httpx.Client(transport=transport, base_url=BAKALARI_URL) as client:
        yield client


@pytest.fixture
def bakalari_client_for(bakalari_sandbox, bakalari_clock):
    """Make clients of the in-process sandbox (any account, any options); closed afterwards."""
    clients = []

    def make(username=dataset.DEMO_USERNAME, password=dataset.DEMO_PASSWORD, **options):
        sandbox = options.pop("sandbox", bakalari_sandbox)
        options.setdefault("transport", httpx.WSGITransport(app=sandbox))
        options.setdefault("retry", RetryPolicy(**BAKALARI_FAST_RETRY))
        options.setdefault("clock", bakalari_clock)
        client = BakalariClient(
            options.pop("base_url", BAKALARI_URL), username, password, **options
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def bakalari_client(bakalari_client_for):
    """The demo (sync) account's client."""
    return bakalari_client_for()


@pytest.fixture
def bakalari_fast_retries(settings):
    """Clients built from a connection read their retry policy from the settings."""
    settings.SYNC_HTTP_RETRY = BAKALARI_FAST_RETRY


@pytest.fixture
def bakalari_connection(make_connection, bakalari_fast_retries):
    return make_connection(
        base_url=BAKALARI_URL,
        options={"username": dataset.DEMO_USERNAME},
        secrets={"password": dataset.DEMO_PASSWORD},
    )


@pytest.fixture
def bakalari_synced(bakalari_connection, bakalari_sandbox):
    """The demo connection synced once, successfully."""
    from sync.models import SyncRun
    from tests.sync_helpers import run_sync

    run = run_sync(bakalari_connection, bakalari_sandbox)
    assert run.status == SyncRun.Status.OK, run.error_message
    return run
