"""Where the client's sockets may connect: the address policy judges the address each socket
connects to, when it connects, and a stored address's scheme is checked again before each
request.

Nothing here leaves the machine: names resolve through a resolver each test scripts (no query is
sent), and a socket asked to connect anywhere but loopback fails at once, before the system
call, and is recorded.
"""

import errno
import ipaddress
import socket

import pytest

from sync.models import SyncRun
from sync.run.engine import sync_connection
from sync.upstream.errors import ConfigError, TransientError
from sync.upstream.http import HttpClient, Limits, RetryPolicy
from sync.upstream.sandbox import LoopbackServer

REAL_GETADDRINFO = socket.getaddrinfo
REAL_CONNECT = socket.socket.connect
NAME = "school.example"  # .example never resolves in the public DNS either
PUBLIC = "93.184.215.14"  # a public address: judged so, never really connected to
FAST = RetryPolicy(attempts=3, first_wait=0.01, max_wait=0.05)
SHORT = Limits(timeout=1.0, deadline=5.0)


class Resolver:
    """Scripted answers: each look-up of a name takes its next answer (a list of addresses),
    the last one repeating. Numeric hosts resolve as usual; any other name is not found."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []  # of the scripted names

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        script = self.answers.get(host)
        if script:
            self.lookups.append(host)
        addresses = (script.pop(0) if len(script) > 1 else script[0]) if script else [host]
        numeric = flags | socket.AI_NUMERICHOST
        return [
            info
            for address in addresses
            for info in REAL_GETADDRINFO(address, port, family, type, proto, numeric)
        ]


@pytest.fixture(autouse=True)
def resolver(monkeypatch):
    resolver = Resolver()
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    return resolver


@pytest.fixture(autouse=True)
def connects(monkeypatch):
    """Every address a socket was asked to connect to; only loopback ones are really tried."""
    asked = []

    def connect(sock, address):
        asked.append(address[0])
        if not ipaddress.ip_address(address[0].split("%")[0]).is_loopback:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "these tests reach loopback only")
        return REAL_CONNECT(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return asked


@pytest.fixture
def listener():
    """A loopback port that accepts connections into its backlog and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        sock.setblocking(False)
        yield sock


def arrived(listener) -> int:
    count = 0
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def client_of(url: str, **options) -> HttpClient:
    options = {"retry": FAST, "limits": SHORT, "allow_insecure": False, **options}
    return HttpClient(url, server_name="School", **options)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fd12:3456::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:a00:1::1",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",
        "224.0.0.1",
        "ff05::1",
    ],
)
def test_a_name_resolving_to_a_private_address_is_refused_before_connecting(
    resolver, connects, address
):
    resolver.answers[NAME] = [[address]]
    with client_of(f"https://{NAME}") as client, pytest.raises(ConfigError) as caught:
        client.request("GET", "/api")
    assert caught.value.kind == "config" and not caught.value.retryable
    assert caught.value.message == (
        f"{NAME} resolves to a private or local address ({address}); "
        "only public servers are allowed."
    )
    assert connects == []
    assert client.requests_made == 0


def test_a_name_that_rebinds_to_loopback_is_refused_where_the_socket_connects(
    resolver, connects, listener
):
    """The first answer is public, every later one loopback: a check made once, before the
    request, would pass and the connection would then reach the loopback port."""
    port = listener.getsockname()[1]
    resolver.answers[NAME] = [[PUBLIC], ["127.0.0.1"]]
    with client_of(f"https://{NAME}:{port}") as client, pytest.raises(ConfigError) as caught:
        client.request("GET", "/api")
    assert "resolves to a private or local address (127.0.0.1)" in caught.value.message
    assert connects == [PUBLIC]  # the first attempt, stopped in-process; then a fresh look-up
    assert arrived(listener) == 0
    assert client.requests_made == 1  # the failed first attempt; the refused one made none


def test_a_name_with_a_private_address_among_public_ones_is_refused_whole(resolver, connects):
    resolver.answers[NAME] = [[PUBLIC, "10.0.0.7"]]
    with client_of(f"https://{NAME}") as client, pytest.raises(ConfigError, match="10.0.0.7"):
        client.request("GET", "/api")
    assert connects == []


def test_every_connection_looks_the_name_up_again(resolver, connects):
    resolver.answers[NAME] = [[PUBLIC]]
    with client_of(f"https://{NAME}") as client, pytest.raises(TransientError):
        client.request("GET", "/api")
    assert resolver.lookups == [NAME] * FAST.attempts
    assert connects == [PUBLIC] * FAST.attempts


def test_sandboxes_on_loopback_are_reached_by_name_when_insecure_urls_are_allowed(
    resolver, connects
):
    hosts = []

    def app(environ, start_response):
        hosts.append(environ["HTTP_HOST"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    with LoopbackServer(app) as server:
        port = server.server.server_address[1]
        resolver.answers[NAME] = [["127.0.0.1"]]
        with client_of(f"http://{NAME}:{port}", allow_insecure=True) as client:
            assert client.request("GET", "/").content == b"ok"
    assert hosts == [f"{NAME}:{port}"]  # the name travels in the Host header, not the address
    assert connects == ["127.0.0.1"]


def test_a_redirect_is_returned_not_followed(connects, listener):
    elsewhere = f"http://127.0.0.1:{listener.getsockname()[1]}/internal"

    def app(environ, start_response):
        start_response("302 Found", [("Location", elsewhere)])
        return [b""]

    with LoopbackServer(app) as server, client_of(server.url, allow_insecure=True) as client:
        response = client.request("GET", "/")
    assert response.status_code == 302
    assert response.headers["location"] == elsewhere
    assert arrived(listener) == 0
    assert client.requests_made == 1


@pytest.mark.parametrize(
    ("stored", "sentence"),
    [
        ("http://school.example", "Plain http:// is not allowed: use the https:// address."),
        ("HTTP://school.example/bakalari", "Plain http:// is not allowed"),
        ("file:///etc/passwd", "Only https:// addresses are supported, not file://."),
        ("javascript:alert(1)", "The address does not start with https://."),
        ("javascript://school.example/%0aalert(1)", "not javascript://."),
        ("ftp://school.example", "Only https:// addresses are supported, not ftp://."),
        ("https://user:secret@school.example", "Do not put a username or password"),
        ("https:///bakalari", "The address has no host name."),
    ],
)
def test_a_stored_address_the_form_would_refuse_fails_the_run_as_configuration(
    make_connection, settings, resolver, connects, stored, sentence
):
    """Written straight into the database, past the form: refused before any look-up."""
    settings.SYNC_ALLOW_INSECURE_URLS = False
    settings.SYNC_HTTP_RETRY = {"attempts": 3, "first_wait": 0.01, "max_wait": 0.05}
    resolver.answers[NAME] = [[PUBLIC]]
    connection = make_connection(base_url=stored)
    run = sync_connection(connection, trigger="cli")
    assert run.status == SyncRun.Status.FAILED
    assert run.error_kind == "config"
    assert run.error_message.startswith("The Bakaláři address is refused: ")
    assert sentence in run.error_message
    assert run.requests_made == 0
    assert resolver.lookups == [] and connects == []


def test_plain_http_is_allowed_when_insecure_urls_are(resolver, connects):
    resolver.answers[NAME] = [[PUBLIC]]
    with client_of(f"http://{NAME}", allow_insecure=True) as client, pytest.raises(TransientError):
        client.request("GET", "/")
    assert connects == [PUBLIC] * FAST.attempts  # tried (and stopped in-process), not refused
