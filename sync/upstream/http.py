"""The one HTTP client every source uses: timeouts, size cap, in-flight cap, retries, error kinds.

Requests are described in logs and errors by method and path only. Query strings (SARI puts
its four secrets there) are dropped by construction, including from httpx's own log records.
"""

import functools
import json
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from sync.upstream import network, url_policy
from sync.upstream.errors import ConfigError, ProtocolError, SyncError, TransientError

log = logging.getLogger(__name__)
USER_AGENT = "EduRPG-sync/0.1 (+https://github.com/edurpg/edurpg-sync)"


class DropQueryStrings(logging.Filter):
    """httpx logs full URLs; keep scheme, host and path only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                a.copy_with(query=None, fragment=None) if isinstance(a, httpx.URL) else a
                for a in record.args
            )
        return True


logging.getLogger("httpx").addFilter(DropQueryStrings())


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    first_wait: float = 0.5
    max_wait: float = 8.0
    total_seconds: float = 60.0
    retry_after_cap: float = 30.0

    @classmethod
    def from_settings(cls) -> "RetryPolicy":
        return cls(**getattr(settings, "SYNC_HTTP_RETRY", {}))


@dataclass(frozen=True)
class Limits:
    timeout: float = 15.0
    # The timeout bounds each read only; a server sending its headers or body a byte at a time,
    # each within the timeout, would hold the request, and the run's lease, forever. This bounds
    # the whole attempt: connecting, sending, the status line, the headers and the body.
    deadline: float = 120.0
    max_in_flight: int = 4
    max_response_bytes: int = 50 * 1024 * 1024

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(**getattr(settings, "SYNC_HTTP_LIMITS", {}))


@dataclass(frozen=True)
class Response:
    status_code: int
    headers: httpx.Headers
    content: bytes
    description: str = field(default="")

    def json(self):
        """The body as JSON, or ProtocolError saying how it is broken."""
        try:
            text = self.content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ProtocolError(
                "The server sent text that is not valid UTF-8.", detail=self.description
            ) from None
        try:
            return json.loads(text)
        except RecursionError:
            raise ProtocolError(
                "The server's answer is nested too deeply to read.", detail=self.description
            ) from None
        except ValueError as exc:
            raise ProtocolError(
                "The server did not answer with JSON.", detail=f"{self.description}: {exc}"
            ) from None


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's own default (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), loaded once per process:
    loading the CAs takes longer than a whole sync of a small connection, and one context
    serves every client and thread."""
    return httpx.create_ssl_context()


class HttpClient:
    """One per connection. Thread-safe; counts the requests it made."""

    def __init__(
        self,
        base_url: str,
        *,
        server_name: str,
        transport: httpx.BaseTransport | None = None,
        limits: Limits | None = None,
        retry: RetryPolicy | None = None,
        allow_insecure: bool | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.server_name = server_name
        self.limits = limits or Limits.from_settings()
        self.retry = retry or RetryPolicy.from_settings()
        if allow_insecure is None:
            allow_insecure = settings.SYNC_ALLOW_INSECURE_URLS
        self.allow_insecure = allow_insecure
        # An injected transport (the in-process sandboxes) is a network of its own.
        self._check_url = transport is None
        if transport is None:
            transport = network.GuardedTransport(
                ssl_context=tls_context(), check_addresses=not allow_insecure
            )
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(self.limits.timeout, connect=min(self.limits.timeout, 10.0)),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )
        self._slots = threading.BoundedSemaphore(self.limits.max_in_flight)
        self._count_lock = threading.Lock()
        self.requests_made = 0

    def close(self) -> None:
        self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    def request(self, method: str, path: str, *, retry: bool = True, **kwargs) -> Response:
        """Send `method path` (joined to the base by concatenation, so prefixes survive).

        Transient faults are retried per the policy; any other status is returned as is.
        """
        if not retry:
            return self._send(method, path, **kwargs)
        policy = self.retry
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, SyncError) and e.retryable),
            stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.total_seconds),
            wait=self._wait,
            reraise=True,
            before_sleep=self._log_retry,
        )
        return retrying(self._send, method, path, **kwargs)

    def _wait(self, retry_state) -> float:
        error = retry_state.outcome.exception()
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return min(retry_after, self.retry.retry_after_cap)
        backoff = wait_exponential_jitter(multiplier=self.retry.first_wait, max=self.retry.max_wait)
        return backoff(retry_state)

    def _log_retry(self, retry_state) -> None:
        error = retry_state.outcome.exception()
        log.warning(
            "retrying %s after: %s",
            self.server_name,
            error.message,
            extra={"attempt": retry_state.attempt_number, "detail": error.detail},
        )

    def _send(self, method: str, path: str, **kwargs) -> Response:
        description = f"{method} {path}"
        if self._check_url:
            self._refuse_stored_url()
        with self._slots:
            started = time.monotonic()
            try:
                response, content = self._exchange(method, path, description, started, **kwargs)
            except network.RefusedAddress:
                raise  # refused before connecting: no request was made
            except BaseException:
                self._count_request()
                raise
            self._count_request()
        elapsed = time.monotonic() - started
        log.debug("%s -> %s in %.0f ms", description, response.status_code, elapsed * 1000)
        result = Response(response.status_code, response.headers, content, description)
        transient = self.transient_answer(result)
        if transient is not None:
            raise transient
        return result

    def _exchange(self, method: str, path: str, description: str, started: float, **kwargs):
        """One attempt: every socket operation of it ends by the deadline."""
        deadline = started + self.limits.deadline
        try:
            with (
                network.deadline(deadline),
                self._client.stream(method, self.base_url + path, **kwargs) as response,
            ):
                return response, self._read_capped(response, description, deadline)
        except httpx.TimeoutException:
            passed = time.monotonic() >= deadline
            seconds = self.limits.deadline if passed else self.limits.timeout
            raise timed_out(self.server_name, seconds, description) from None
        except httpx.TransportError as exc:
            raise connection_failure(self.server_name, self.host, exc, description) from None

    def _count_request(self) -> None:
        with self._count_lock:
            self.requests_made += 1

    def transient_answer(self, response: Response) -> TransientError | None:
        """The passing fault this answer reports, to be retried: HTTP 429 and 5xx here; a source
        whose server says more in its bodies (overload in a 200, a business error in a 500)
        decides for itself."""
        if response.status_code == 429 or response.status_code >= 500:
            return overload(self.server_name, response)
        return None

    def _read_capped(self, response: httpx.Response, description: str, deadline: float) -> bytes:
        # The network's reads stop at the deadline themselves; an injected transport's do not.
        cap = self.limits.max_response_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise too_big(self.server_name, cap, description)
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            if time.monotonic() > deadline:
                raise timed_out(self.server_name, self.limits.deadline, description)
            size += len(chunk)
            if size > cap:
                raise too_big(self.server_name, cap, description)
            chunks.append(chunk)
        return b"".join(chunks)

    def _refuse_stored_url(self) -> None:
        """The stored address may have been written past the form (straight into the database):
        its scheme is checked again before each request, its host where the socket connects."""
        try:
            url_policy.check_stored(self.base_url, allow_insecure=self.allow_insecure)
        except ValidationError as exc:
            raise ConfigError(
                f"The {self.server_name} address is refused: {' '.join(exc.messages)} "
                "Correct it in the connection's settings.",
                step="config",
            ) from None


def timed_out(server_name: str, seconds: float, description: str) -> TransientError:
    return TransientError(
        f"{server_name} did not answer within {seconds:g} seconds.",
        detail=description,
        step="timeout",
    )


def too_big(server_name: str, cap: int, description: str) -> ProtocolError:
    size = f"{cap // (1024 * 1024)} MB" if cap >= 1024 * 1024 else f"{max(1, cap // 1024)} KB"
    return ProtocolError(
        f"{server_name} sent an answer larger than {size}; refusing to read it.",
        detail=description,
    )


def overload(server_name: str, response: Response) -> TransientError:
    status = response.status_code
    if status == 429:
        message = f"{server_name} asked us to slow down (HTTP 429)."
    else:
        message = f"{server_name} had an internal error (HTTP {status})."
    return TransientError(
        message,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        detail=f"{response.description}: HTTP {status}",
        step="http",
    )


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def connection_failure(server_name: str, host: str, exc: Exception, description: str):
    """Name the failed step from the exception chain: DNS, TLS or the TCP connection."""
    causes = []
    error: BaseException | None = exc
    while error is not None and len(causes) < 10:
        causes.append(error)
        error = error.__cause__ or error.__context__
    text = " ".join(str(c) for c in causes)
    detail = f"{description}: {type(exc).__name__}: {exc}"
    if any(isinstance(c, socket.gaierror) for c in causes) or "Name or service not known" in text:
        return TransientError(
            f"The server name {host} could not be found. Check the address for typos.",
            detail=detail,
            step="resolve",
        )
    if any(isinstance(c, ssl.SSLError) for c in causes) or "CERTIFICATE_VERIFY" in text:
        # Not retried: an untrusted certificate or a plain-HTTP port stays so until someone
        # fixes the server or the address.
        return ConfigError(
            f"The secure connection to {host} failed: its certificate is not valid or trusted.",
            detail=detail,
            step="tls",
        )
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "refused" in text.lower():
        return TransientError(
            f"{host} refused the connection: no {server_name} server is listening there.",
            detail=detail,
            step="connect",
        )
    return TransientError(
        f"The connection to {server_name} at {host} failed.", detail=detail, step="connect"
    )
