"""Sessions of the portfolio page: a browser signed in with a token, until it signs out, the
session expires, or the token stops working."""

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Uuid
from sqlmodel import Field, SQLModel

from api.core.db import UTCDateTime, utcnow, uuid7


class PageSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random secret; only its SHA-256 is stored. Not
    audited as a record: signing in changes nothing the trail keeps."""

    __tablename__ = "page_sessions"

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    secret_hash: str = Field(sa_type=String(64), unique=True)
    token_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("api_tokens.id"), nullable=False, index=True)
    )
    # The session's own anti-forgery token, which every form it posts carries.
    csrf_token: str = Field(sa_type=String(64))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
