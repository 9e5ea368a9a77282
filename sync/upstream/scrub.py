"""A connection's secrets taken out of text that came from upstream, before anyone reads it.

The sources keep secrets out of their errors by construction, but a hostile or broken server
can echo a request back (an OAuth `error_description` quoting the posted form), and whatever a
source quotes of the answer then carries the secret. So the core scrubs once, where an outcome
leaves the sources with its connection known: a failed run (`engine.fail`: the stored run, its
log line, the connection's last error, and with them the admin pages and exports) and a
connection test (`manual.test_connection`: the admin's message and the stored result).

Scrubbed are the connection's stored secrets and its session's tokens (values under keys ending
in "token"), in every spelling they travel in, and any FRAGMENT characters of them in a row:
sources cut long upstream text, and half a secret left at the cut is still half a secret.
"""

import dataclasses
import html
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import quote, quote_plus

from sync.upstream.diagnosis import Diagnosis
from sync.upstream.errors import SyncError

# The connection whose secrets are in play in this thread (a run, a connection test).
IN_PLAY: ContextVar = ContextVar("connection_in_play", default=None)
MASK = "[secret]"
FRAGMENT = 8
# Shorter values would blank out ordinary words wherever they occur; they are not looked for.
SHORTEST = 4
COVERED = re.compile(rb"\x01+")
PERCENT_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def secrets_of(connection) -> frozenset[str]:
    """The stored secrets and session tokens of `connection` (a tenants.Connection), and of each
    further login a run reads it through (`logins_in_play`: each has its own)."""
    values = []
    for login in (connection, *getattr(connection, "logins_in_play", ())):
        session = login.session or {}
        values += [value for key, value in session.items() if key.endswith("token")]
        values += (login.secrets or {}).values()
    return frozenset(v for v in values if isinstance(v, str) and len(v) >= SHORTEST)


def spellings(secret: str) -> set[str]:
    """How a secret travels: raw, URL- and form-encoded (either hex case), JSON, HTML."""
    encoded = {quote(secret), quote(secret, safe=""), quote_plus(secret)}
    encoded |= {PERCENT_ESCAPE.sub(lambda m: m.group().lower(), e) for e in encoded}
    escaped = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    return {secret, html.escape(secret), *encoded, *escaped}


def text(value: str, secrets: frozenset[str]) -> str:
    """`value` with every spelling of each secret, and every long fragment of one, masked."""
    if not value or not secrets:
        return value
    forms = {form for secret in secrets for form in spellings(secret)}
    covered = bytearray(len(value))
    for start, end in exact(value, {f for f in forms if len(f) < FRAGMENT}):
        covered[start:end] = b"\x01" * (end - start)
    for start in fragments(value, {f for f in forms if len(f) >= FRAGMENT}):
        covered[start : start + FRAGMENT] = b"\x01" * FRAGMENT
    return masked(value, covered)


def exact(value: str, forms: set[str]) -> Iterator[tuple[int, int]]:
    """(start, end) of each occurrence of each of `forms` in `value`."""
    for form in forms:
        for match in re.finditer(re.escape(form), value):
            yield match.span()


def fragments(value: str, forms: set[str]) -> Iterator[int]:
    """Where in `value` FRAGMENT characters of one of `forms` begin."""
    pieces = {form[i : i + FRAGMENT] for form in forms for i in range(len(form) - FRAGMENT + 1)}
    for start in range(len(value) - FRAGMENT + 1):
        if value[start : start + FRAGMENT] in pieces:
            yield start


def masked(value: str, covered: bytearray) -> str:
    parts, done = [], 0
    for run in COVERED.finditer(covered):
        parts += [value[done : run.start()], MASK]
        done = run.end()
    return "".join(parts) + value[done:]


def error(failure: SyncError, connection) -> SyncError:
    """`failure` with its message and detail scrubbed, in place: wherever it goes next, it goes
    scrubbed."""
    secrets = secrets_of(connection)
    failure.message = text(failure.message, secrets)
    failure.detail = text(failure.detail, secrets)
    failure.args = (failure.message,)
    return failure


def diagnosis(result: Diagnosis, connection) -> Diagnosis:
    """The connection test's `result`, its message and detail scrubbed."""
    secrets = secrets_of(connection)
    return dataclasses.replace(
        result, message=text(result.message, secrets), detail=text(result.detail, secrets)
    )


@contextmanager
def guarding(connection):
    """While inside, every log record this thread writes is scrubbed of `connection`'s secrets
    (see ScrubSecrets): the clients' own warnings quote upstream too."""
    token = IN_PLAY.set(connection)
    try:
        yield
    finally:
        IN_PLAY.reset(token)


# What every LogRecord has; anything else was passed as `extra` and may quote upstream.
STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class ScrubSecrets(logging.Filter):
    """A handler's filter: a record written while a connection is in play leaves without its
    secrets, in its message, its extra fields and its traceback. Read at each record, so tokens
    renewed during the run are covered too."""

    def filter(self, record: logging.LogRecord) -> bool:
        connection = IN_PLAY.get()
        secrets = secrets_of(connection) if connection is not None else frozenset()
        if not secrets:
            return True
        record.msg, record.args = text(record.getMessage(), secrets), None
        for name, value in list(vars(record).items()):
            if name not in STANDARD_ATTRS and isinstance(value, str):
                setattr(record, name, text(value, secrets))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = text(record.exc_text, secrets)
        return True
