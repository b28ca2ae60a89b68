"""API tokens, and the products a CI token is limited to."""

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import (
    Column,
    ForeignKey,
    String,
    Uuid,
)
from sqlmodel import Field, SQLModel

from api.audit.trail import Audited
from api.core.access import Role
from api.core.db import RecordBase, UTCDateTime, stored_enum


class ApiToken(RecordBase, table=True):
    """A bearer token. The secret is never stored: only its SHA-256 and a short lookup prefix."""

    __audit__: ClassVar[Audited] = Audited(
        "token",
        hidden=frozenset({"secret_hash", "last_used_at"}),
        actions=(("revoked_at", "revoke"),),
    )

    __tablename__ = "api_tokens"

    name: str = Field(sa_type=String(100))
    role: Role = Field(sa_type=stored_enum(Role, name="role", length=32))
    # The first characters of the token ("pzb_" and 12 more): finds the row, and names the
    # token in lists and logs without revealing it.
    lookup: str = Field(sa_type=String(16), unique=True)
    secret_hash: str = Field(sa_type=String(64))
    person_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(Uuid, ForeignKey("people.id"), nullable=True, index=True)
    )
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=String(200))


class TokenProduct(SQLModel, table=True):
    """A product a `ci` token is limited to."""

    __tablename__ = "api_token_products"

    token_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("api_tokens.id"), primary_key=True)
    )
    product_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("products.id"), primary_key=True, index=True)
    )
