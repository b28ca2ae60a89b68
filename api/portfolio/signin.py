"""Signing in to the portfolio page: a token, given once, opens a session kept server-side; the
browser holds only a random secret in an HttpOnly, SameSite=Strict cookie (Secure over HTTPS).
Every page load looks the session up and asks the identity domain again whether its token is
still live, so revoking the token (or archiving its person) ends the session at once.

Forms are protected against cross-site request forgery twice over: SameSite=Strict cookies are
not sent with a request another site starts, and every form posts an anti-forgery token: the
session's own once signed in, and before that (the sign-in form) one that must match a cookie
of its own (a double submit)."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.core.access import Principal
from api.core.db import utcnow
from api.core.errors import Unauthenticated
from api.identity.models import ApiToken
from api.identity.secrets import TOKEN_PREFIX
from api.identity.service import principal_of_token, resolve_principal
from api.portfolio.models import PageSession

SESSION_COOKIE = "pizzabox_session"
CSRF_COOKIE = "pizzabox_csrf"
CSRF_FIELD = "csrf_token"
SESSION_LIFETIME = timedelta(hours=8)
# A token's text is at most this long; anything longer is not one (and is not hashed).
MAX_TOKEN_LENGTH = 200


def new_secret() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def _hashed(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(given: str | None, expected: str | None) -> bool:
    """Whether two secrets match, in constant time; a missing one never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True)
class SignedIn:
    """A live page session and the principal its token names."""

    session: PageSession
    principal: Principal


async def sign_in(
    session: AsyncSession, token: str, *, request_id: str | None
) -> tuple[SignedIn, str]:
    """Open a page session for a live token; its cookie secret is returned once. 401 (raised
    by the identity domain) for anything but a live token."""
    token = token.strip()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise Unauthenticated("the token is not valid")
    if not token.startswith(TOKEN_PREFIX):
        # Said of the form, not of an Authorization header the visitor never wrote.
        raise Unauthenticated(f"that is not a Pizzabox API token (they start with {TOKEN_PREFIX})")
    principal, _ = await resolve_principal(session, f"Bearer {token}", request_id=request_id)
    now = utcnow()
    # Sessions past their end are forgotten whenever someone signs in.
    await session.execute(delete(PageSession).where(col(PageSession.expires_at) <= now))
    assert principal.token_id is not None  # a live token's principal names it
    row = await session.get(ApiToken, principal.token_id)
    expires = now + SESSION_LIFETIME
    if row is not None and row.expires_at is not None:
        expires = min(expires, row.expires_at)
    secret = new_secret()
    page_session = PageSession(
        secret_hash=_hashed(secret),
        token_id=principal.token_id,
        csrf_token=new_secret(),
        expires_at=expires,
    )
    session.add(page_session)
    await session.flush()
    return SignedIn(page_session, principal), secret


async def signed_in(
    session: AsyncSession, secret: str | None, *, request_id: str | None
) -> SignedIn | None:
    """The live session a cookie's secret names, with its token's principal; None when there
    is none, it has expired, or its token no longer works."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        return None
    found = (
        await session.execute(
            select(PageSession, ApiToken)
            .join(ApiToken, col(ApiToken.id) == col(PageSession.token_id))
            .where(
                col(PageSession.secret_hash) == _hashed(secret),
                col(PageSession.expires_at) > utcnow(),
            )
        )
    ).first()
    if found is None:
        return None
    page_session, token = found
    try:
        principal, _ = await principal_of_token(session, token, request_id=request_id)
    except Unauthenticated:
        return None
    return SignedIn(page_session, principal)


async def sign_out(session: AsyncSession, page_session: PageSession) -> None:
    """End a page session."""
    await session.execute(delete(PageSession).where(col(PageSession.id) == page_session.id))
