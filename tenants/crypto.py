"""Authenticated encryption of stored secrets, keyed from FIELD_ENCRYPTION_KEYS.

Keys are not derived from SECRET_KEY, so rotating the signing key never locks away stored
credentials. The first key encrypts; every listed key decrypts.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys can decrypt."""

    def __init__(self) -> None:
        super().__init__(
            "A stored secret cannot be decrypted with the keys in FIELD_ENCRYPTION_KEYS "
            "(was a key retired before `manage.py rotate_secrets` ran?)."
        )


@lru_cache(maxsize=4)
def _key_ring(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)"
        ) from None


def key_ring() -> MultiFernet:
    return _key_ring(tuple(settings.FIELD_ENCRYPTION_KEYS))


def newest_key() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEYS[0])


def encrypt(plaintext: str) -> str:
    return key_ring().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return key_ring().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise SecretUnreadable() from None


def rotate(token: str) -> str | None:
    """The token re-encrypted under the newest key, or None when it already is."""
    try:
        newest_key().decrypt(token.encode("ascii"))
        return None
    except InvalidToken:
        pass
    try:
        return key_ring().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise SecretUnreadable() from None


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")
