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
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address in the low 32 bits
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # the deprecated ::a.b.c.d form, :: and ::1 too
# IETF protocol assignments: not global, though some Python versions' tables say otherwise
IETF_PROTOCOL = ipaddress.IPv4Network("192.0.0.0/24")


def split_checked(url: str, *, allow_insecure: bool):
    """Parse `url` as typed and enforce the policy; return the split URL with a normalised host."""
    url = url.strip()
    if not url:
        raise ValidationError("Enter the server address, for example https://skola.example.cz.")
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(f"The address is longer than {MAX_URL_LENGTH} characters.")
    if "://" not in url:
        url = "https://" + url
    parts, host, port = split_web_url(url, allow_insecure=allow_insecure)
    if is_local_host(host) and not allow_insecure:
        raise ValidationError(
            f"{host} is a local or private network address; only public servers are allowed."
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return parts._replace(netloc=netloc)


def check_stored(url: str, *, allow_insecure: bool) -> None:
    """Refuse a stored base URL whose scheme or shape the form would refuse: it may have been
    written to the database past the form. Its host is judged where the socket connects."""
    if "://" not in url:
        raise ValidationError("The address does not start with https://.")
    split_web_url(url, allow_insecure=allow_insecure)


def split_web_url(url: str, *, allow_insecure: bool):
    """The parts of an http(s) URL without credentials, its ASCII host and its port."""
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
    return parts._replace(scheme=scheme), ascii_host(parts.hostname or ""), port


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
    """Whether `host` names this machine or an address that is not on the public internet."""
    host = host.rstrip(".")  # "localhost." is localhost to every resolver
    if host in LOCAL_HOST_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = legacy_ipv4(host)
    return address is not None and not is_public_address(address)


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A globally routable unicast address. An IPv6 form carrying an IPv4 address (mapped,
    compatible, NAT64, 6to4) is judged by the address it carries, where its packets go; Teredo,
    which tunnels to hosts behind NAT, never is."""
    carried = carried_ipv4(address)
    if carried is not None:
        return is_public_address(carried)
    if address.is_multicast or address.is_reserved or not address.is_global:
        return False  # multicast and some reserved ranges count as global to ipaddress
    if address.version == 4:
        return address not in IETF_PROTOCOL
    return not (address.is_site_local or address.teredo)


def carried_ipv4(address: ipaddress.IPv4Address | ipaddress.IPv6Address):
    """The IPv4 address an IPv6 address stands for, if it is one of the forms that carry one."""
    if address.version == 4:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64 or address in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Decimal, hex and octal IPv4 forms that resolvers accept ("2130706433", "0x7f000001")."""
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def join(parts) -> str:
    return urlunsplit(parts._replace(query="", fragment="")).rstrip("/")
