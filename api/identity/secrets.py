"""Token secrets: how they look, and the only forms in which they are kept."""

import hashlib
import hmac
import re
import secrets

from api.core.errors import Unauthenticated

TOKEN_PREFIX = "pzb_"
LOOKUP_LENGTH = 16
_TOKEN_SHAPE = re.compile(r"^pzb_[A-Za-z0-9_-]{40,64}$")


def new_token() -> str:
    """A fresh secret: `pzb_` (so secret scanners find leaked ones) and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_lookup(token: str) -> str:
    """The part of a token that finds its row and names it in lists; not enough to use it."""
    return token[:LOOKUP_LENGTH]


def token_hash(token: str) -> str:
    """What is stored instead of the token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Compare in constant time, so timing reveals nothing about the stored hash."""
    return hmac.compare_digest(token_hash(token), stored_hash)


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer …` header; 401 when missing or malformed."""
    if not authorization:
        raise Unauthenticated("a valid API token is required: send `Authorization: Bearer pzb_…`")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not _TOKEN_SHAPE.match(token):
        raise Unauthenticated("the Authorization header must be `Bearer pzb_…`")
    return token
