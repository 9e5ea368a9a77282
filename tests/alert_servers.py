"""Where alerts go in tests: a real SMTP server and a real webhook receiver on loopback.

`smtp_server` points Django's mail settings at itself; `webhook_receiver` answers POSTs with a
status a test chooses. Both collect what they received, for the test to read.
"""

import email
import email.policy
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

__all__ = ["smtp_server", "webhook_receiver", "silent_server"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPServer:
    """aiosmtpd on 127.0.0.1: `.messages` (email.message.EmailMessage, as received), `.refused`
    (addresses it answers 550 to), `.stop()` and `.start()` on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.refused: set[str] = set()
        self.controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(settings):
    server = SMTPServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    server.start()
    yield server
    server.stop()


class WebhookReceiver(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1: `.posts` holds (path, headers, JSON body or None) of each
    POST, `.bodies` its body as text; `.status` is what it answers (200 unless a test sets
    another); `.url` its address."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), WebhookHandler)
        self.posts: list[tuple[str, dict, object]] = []
        self.bodies: list[str] = []
        self.status = 200
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class WebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self.server.posts.append((self.path, dict(self.headers), body))
        self.server.bodies.append(raw.decode(errors="replace"))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args) -> None:  # quiet: the tests read .posts
        pass


@pytest.fixture
def webhook_receiver():
    server = WebhookReceiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_server():
    """A port on 127.0.0.1 that takes connections and never answers; yields its port."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]
