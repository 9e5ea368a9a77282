"""The token session every logged-in client shares: an access token sent as a bearer, renewed
shortly before it expires and once when a request answers 401, under one lock per client.

Renewals are serialised because several threads share a client and a server may let a refresh
token be redeemed only a few times: a thread that finds its rejected token already replaced by
another thread uses the new one instead of renewing again. Credentials the server rejected are
not tried again by the same client. A client says only how its API logs in (`_log_in`), how it
renews (`_refresh`, logging in again unless overridden) and which token it holds (`_held_token`).
"""

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sync.upstream.errors import BadCredentials, TokenRejected
from sync.upstream.http import HttpClient, Response

RENEW_MARGIN = 60.0  # seconds before the access token's expiry


@dataclass(frozen=True)
class AccessToken:
    value: str = field(repr=False)
    renew_at: float  # clock seconds


def renew_at(now: float, lifetime: float) -> float:
    """When to renew a token issued `now` for `lifetime` seconds."""
    margin = min(RENEW_MARGIN, lifetime / 2)  # short lifetimes still get some use
    return now + lifetime - margin


class TokenSession(HttpClient, ABC):
    """An HttpClient logged in with a bearer token. Thread-safe."""

    renewal = "renewal"  # what a 401 leads to, as the error's detail says it
    renewal_note = "renewing it"  # the same, as the log line says it
    locked_hint = ""  # what to check when even a fresh token is refused

    def __init__(
        self,
        base_url: str,
        *,
        server_name: str,
        clock: Callable[[], float] = time.time,
        **http_options,
    ) -> None:
        """`http_options` go to `HttpClient`: transport, limits, retry, allow_insecure."""
        super().__init__(base_url, server_name=server_name, **http_options)
        self._clock = clock
        self._token_lock = threading.Lock()
        self._refused: BadCredentials | None = None
        self._log = logging.getLogger(type(self).__module__)  # the client's own logger

    def login(self) -> None:
        """Log in now, whatever token is kept."""
        with self._token_lock:
            self._log_in()

    @abstractmethod
    def _held_token(self) -> AccessToken | None:
        """The access token in hand, due for renewal or not."""

    @abstractmethod
    def _log_in(self) -> None:
        """Obtain a token with the stored credentials; called under the lock."""

    def _refresh(self) -> None:
        """Replace the held token, due or refused; called under the lock."""
        self._log_in()

    def _authorized(self, method: str, path: str, **kwargs) -> Response:
        """Send with the access token; on a 401 renew it once and try once more."""
        token = self._access_token()
        response = self.request(method, path, headers=bearer(token), **kwargs)
        if response.status_code != 401:
            return response
        note = f"{self.server_name} refused the access token; {self.renewal_note}"
        self._log.info(note, extra=challenge(response))
        response = self.request(method, path, headers=bearer(self._renew(token)), **kwargs)
        if response.status_code == 401:
            raise TokenRejected(
                f"{self.server_name} refused a freshly issued access token. {self.locked_hint}",
                detail=f"{response.description}: HTTP 401 after {self.renewal}",
            )
        return response

    def _access_token(self) -> str:
        with self._token_lock:
            held = self._held_token()
            if held is None or self._clock() >= held.renew_at:
                self._refresh()
            return self._held_token().value

    def _renew(self, rejected: str) -> str:
        with self._token_lock:
            held = self._held_token()
            if held is None or held.value == rejected:  # else another thread renewed it meanwhile
                self._refresh()
            return self._held_token().value

    @contextmanager
    def _refusal_kept(self) -> Iterator[None]:
        """Credentials the server rejected are not tried again by this client."""
        if self._refused is not None:
            raise self._refused
        try:
            yield
        except BadCredentials as error:
            self._refused = error
            raise


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def challenge(response: Response) -> dict[str, str]:
    """The 401's WWW-Authenticate header (error code and description, never a token)."""
    return {"detail": response.headers.get("www-authenticate", "")[:300]}
