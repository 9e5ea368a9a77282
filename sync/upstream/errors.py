"""The error kinds of a sync. Each knows the sentence an admin reads and whether to retry.

`message` is for people (admin pages, stored run errors); `detail` is technical context for the
log. Neither may ever contain a secret, a token or a URL's query string; what a server echoes
back into them is scrubbed by `sync.upstream.scrub` where a run fails and where a test ends.
"""


class SyncError(Exception):
    kind = "internal"
    step = "sync"
    retryable = False

    def __init__(self, message: str, *, detail: str = "", step: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        if step:
            self.step = step

    def __str__(self) -> str:
        return self.message


class ConfigError(SyncError):
    """The connection is set up wrongly (missing credential, refused address, untrusted TLS)."""

    kind = "config"
    step = "config"


class BadCredentials(SyncError):
    """The server rejected the username, password or client credentials. Not retried."""

    kind = "bad_credentials"
    step = "login"


class TokenRejected(SyncError):
    """An access or refresh token is expired or invalid; the client renews it at most once."""

    kind = "token_rejected"
    step = "login"


class PermissionDenied(SyncError):
    """Logged in, but the account lacks a module or right the sync needs."""

    kind = "permission"
    step = "permission"


class TransientError(SyncError):
    """Timeouts, connection failures, 5xx and 429: worth retrying with backoff."""

    kind = "transient"
    step = "http"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ProtocolError(SyncError):
    """The answer is not what the API promises: not JSON, wrong shape, too big, bad UTF-8."""

    kind = "protocol"
    step = "server"


class UpstreamError(SyncError):
    """The API answered with a business error code (for example SARI's status field)."""

    kind = "upstream"
    step = "http"

    def __init__(self, message: str, *, code: str = "", **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.code = code


class StorageError(SyncError):
    """The database refused a write; the transaction rolled back, so nothing was written."""

    kind = "database"

    def __init__(self, error: Exception) -> None:
        first_line = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
        super().__init__(
            "The database refused to save the synced data, so nothing of this run was written. "
            f"It said: {type(error).__name__}: {first_line}",
            detail=repr(error)[:1000],
        )


def shape_error(server_name: str, what: str, expected: str) -> ProtocolError:
    """An answer that is valid JSON but not shaped as the API promises."""
    return ProtocolError(
        f"{server_name} sent {what} in an unexpected form (expected {expected}).",
        detail=f"{what}: expected {expected}",
    )
