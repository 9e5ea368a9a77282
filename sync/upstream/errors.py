"""The error kinds of a sync. Each knows the sentence an admin reads and whether to retry.

`message` is for people (admin pages, stored run errors); `detail` is technical context for the
log. Neither may ever contain a secret, a token or a URL's query string; what a server echoes
back into them is scrubbed by `sync.upstream.scrub` where a run fails and where a test ends.
"""


class SyncError(Exception):
    kind = "internal"
    step = "sync"
    retryable = False
    # What a person does about it: the troubleshooting table's answer, in one or two sentences.
    remedy = "Look up the run's id in the log of the process that ran it; the next run tries again."

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
    remedy = (
        "Fill in or correct the setting the message names on the connection's page, then "
        "test the connection."
    )


class BadCredentials(SyncError):
    """The server rejected the username, password or client credentials. Not retried."""

    kind = "bad_credentials"
    step = "login"
    remedy = (
        "Enter the current credentials on the connection's page and test it (the password may "
        "have been changed). Not retried, so the account is never locked by the sync."
    )


class TokenRejected(SyncError):
    """An access or refresh token is expired or invalid; the client renews it at most once."""

    kind = "token_rejected"
    step = "login"
    remedy = (
        "The account may be locked or lack API rights: ask the school's administrator (for "
        "SARI, KYBERNA), then test the connection."
    )


class PermissionDenied(SyncError):
    """Logged in, but the account lacks a module or right the sync needs."""

    kind = "permission"
    step = "permission"
    remedy = "Give the account the module or right the message names, or use another account."


class TransientError(SyncError):
    """Timeouts, connection failures, 5xx and 429: worth retrying with backoff."""

    kind = "transient"
    step = "http"
    retryable = True
    remedy = (
        "Already retried. Check the server's address, its availability and any firewall; "
        "runs recover by themselves at the next tick once it answers."
    )

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ProtocolError(SyncError):
    """The answer is not what the API promises: not JSON, wrong shape, too big, bad UTF-8."""

    kind = "protocol"
    step = "server"
    remedy = (
        "The address may point at something else (a web page, a proxy), or the server is "
        "broken: test the connection, which names the failing step."
    )


class UpstreamError(SyncError):
    """The API answered with a business error code (for example SARI's status field)."""

    kind = "upstream"
    step = "http"
    remedy = "Read the code the server gave in the message; it names what it refused."

    def __init__(self, message: str, *, code: str = "", **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.code = code


class StorageError(SyncError):
    """The database refused a write; the transaction rolled back, so nothing was written."""

    kind = "database"
    remedy = (
        "Check the database (disk space, connections, `manage.py migrate`). Nothing of the run "
        "was written; the next run writes everything."
    )

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


# Kinds a run records without an exception class of their own.
OTHER_REMEDIES = {
    "abandoned": "The process running the sync stopped; the next run cleans up and syncs again.",
}


def remedy_for(kind: str) -> str:
    """What to do about a run that failed with `kind`; the generic advice for an unknown one."""
    for error in (SyncError, *all_subclasses(SyncError)):
        if error.kind == kind:
            return error.remedy
    return OTHER_REMEDIES.get(kind, SyncError.remedy)


def all_subclasses(cls) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *all_subclasses(sub)]
    return found
