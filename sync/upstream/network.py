"""The sockets under the HTTP client: each address vetted where it is connected to, and every
connect, read and write of a request attempt bounded by that attempt's deadline.

httpx's own transport resolves and connects inside `socket.create_connection`, after any check
made before the request, so a name that answers public to the check and private to the
connection (DNS rebinding) would pass. Here the name is resolved once per connection, refused if
any of its addresses is not public, and the socket connects to a vetted address. TLS still
verifies the certificate against the name, which httpcore passes as the server name whatever
address the socket has, and the Host header is the URL's.
"""

import math
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import httpcore
import httpx

from sync.upstream import url_policy
from sync.upstream.errors import ConfigError

# httpx's own pool sizes, which the transport below would otherwise lose
POOL = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)

# When the current thread's request attempt must end, in time.monotonic() seconds.
_deadline: ContextVar[float] = ContextVar("attempt_deadline", default=math.inf)


class RefusedAddress(ConfigError):
    """The server's name resolved to an address the policy refuses; nothing was connected."""

    step = "resolve"


@contextmanager
def deadline(at: float) -> Iterator[None]:
    """Bound every socket operation of this thread's requests by `at` (time.monotonic())."""
    token = _deadline.set(at)
    try:
        yield
    finally:
        _deadline.reset(token)


def budget(timeout: float | None, timed_out: type[httpcore.TimeoutException]) -> float | None:
    """The operation's own timeout, shortened to what is left of the deadline."""
    left = _deadline.get() - time.monotonic()
    if left <= 0:
        raise timed_out("the request attempt's deadline has passed")
    if timeout is not None:
        left = min(left, timeout)
    return None if left == math.inf else left


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every wait ends by the deadline of the attempt using it.

    A server that sends its status line or headers a byte at a time answers each read in time;
    only the deadline stops it, as it stops a trickled body."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> "DeadlineStream":
        timeout = budget(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, connecting only to vetted addresses (unless `check_addresses`
    is off, for sandboxes on loopback) and within the deadline."""

    def __init__(self, *, check_addresses: bool) -> None:
        self.check_addresses = check_addresses
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> DeadlineStream:
        addresses = vetted_addresses(host, port) if self.check_addresses else [host]
        failure: httpcore.NetworkError | httpcore.TimeoutException | None = None
        for address in addresses:  # in the resolver's order, as socket.create_connection does
            try:
                stream = self._sockets.connect_tcp(
                    address,
                    port,
                    budget(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
                continue
            return DeadlineStream(stream)
        raise failure


def vetted_addresses(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to now, refused whole if any is not public: a name mixing
    public and private answers is a rebinding attempt or a mistake either way."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:  # reported as a connection failure that names the look-up
        raise httpcore.ConnectError(str(error)) from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        if url_policy.is_local_host(address.split("%")[0]):
            raise RefusedAddress(
                f"{host} resolves to a private or local address ({address}); "
                "only public servers are allowed."
            )
    return addresses


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over the GuardedBackend, never through a proxy (the address checked
    must be the one connected to). HTTPTransport takes no network backend, so its pool is
    replaced by one that has it."""

    def __init__(self, *, ssl_context: ssl.SSLContext, check_addresses: bool) -> None:
        super().__init__(verify=ssl_context, trust_env=False, limits=POOL)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=POOL.max_connections,
            max_keepalive_connections=POOL.max_keepalive_connections,
            keepalive_expiry=POOL.keepalive_expiry,
            network_backend=GuardedBackend(check_addresses=check_addresses),
        )
