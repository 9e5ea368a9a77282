"""One message to people: e-mail through Django's mail settings, chat and webhooks through apprise.

`deliver` never raises; it answers one sentence per failure, precise and free of secrets. A
channel's URL carries its tokens, so a channel is only ever named by its scheme and host, and
by its scheme alone where apprise reads the host as a token (slack://…). apprise's own lines,
which repeat the whole URL, are kept out of the log (settings.LOGGING) and read here instead.
"""

import logging
import re
import smtplib
import socket
import ssl
import threading
from contextlib import suppress

from django.conf import settings
from django.core import mail

from sync.upstream import url_policy

SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]{0,31}")
NOT_UNDERSTOOD = "not a channel address apprise understands."
NOT_PUBLIC = "a local or private network address; only public servers are allowed."
TEST_SUBJECT = "[EduRPG sync] test notification"

# What apprise's lines say of a failed send, as a sentence; the first that matches is told.
CHANNEL_FAILURES = (
    (re.compile(r"error=(\d{3})\b"), "answered HTTP {}."),
    (re.compile(r"Connection refused"), "refused the connection."),
    (
        re.compile(r"Failed to resolve|Name or service not known|nodename nor servname"),
        "its host name could not be found.",
    ),
    (re.compile(r"(?:connect|read) timeout=([\d.]+)"), "did not answer within {} seconds."),
    (re.compile(r"CERTIFICATE_VERIFY_FAILED"), "presented a certificate that is not trusted."),
    (re.compile(r"SSLError|SSL:"), "the secure connection failed."),
    (re.compile(r"Connection error|Socket Exception"), "could not be reached."),
)

# What an exception of the mail server says, as a sentence; the first class that matches.
MAIL_FAILURES = (
    (smtplib.SMTPAuthenticationError, "{server} refused the login (SMTP {error.smtp_code})."),
    (
        smtplib.SMTPSenderRefused,
        "{server} refused the sender {error.sender} (SMTP {error.smtp_code}).",
    ),
    (smtplib.SMTPServerDisconnected, "{server} closed the connection."),
    (smtplib.SMTPResponseException, "{server} answered SMTP {error.smtp_code}."),
    (smtplib.SMTPNotSupportedError, "{server} does not offer the TLS or login EMAIL_URL asks."),
    (ConnectionRefusedError, "{server} refused the connection."),
    (socket.gaierror, "the mail server's name {host} could not be found."),
    (TimeoutError, "{server} did not answer within {timeout:g} seconds."),
    (
        ssl.SSLCertVerificationError,
        "{server} presented a certificate that is not trusted ({error.verify_message}).",
    ),
    (ssl.SSLError, "the secure connection to {server} failed ({error.reason})."),
    (OSError, "{server} could not be reached ({reason})."),
)


def deliver(subject: str, body: str, *, emails: list[str], urls: list[str]) -> list[str]:
    """Send the message to every address and channel; one sentence per failure, [] if none."""
    failures = []
    if emails:
        failures += unfailing(f"E-mail to {', '.join(emails)}", send_mail, subject, body, emails)
    for url in urls:
        failures += unfailing(f"Channel {channel_name(url)}", send_to_channel, subject, body, url)
    return failures


def unfailing(what: str, send, *args) -> list[str]:
    """The failures `send` reports; an exception it did not foresee is one more, never raised."""
    try:
        return send(*args)
    except Exception as error:
        return [f"{what}: the message could not be sent ({type(error).__name__})."]


def send_test(whom: str, *, emails: list[str], urls: list[str]) -> list[str]:
    """A test message to the contacts of `whom` (a tenant's name, "the operator")."""
    body = (
        f"This is a test of the alert contacts of {whom} in EduRPG sync. It reached you, so a "
        "message about a connection that fails or is late will reach you here too. "
        "Nothing needs doing."
    )
    return deliver(TEST_SUBJECT, body, emails=emails, urls=urls)


# E-mail


def send_mail(subject: str, body: str, emails: list[str]) -> list[str]:
    """A message per address over one connection: a server that refuses one address still
    takes the others, and says which one it refused."""
    connection = mail.get_connection(fail_silently=False)
    try:
        connection.open()
    except OSError as error:  # smtplib's errors too
        return [f"E-mail to {', '.join(emails)}: {mail_failure(error)}"]
    try:
        return [f for address in emails if (f := send_one(connection, subject, body, address))]
    finally:
        with suppress(Exception):
            connection.close()


def send_one(connection, subject: str, body: str, address: str) -> str | None:
    message = mail.EmailMessage(
        subject, body, settings.DEFAULT_FROM_EMAIL, [address], connection=connection
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        code = next(iter(error.recipients.values()), ("?",))[0]
        return f"E-mail: the mail server refused the address {address} (SMTP {code})."
    except Exception as error:
        return f"E-mail to {address}: {mail_failure(error)}"
    return None


def mail_failure(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPServerDisconnected) and isinstance(
        error.__context__, TimeoutError
    ):
        error = error.__context__  # smtplib's word for a server that stopped answering
    host, port = settings.EMAIL_HOST, settings.EMAIL_PORT
    facts = {
        "server": f"the mail server at {host}:{port}",
        "host": host,
        "timeout": settings.EMAIL_TIMEOUT or 0,
        "error": error,
        "reason": getattr(error, "strerror", None) or type(error).__name__,
    }
    for kind, sentence in MAIL_FAILURES:
        if isinstance(error, kind):
            return sentence.format(**facts)
    return f"the message could not be sent ({type(error).__name__})."


# Channels


def send_to_channel(subject: str, body: str, url: str) -> list[str]:
    plugin = understood(url)
    name = channel_name(url, plugin)
    if plugin is None:
        return [f"Channel {name}: {NOT_UNDERSTOOD}"]
    limit = settings.SYNC_ALERT_TIMEOUT
    plugin.socket_connect_timeout = min(plugin.socket_connect_timeout, limit)
    plugin.socket_read_timeout = min(plugin.socket_read_timeout, limit)
    with AppriseLines() as lines:
        sent = plugin.notify(title=subject, body=body)
    return [] if sent else [f"Channel {name}: {channel_failure(lines.text())}"]


def understood(url: str):
    """apprise's plugin for `url`, or None where apprise does not understand it."""
    # Imported here (0.15 s): paid by the processes that send to or check a channel, not by
    # every command that loads the admin.
    import apprise

    with AppriseLines():  # its complaint repeats the URL: kept here, never logged
        try:
            return apprise.Apprise.instantiate(url)
        except Exception:
            return None


def channel_failure(text: str) -> str:
    for pattern, sentence in CHANNEL_FAILURES:
        found = pattern.search(text)
        if found:
            return sentence.format(*(f"{float(g):g}" if "." in g else g for g in found.groups()))
    return "the message was not delivered; apprise gave no reason."


def named(url: str) -> str:
    """How a channel is shown: scheme://host, or scheme://… (see `channel_name`)."""
    return channel_name(url, understood(url))


def channel_name(url: str, plugin=None) -> str:
    """scheme://host[:port] of a channel, or scheme://… where its host is a token or unknown."""
    scheme, found, _ = url.strip().partition("://")
    if not (found and SCHEME.fullmatch(scheme)):
        return "(no scheme)"
    host = channel_host(plugin)
    if not host:
        return f"{scheme.lower()}://…"
    port = f":{plugin.port}" if plugin.port else ""
    return f"{scheme.lower()}://{host}{port}"


def channel_host(plugin) -> str:
    """The host a channel connects to, where the URL names one ("" where it is a token)."""
    if plugin is None or "host" not in plugin.template_tokens or not plugin.host:
        return ""
    host = str(plugin.host)
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def channel_problem(url: str, *, allow_insecure: bool) -> str | None:
    """Why a tenant's channel is refused, in a line naming only its scheme and host; None if
    it is fine. Like a connection's address: a secure one to a public host only, unless
    SYNC_ALLOW_INSECURE_URLS (apprise's services at fixed hosts, slack://…, name none)."""
    plugin = understood(url)
    name = channel_name(url, plugin)
    if plugin is None:
        return f"Channel {name}: {NOT_UNDERSTOOD}"
    host = channel_host(plugin).strip("[]")
    if allow_insecure or not host:
        return None
    if not plugin.secure:
        return f"Channel {name}: sends in the clear; use the secure form ({secure_form(plugin)})."
    try:
        addresses = [host, *resolved(host)]
    except OSError:
        return f"Channel {name}: its host name could not be found."
    if any(url_policy.is_local_host(address) for address in addresses):
        return f"Channel {name}: {NOT_PUBLIC}"
    return None


def secure_form(plugin) -> str:
    protocol = plugin.secure_protocol
    protocol = protocol[0] if isinstance(protocol, (tuple, list)) else protocol
    return f"{protocol}://…" if protocol else "an https address"


def resolved(host: str) -> set[str]:
    """Every address `host` resolves to now (OSError where it does not)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return {info[4][0].split("%")[0] for info in infos}


class AppriseLines(logging.Handler):
    """apprise's log lines of this thread while open; apprise sends in the caller's thread, so
    deliveries side by side never read each other's."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.thread = threading.get_ident()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.records.append(record)

    def text(self) -> str:
        lines = []
        for record in self.records:
            with suppress(Exception):
                lines.append(record.getMessage())
        return "\n".join(lines)

    def __enter__(self) -> "AppriseLines":
        logging.getLogger("apprise").addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger("apprise").removeHandler(self)
