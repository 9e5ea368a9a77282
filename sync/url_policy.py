"""Which base URLs a connection may point at.

https to a public host only; plain http and loopback or private hosts only when the
SYNC_ALLOW_INSECURE_URLS setting allows them (the bundled sandboxes run on loopback).
"""

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError

MAX_URL_LENGTH = 500
LOCAL_HOST_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def split_checked(url: str, *, allow_insecure: bool):
    """Parse `url` and enforce the policy; return the split URL with a normalised host."""
    url = url.strip()
    if not url:
        raise ValidationError("Enter the server address, for example https://skola.example.cz.")
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(f"The address is longer than {MAX_URL_LENGTH} characters.")
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"This is not a valid web address ({exc}).") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValidationError(f"Only https:// addresses are supported, not {scheme}://.")
    if scheme == "http" and not allow_insecure:
        raise ValidationError("Plain http:// is not allowed: use the https:// address.")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("Do not put a username or password in the address.")
    host = ascii_host(parts.hostname or "")
    if is_local_host(host) and not allow_insecure:
        raise ValidationError(
            f"{host} is a local or private network address; only public servers are allowed."
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return parts._replace(scheme=scheme, netloc=netloc)


def ascii_host(host: str) -> str:
    """The host in lower-case ASCII (IDNA for international names)."""
    if not host:
        raise ValidationError("The address has no host name.")
    try:
        encoded = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValidationError(f"{host!r} is not a valid host name.") from None
    if any(c in encoded for c in " /\\@?#%") or not encoded.isprintable() or len(encoded) > 253:
        raise ValidationError(f"{host!r} is not a valid host name.")
    return encoded


def is_local_host(host: str) -> bool:
    host = host.rstrip(".")  # "localhost." is localhost to every resolver
    if host in LOCAL_HOST_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = legacy_ipv4(host)
    return address is not None and not address.is_global


def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Decimal, hex and octal IPv4 forms that resolvers accept ("2130706433", "0x7f000001")."""
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def join(parts) -> str:
    return urlunsplit(parts._replace(query="", fragment="")).rstrip("/")
