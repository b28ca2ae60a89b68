"""REST face of identity: /api/v1/tokens, /api/v1/me, /api/v1/audit-events (and its verify)."""

import uuid
from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Action, Principal, allow
from api.db import WRITE_INTENT_OPT
from api.identity import service, verification
from api.identity.models import ApiToken, AuditEvent, AuditKind, Role
from api.identity.schemas import (
    AuditEventRead,
    AuditFilter,
    AuditVerification,
    Me,
    TokenCreate,
    TokenCreated,
    TokenRead,
)
from api.pagination import DEFAULT_LIMIT, Page, Window
from api.rest_params import (
    ARCHIVE_PROBLEMS,
    CREATE_PROBLEMS,
    LIST_PROBLEMS,
    NO_NUL,
    READ_PROBLEMS,
    Cursor,
    IfMatch,
    Limit,
    absent_or,
    choice,
    created_headers,
    moment,
    one_of,
    problems,
    versioned,
)


def token_read(token: ApiToken, products: list[str]) -> TokenRead:
    """The REST shape of a token, without its secret."""
    return TokenRead(
        id=token.id,
        created_at=token.created_at,
        updated_at=token.updated_at,
        version=token.version,
        name=token.name,
        role=Role(token.role),
        prefix=token.lookup,
        person_id=token.person_id,
        products=products,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
        created_by=token.created_by,
    )


def audit_page(window: Window[AuditEvent]) -> Page[AuditEventRead]:
    """A page of audit events as REST returns them."""
    return Page(
        items=[AuditEventRead.model_validate(row) for row in window.rows],
        next_cursor=window.next_cursor,
    )


class TokensController(Controller):
    """API tokens: created, listed and revoked by admins. Secrets are shown once."""

    path = "/tokens"
    tags = ("identity",)

    @post(
        "/",
        operation_id="createToken",
        guards=[allow(Action.TOKEN_MANAGE)],
        summary="Create a token",
        responses=CREATE_PROBLEMS,
        response_headers=created_headers(),
    )
    async def create_token(
        self, session: AsyncSession, principal: Principal, data: TokenCreate
    ) -> Response[TokenCreated]:
        """Create a token; the response carries its secret, which is never shown again."""
        token, secret = await service.create_token(session, data=data, principal=principal)
        products = (await service.products_of_tokens(session, [token]))[token.id]
        body = TokenCreated(**token_read(token, products).model_dump(), token=secret)
        return versioned(
            body,
            token,
            created_at=f"/api/v1/tokens/{token.id}",
            headers={"Cache-Control": "no-store"},
        )

    @get(
        "/",
        operation_id="listTokens",
        guards=[allow(Action.TOKEN_MANAGE)],
        summary="List tokens",
        responses=LIST_PROBLEMS,
        # Reading tokens records an access event: a writer from the start, so the event never
        # fails for a writer that committed while this request read.
        opt={WRITE_INTENT_OPT: True},
    )
    async def list_tokens(
        self,
        session: AsyncSession,
        principal: Principal,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        include_revoked: Annotated[bool, Parameter(description="Include revoked tokens")] = False,
    ) -> Page[TokenRead]:
        """Tokens, oldest first, never with their secrets."""
        window = await service.list_tokens(
            session,
            include_revoked=include_revoked,
            principal=principal,
            cursor=cursor,
            limit=limit,
        )
        products = await service.products_of_tokens(session, window.rows)
        return Page(
            items=[token_read(token, products[token.id]) for token in window.rows],
            next_cursor=window.next_cursor,
        )

    @get(
        "/{token_id:uuid}",
        operation_id="getToken",
        guards=[allow(Action.TOKEN_MANAGE)],
        summary="Get a token",
        responses=READ_PROBLEMS,
    )
    async def get_token(self, session: AsyncSession, token_id: uuid.UUID) -> Response[TokenRead]:
        """One token, without its secret."""
        token = await service.get_token(session, token_id)
        products = (await service.products_of_tokens(session, [token]))[token.id]
        return versioned(token_read(token, products), token)

    @delete(
        "/{token_id:uuid}",
        operation_id="revokeToken",
        guards=[allow(Action.TOKEN_MANAGE)],
        summary="Revoke a token",
        responses=ARCHIVE_PROBLEMS,
    )
    async def revoke_token(
        self, session: AsyncSession, token_id: uuid.UUID, if_match: IfMatch = None
    ) -> None:
        """Revoke a token: the next request that sends it gets 401."""
        await service.revoke_token(session, token_id, if_match=if_match)


class MeController(Controller):
    """The caller."""

    path = "/me"
    tags = ("identity",)

    @get(
        "/",
        operation_id="getMe",
        guards=[allow(Action.SELF_READ)],
        summary="Who am I, and what may I do?",
        responses=problems(),
    )
    async def me(self, session: AsyncSession, principal: Principal) -> Me:
        """The caller's identity, role, permissions, and the teams or products it is limited to."""
        return await service.describe(session, principal)


class AuditEventsController(Controller):
    """The audit trail: every change, and every read of a sensitive record."""

    path = "/audit-events"
    tags = ("identity",)

    @get(
        "/",
        operation_id="listAuditEvents",
        guards=[allow(Action.AUDIT_READ)],
        summary="List audit events",
        responses=LIST_PROBLEMS,
    )
    async def list_audit_events(
        self,
        session: AsyncSession,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        record_type: Annotated[
            str | None,
            Parameter(
                max_length=32,
                pattern=NO_NUL,
                description="e.g. product, team, membership, person, token",
                schema_extra=absent_or(),
            ),
        ] = None,
        record_id: Annotated[
            str | None,
            Parameter(
                max_length=64,
                pattern=r"^[0-9a-fA-F-]{1,64}$",
                description="A record's id; a team's also matches its roster's events",
                schema_extra=absent_or(),
            ),
        ] = None,
        actor: Annotated[
            str | None,
            Parameter(
                max_length=200,
                pattern=NO_NUL,
                description="Who acted: a person's email or a service token's name",
                schema_extra=absent_or(),
            ),
        ] = None,
        kind: Annotated[
            str | None, Parameter(description="change or access", schema_extra=one_of(AuditKind))
        ] = None,
        since: Annotated[
            str | None,
            Parameter(
                description="Events at or after this time (RFC 3339)",
                schema_extra=absent_or(format="date-time"),
            ),
        ] = None,
        until: Annotated[
            str | None,
            Parameter(
                description="Events before this time (RFC 3339)",
                schema_extra=absent_or(format="date-time"),
            ),
        ] = None,
    ) -> Page[AuditEventRead]:
        """Audit events, oldest first. They can be read, never changed or deleted."""
        filters = AuditFilter(
            record_type=record_type,
            record_id=record_id,
            actor=actor,
            kind=choice(AuditKind, kind, field="kind"),
            since=moment(since, field="since"),
            until=moment(until, field="until"),
        )
        window = await service.list_audit_events(
            session, filters=filters, cursor=cursor, limit=limit
        )
        return audit_page(window)

    @get(
        "/verify",
        operation_id="verifyAuditEvents",
        guards=[allow(Action.AUDIT_READ)],
        summary="Verify the audit trail",
        description=(
            "Check every audit event against the trail's keyed hash chains, as `pizzabox audit "
            "verify` does, and name the first event that was changed, deleted or slipped in "
            "behind the API's back. The answer is 200 whatever the outcome: `intact` says "
            "whether the trail is whole. It reads the whole trail, so it takes time on a long "
            "one. Record `heads` outside the database to detect a rewrite of the whole trail."
        ),
        responses=problems(),
    )
    async def verify_audit_events(self, session: AsyncSession) -> AuditVerification:
        """The verdict on the whole audit trail, with its first problems and its chains' heads."""
        return verification.verification(await verification.verify_trail(session))
