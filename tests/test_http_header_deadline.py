"""The deadline per attempt covers the status line and the headers, not only the body.

A real loopback server sends its status line and then header lines that never end, one byte at
a time, each byte far sooner than the read timeout: only the deadline can stop it. The server
keeps going until the client hangs up, or gives up itself after a safety limit that a client
without the deadline would reach.
"""

import itertools
import select
import socket
import threading
import time

import pytest

from sync.upstream.errors import TransientError
from sync.upstream.http import HttpClient, Limits, RetryPolicy

DEADLINE = 1.0
PAUSE = 0.02  # between bytes; the read timeout below is 250 times longer
SAFETY = 60.0  # seconds a server trickles to one connection before giving up itself


class TricklingServer:
    """Answers each connection with an endless header block, a byte every PAUSE seconds."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.hung_up = []  # per connection: True if the client hung up mid-headers
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self) -> None:
        while not self.done.is_set():
            if select.select([self.sock], [], [], 0.05)[0]:
                connection, _ = self.sock.accept()
                with connection:
                    self.hung_up.append(self.trickle(connection))

    def trickle(self, connection: socket.socket) -> bool:
        """Whether the client hung up before the safety limit."""
        connection.recv(65536)  # the request
        give_up = time.monotonic() + SAFETY
        for byte in header_bytes():
            if time.monotonic() > give_up or self.done.is_set():
                return False
            try:
                connection.sendall(byte)
            except OSError:
                return True
            if select.select([connection], [], [], PAUSE)[0] and not connection.recv(1):
                return True
        return False

    def __enter__(self) -> "TricklingServer":
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.done.set()
        self.thread.join(SAFETY)
        self.sock.close()


def header_bytes():
    """The status line, then header lines without end, a byte at a time."""
    lines = itertools.chain([b"HTTP/1.1 200 OK\r\n"], itertools.repeat(b"X-Pad: 1\r\n"))
    for line in lines:
        yield from (bytes([b]) for b in line)


@pytest.fixture
def trickling():
    with TricklingServer() as server:
        yield server


def client_of(server: TricklingServer, attempts: int) -> HttpClient:
    return HttpClient(
        server.url,
        server_name="School",
        limits=Limits(timeout=5.0, deadline=DEADLINE),
        retry=RetryPolicy(attempts=attempts, first_wait=0.01, max_wait=0.05),
        allow_insecure=True,
    )


def test_headers_trickled_forever_are_cut_off_at_the_deadline(trickling):
    started = time.monotonic()
    with client_of(trickling, attempts=1) as client, pytest.raises(TransientError) as caught:
        client.request("GET", "/")
    elapsed = time.monotonic() - started
    assert caught.value.message == "School did not answer within 1 seconds."  # not the 5 s read
    assert caught.value.step == "timeout" and caught.value.retryable
    assert DEADLINE <= elapsed < SAFETY / 2
    wait_for(lambda: trickling.hung_up, SAFETY)
    assert trickling.hung_up == [True]  # the client left while the headers were still coming


def test_each_attempt_at_trickled_headers_ends_at_its_deadline(trickling):
    with client_of(trickling, attempts=2) as client, pytest.raises(TransientError, match="1 sec"):
        client.request("GET", "/")
    assert client.requests_made == 2
    wait_for(lambda: len(trickling.hung_up) == 2, SAFETY)
    assert trickling.hung_up == [True, True]


def wait_for(condition, seconds: float) -> None:
    """The server notices a hang-up at its next byte; a loaded machine may take a while."""
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        time.sleep(0.01)
