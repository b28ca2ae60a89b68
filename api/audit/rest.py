"""REST face of the audit trail: /api/v1/audit-events, and its verification."""

import uuid
from typing import Annotated

from litestar import Controller, get

from api.audit import service, verification
from api.audit.models import AuditKind, RecordType
from api.audit.policy import AUDIT
from api.audit.schemas import AuditEventRead, AuditFilter, AuditVerification
from api.core.access import Principal, PrincipalDep
from api.core.db import SessionDep
from api.core.pagination import Page, Paging
from api.core.policy import allow
from api.core.rest import (
    PagingDep,
    choice,
    choice_of,
    list_route,
    moment,
    problems,
    text,
    when,
)


async def history_page(
    session: SessionDep,
    record_id: uuid.UUID,
    *,
    principal: Principal,
    paging: Paging,
) -> Page[AuditEventRead]:
    """One page of a record's history, as every `…/history` route answers it (a team's includes
    its roster's events)."""
    window = await service.list_history(session, record_id, principal=principal, paging=paging)
    return window.page(AuditEventRead.model_validate)


class AuditEventsController(Controller):
    """The audit trail: every change, and every read of a sensitive record."""

    path = "/audit-events"
    tags = ("identity",)

    @list_route("listAuditEvents", AUDIT, summary="List audit events")
    async def list_audit_events(
        self,
        session: SessionDep,
        principal: PrincipalDep,
        paging: PagingDep,
        record_type: Annotated[str | None, choice_of(RecordType, "The kind of record")] = None,
        record_id: Annotated[
            str | None,
            text(
                "A record's id; a team's also matches its roster's events",
                max_length=64,
                pattern=r"^[0-9a-fA-F-]{1,64}$",
            ),
        ] = None,
        actor: Annotated[
            str | None,
            text("Who acted: a person's email or a service token's name", max_length=200),
        ] = None,
        kind: Annotated[str | None, choice_of(AuditKind, "change or access")] = None,
        since: Annotated[str | None, when("Events at or after this time (RFC 3339)")] = None,
        until: Annotated[str | None, when("Events before this time (RFC 3339)")] = None,
    ) -> Page[AuditEventRead]:
        """Audit events, oldest first. They can be read, never changed or deleted."""
        filters = AuditFilter(
            record_type=choice(RecordType, record_type, field="record_type"),
            record_id=record_id,
            actor=actor,
            kind=choice(AuditKind, kind, field="kind"),
            since=moment(since, field="since"),
            until=moment(until, field="until"),
        )
        window = await service.list_audit_events(
            session, filters=filters, principal=principal, paging=paging
        )
        return window.page(AuditEventRead.model_validate)

    @get(
        "/verify",
        operation_id="verifyAuditEvents",
        guards=[allow(AUDIT, "read")],
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
    async def verify_audit_events(self, session: SessionDep) -> AuditVerification:
        """The verdict on the whole audit trail, with its first problems and its chains' heads."""
        return verification.verification(await verification.verify_trail(session))
