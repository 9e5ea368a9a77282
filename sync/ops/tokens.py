"""API tokens: `edurpg_<prefix>_<secret>`, looked up by prefix, compared in constant time."""

import hashlib
import hmac
import secrets

from django.utils import timezone

from sync.models import ApiToken

SCHEME = "edurpg"


def digest(token: str) -> str:
    # The secret part is 32 random bytes, so a plain hash is as strong as a slow one here.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str) -> tuple[ApiToken, str]:
    """A new token and its clear text, which is never stored and never shown again."""
    prefix = secrets.token_hex(4)
    token = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    return ApiToken.objects.create(name=name, prefix=prefix, digest=digest(token)), token


def authenticate(header: str) -> ApiToken | None:
    """The live token named by an `Authorization: Bearer ...` header, or None."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or token.count("_") < 2:
        return None
    token = token.strip()
    prefix = token.split("_", 2)[1]
    stored = ApiToken.objects.filter(prefix=prefix, revoked=False).first()
    candidate = stored.digest if stored else digest("absent")
    if not hmac.compare_digest(candidate, digest(token)) or stored is None:
        return None
    ApiToken.objects.filter(pk=stored.pk).update(last_used_at=timezone.now())
    return stored
