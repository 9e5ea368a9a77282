"""What every sandbox server shares: routing under a prefix, fault injection, serving.

A sandbox is a plain WSGI application, so tests reach it in-process through
`httpx.WSGITransport` and the demo reaches it over loopback HTTP (`manage.py sandbox`).
"""

import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


@dataclass
class Request:
    method: str
    path: str  # below the sandbox's prefix
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value[7:].strip() if value.lower().startswith("bearer ") else None


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (latency and hangs)
    pause: float = 0.0  # seconds between the body's pieces (a server that trickles)


def json_reply(status: int, payload, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(payload, ensure_ascii=False).encode()
    content_type = {"Content-Type": "application/json; charset=utf-8"}
    return Reply(status, body, {**content_type, **(headers or {})})


@dataclass
class Fault:
    # "none", "error", "throttle", "hang", "malformed", "huge", "invalid_utf8", "deep", and
    # "drip": the body in DRIP_PIECES pieces, `seconds` apart, so that each read is quick and
    # the whole answer slow.
    kind: str
    status: int = 503
    retry_after: int = 1
    seconds: float = 0.0


DRIP_PIECES = 10


@dataclass
class Faults:
    """Injected faults. One-shot faults are consumed by the next requests, in order."""

    latency: float = 0.0
    error_rate: float = 0.0
    seed: int = 7
    queued: list[Fault] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 - reproducible faults, not crypto

    def inject(self, kind: str, count: int = 1, *, after: int = 0, **params) -> None:
        """Fault the next `count` requests, once `after` more have been answered normally."""
        self.queued.extend(Fault("none") for _ in range(after))
        self.queued.extend(Fault(kind, **params) for _ in range(count))

    def clear(self) -> None:
        self.queued.clear()
        self.latency = 0.0
        self.error_rate = 0.0

    def next_fault(self) -> Fault | None:
        if self.queued:
            return self.queued.pop(0)
        if self.error_rate and self._random.random() < self.error_rate:
            return Fault("error")
        return None


def faulty_reply(fault: Fault, reply: Reply) -> Reply:
    if fault.kind == "none":
        return reply
    if fault.kind == "error":
        return json_reply(fault.status, {"Message": "An error has occurred."})
    if fault.kind == "throttle":
        return Reply(429, b"Too Many Requests", {"Retry-After": str(fault.retry_after)})
    if fault.kind == "hang":
        return Reply(reply.status, reply.body, reply.headers, delay=fault.seconds)
    if fault.kind == "drip":
        return Reply(reply.status, reply.body, reply.headers, pause=fault.seconds)
    if fault.kind == "malformed":
        return Reply(reply.status, reply.body[: max(1, len(reply.body) // 2)], reply.headers)
    if fault.kind == "huge":
        size = int(fault.seconds) or 60 * 1024 * 1024
        return Reply(200, b"[" + b"0," * (size // 2) + b"0]", reply.headers)
    if fault.kind == "invalid_utf8":
        return Reply(reply.status, b'{"text": "\xff\xfe broken"}', reply.headers)
    if fault.kind == "deep":
        return Reply(reply.status, b"[" * 100_000 + b"]" * 100_000, reply.headers)
    raise ValueError(f"unknown fault {fault.kind!r}")


Handler = Callable[..., Reply]


class InFlight:
    """Requests being handled right now, and the most at once since the last reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.most = 0

    def __enter__(self) -> None:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *exc_info) -> None:
        with self._lock:
            self.now -= 1

    def reset(self) -> None:
        with self._lock:
            self.most = self.now


class SandboxApp:
    """Routes (method, regex) to handlers below `prefix`; applies faults; records requests."""

    title = "Sandbox"

    def __init__(self, prefix: str = "") -> None:
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.faults = Faults()
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str]] = []  # (method, path): never query strings
        self.in_flight = InFlight()
        self._routes: list[tuple[str, re.Pattern, Handler]] = []

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(pattern + r"\Z"), handler))

    def handles(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        if not self.handles(environ.get("PATH_INFO", "")):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not found"]
        with self.in_flight:
            return self.answer(read_request(environ, self.prefix), start_response)

    def answer(self, request: Request, start_response) -> Iterable[bytes]:
        with self.lock:
            self.requests.append((request.method, request.path))
            reply = self.dispatch(request)
            fault = self.faults.next_fault()
            if fault:
                reply = faulty_reply(fault, reply)
            latency = self.faults.latency
        if reply.delay or latency:
            time.sleep(reply.delay + latency)
        status = f"{reply.status} {HTTPStatus(reply.status).phrase}"
        headers = [*reply.headers.items(), ("Content-Length", str(len(reply.body)))]
        start_response(status, headers)
        if reply.pause:
            return dripped(reply.body, reply.pause)
        return [reply.body]

    def dispatch(self, request: Request) -> Reply:
        allowed = []
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match:
                if method == request.method:
                    return handler(request, **match.groupdict())
                allowed.append(method)
        if allowed:
            return self.method_not_allowed(request)
        return self.not_found(request)

    def method_not_allowed(self, request: Request) -> Reply:
        return json_reply(405, {"Message": "Method not allowed."})

    def not_found(self, request: Request) -> Reply:
        return json_reply(404, {"Message": "Not found."})


def dripped(body: bytes, pause: float) -> Iterator[bytes]:
    """The body in DRIP_PIECES pieces with `pause` seconds between them; servers send each
    piece as it is yielded."""
    size = max(1, -(-len(body) // DRIP_PIECES))
    for start in range(0, len(body), size):
        if start:
            time.sleep(pause)
        yield body[start : start + size]


def read_request(environ, prefix: str) -> Request:
    raw_path = environ.get("PATH_INFO", "")
    # PEP 3333 hands the path over as latin-1-decoded bytes; ids may be UTF-8.
    try:
        path = raw_path.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a server that already decoded the path
        path = raw_path
    path = path[len(prefix) :] or "/"
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    content_type = environ.get("CONTENT_TYPE", "")
    form = {}
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if content_type:
        headers["content-type"] = content_type
    return Request(environ["REQUEST_METHOD"], path, query, form, headers, body)


class Mount:
    """Several sandboxes behind one server, each under its own prefix, plus an index page."""

    def __init__(self, apps: list[SandboxApp], index: Callable[[str], bytes]) -> None:
        self.apps = apps
        self.index = index

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        for app in self.apps:
            if app.prefix and app.handles(path):
                return app(environ, start_response)
        if path in ("", "/"):
            host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
            body = self.index(f"http://{host}")
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not found"]


class QuietHandler(WSGIRequestHandler):
    """Access log without query strings: SARI's token request carries secrets there."""

    def log_request(self, code="-", size="-") -> None:
        path = self.path.split("?", 1)[0]
        self.log_message('"%s %s" %s', self.command, path, code)

    def log_message(self, format, *args) -> None:
        if not getattr(self.server, "quiet", False):
            super().log_message(format, *args)


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    quiet = False
    # Many workers connect at once (fan-out benchmark, parallel syncs): the default backlog of
    # five would leave the rest to retry their connection a second later.
    request_queue_size = 128


def make_loopback_server(app, host: str = "127.0.0.1", port: int = 0, quiet: bool = False):
    server = make_server(host, port, app, server_class=ThreadingServer, handler_class=QuietHandler)
    server.quiet = quiet
    return server


class LoopbackServer:
    """Serve a WSGI app on 127.0.0.1 in a background thread (tests, benchmarks)."""

    def __init__(self, app) -> None:
        self.server = make_loopback_server(app, quiet=True)
        # a short poll interval makes shutdown quick: tests start and stop many servers
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "LoopbackServer":
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()
