"""The answer of "Test connection": which step failed, in plain words, and how long it took."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from sync.upstream.errors import SyncError

STEP_NAMES = {
    "config": "Settings",
    "resolve": "Name resolution (DNS)",
    "connect": "Connection",
    "tls": "Secure connection (TLS)",
    "timeout": "Response time",
    "http": "HTTP answer",
    "server": "Server identity",
    "login": "Login",
    "version": "API version",
    "permission": "Permissions",
    "ok": "All checks",
}


@dataclass(frozen=True)
class Diagnosis:
    ok: bool
    step: str
    message: str
    latency_ms: int
    detail: str = ""

    @property
    def step_name(self) -> str:
        return STEP_NAMES.get(self.step, self.step)

    def summary(self) -> str:
        verdict = "OK" if self.ok else f"Failed at {self.step_name.lower()}"
        return f"{verdict}: {self.message} ({self.latency_ms} ms)"

    @classmethod
    def failure(cls, error: SyncError, latency_ms: int) -> "Diagnosis":
        return cls(False, error.step, error.message, latency_ms, error.detail)


def run_checks(checks: Callable[[], str]) -> Diagnosis:
    """Time `checks`, which return the sentence for success; the first failure stops them."""
    started = time.monotonic()
    try:
        message = checks()
    except SyncError as error:
        return Diagnosis.failure(error, elapsed_ms(started))
    return Diagnosis(True, "ok", message, elapsed_ms(started))


def elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
