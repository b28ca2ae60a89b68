"""Tokens and the caller as clients send and see them."""

import uuid
from datetime import datetime

from pydantic import Field

from api.core.access import Role
from api.core.described import Schema
from api.core.fields import InputModel, Moment, Name, RecordRead, Slug


class TokenCreate(InputModel):
    """A new token. Person tokens act as that person; `ci` tokens list their products."""

    name: Name
    """What the token is for, to recognise it in lists and in the audit trail (`ci-checkout`)."""
    role: Role
    """What the token may do."""
    person_id: uuid.UUID | None = Field(
        default=None, description="The person the token acts as (contributors and reviewers)"
    )
    products: list[Slug] = Field(
        default_factory=list,
        max_length=200,
        description="Slugs of the products a `ci` token is limited to",
    )
    expires_at: Moment | None = Field(
        default=None, description="After this moment the token is refused (RFC 3339, with offset)"
    )


class TokenRead(RecordRead):
    """A token as lists show it: never the secret."""

    name: str
    """What the token is for."""
    role: Role
    """What the token may do."""
    prefix: str = Field(description="The token's first characters, to recognise it")
    person_id: uuid.UUID | None
    """The person the token acts as; null for a service token."""
    products: list[str] = Field(description="Slugs of the products a `ci` token is limited to")
    expires_at: datetime | None
    """When the token stops working; null if it never expires."""
    last_used_at: datetime | None
    """When the token last authenticated a request (to within a minute); null if never."""
    revoked_at: datetime | None
    """When the token was revoked; null while it works."""
    created_by: str
    """Who created the token (a token's name, or `cli` for the command line)."""


class TokenCreated(TokenRead):
    """A token just created: the secret is shown this once and never again."""

    token: str = Field(description="The secret; store it now, it cannot be shown again")


class Me(Schema):
    """Who the caller is and what it may do."""

    name: str
    """The token's name."""
    role: Role
    """What the token may do."""
    token_id: uuid.UUID | None
    """The token's id."""
    token_prefix: str | None
    """The token's first characters, to recognise it."""
    person_id: uuid.UUID | None
    """The person the token acts as; null for a service token."""
    person_email: str | None
    """That person's email; null for a service token."""
    permissions: list[str] = Field(description="Actions the role allows")
    teams: list[str] = Field(description="Slugs of the teams a contributor may change")
    products: list[str] = Field(description="Slugs of the products a `ci` token may read")
