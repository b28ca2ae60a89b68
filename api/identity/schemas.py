"""Tokens and the caller as clients send and see them."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from api.core.access import Role
from api.core.fields import InputModel, Moment, Name, RecordRead, Slug


class TokenCreate(InputModel):
    """A new token. Person tokens act as that person; `ci` tokens list their products."""

    name: Name
    role: Role
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
    role: Role
    prefix: str = Field(description="The token's first characters, to recognise it")
    person_id: uuid.UUID | None
    products: list[str] = Field(description="Slugs of the products a `ci` token is limited to")
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_by: str


class TokenCreated(TokenRead):
    """A token just created: the secret is shown this once and never again."""

    token: str = Field(description="The secret; store it now, it cannot be shown again")


class Me(BaseModel):
    """Who the caller is and what it may do."""

    name: str
    role: Role
    token_id: uuid.UUID | None
    token_prefix: str | None
    person_id: uuid.UUID | None
    person_email: str | None
    permissions: list[str] = Field(description="Actions the role allows")
    teams: list[str] = Field(description="Slugs of the teams a contributor may change")
    products: list[str] = Field(description="Slugs of the products a `ci` token may read")
