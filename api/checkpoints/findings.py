"""Findings: what testing found, de-duplicated by fingerprint, with fix-by deadlines per
severity (org settings), triage, and accepted risks that expire. Reading one is recorded."""

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.audit.trail import access_event
from api.checkpoints.catalogue import find_kind, load_kinds
from api.checkpoints.models import Finding, FindingDeadlines, FindingStatus, Severity
from api.checkpoints.policy import CHECKPOINT_KINDS, FINDINGS
from api.checkpoints.schemas import DeadlinesUpdate, FindingsUpload, FindingUpdate
from api.checkpoints.service import checkpoint_row
from api.core.access import Principal
from api.core.db import utcnow
from api.core.errors import Conflict, InvalidInput, NotFound
from api.core.pagination import Paging, Window, fetch_window
from api.core.writes import Precondition, check_if_match, flush
from api.products.models import Product
from api.products.service import get_product

DEFAULT_DEADLINES: dict[str, int] = {
    Severity.CRITICAL.value: 7,
    Severity.HIGH.value: 30,
    Severity.MEDIUM.value: 90,
    Severity.LOW.value: 120,
}
MAX_RISK_ACCEPTANCE_DAYS = 365


async def load_deadlines(session: AsyncSession) -> dict[str, int]:
    """Fix-by days per severity: the defaults until an admin sets them."""
    row = await session.scalar(select(FindingDeadlines))
    return {**DEFAULT_DEADLINES, **(row.days if row else {})}


async def set_deadlines(
    session: AsyncSession, *, data: DeadlinesUpdate, principal: Principal
) -> dict[str, int]:
    """Change the fix-by days; every open finding's deadline follows at once."""
    CHECKPOINT_KINDS.check(principal, "manage")
    days = data.model_dump()
    row = await session.scalar(select(FindingDeadlines).with_for_update())
    if row is None:
        session.add(FindingDeadlines(days=days))
    else:
        row.days = days
        row.updated_at = utcnow()
    await flush(session)
    return days


def fix_by(finding: Finding, deadlines: dict[str, int]) -> datetime:
    """When the finding must be fixed by."""
    return finding.opened_at + timedelta(days=deadlines[finding.severity.value])


def effective_status(finding: Finding, now: datetime) -> FindingStatus:
    """An accepted risk past its expiry counts as open again."""
    if (
        finding.status == FindingStatus.ACCEPTED_RISK
        and finding.risk_expires_at is not None
        and finding.risk_expires_at <= now
    ):
        return FindingStatus.OPEN
    return finding.status


def is_overdue(finding: Finding, deadlines: dict[str, int], now: datetime) -> bool:
    """Open past its fix-by time."""
    return effective_status(finding, now) == FindingStatus.OPEN and fix_by(finding, deadlines) < now


def counts_open(now: datetime) -> ColumnElement[bool]:
    """SQL: the finding counts as open (an accepted risk past its expiry does)."""
    return or_(
        col(Finding.status) == FindingStatus.OPEN,
        and_(
            col(Finding.status) == FindingStatus.ACCEPTED_RISK,
            col(Finding.risk_expires_at) <= now,
        ),
    )


def overdue_condition(deadlines: dict[str, int], now: datetime) -> ColumnElement[bool]:
    """SQL: open past its fix-by time, whatever its severity."""
    return and_(
        counts_open(now),
        or_(
            *(
                and_(
                    col(Finding.severity) == severity,
                    col(Finding.opened_at) < now - timedelta(days=deadlines[severity.value]),
                )
                for severity in Severity
            )
        ),
    )


@dataclass
class FindingView:
    """A finding as reads show it."""

    finding: Finding
    product: Product
    status: FindingStatus
    fix_by: datetime
    overdue: bool


def _view(
    finding: Finding, product: Product, deadlines: dict[str, int], now: datetime
) -> FindingView:
    return FindingView(
        finding,
        product,
        effective_status(finding, now),
        fix_by(finding, deadlines),
        is_overdue(finding, deadlines, now),
    )


def _record_reads(
    session: AsyncSession, principal: Principal, product: Product, finding: Finding | None = None
) -> None:
    # A list is recorded as a read of the product's findings; one finding, as a read of it.
    if finding is None:
        event = access_event(principal, record_type="findings", record_id=str(product.id))
    else:
        event = access_event(principal, record_type="finding", record_id=str(finding.id))
    session.add(event)


async def _product(session: AsyncSession, slug: str, verb: str, *, principal: Principal) -> Product:
    product = await get_product(session, slug, principal=principal)
    FINDINGS.check(principal, verb, team_id=product.team_id, product_id=product.id)
    return product


async def list_findings(
    session: AsyncSession,
    slug: str,
    *,
    status: FindingStatus | None,
    severity: Severity | None,
    checkpoint: str | None,
    overdue: bool | None,
    principal: Principal,
    paging: Paging,
) -> Window[FindingView]:
    """A product's findings, oldest first, filtered; the read is recorded."""
    product = await _product(session, slug, "read", principal=principal)
    deadlines = await load_deadlines(session)
    now = utcnow()
    statement = select(Finding).where(col(Finding.product_id) == product.id)
    if status == FindingStatus.OPEN:
        statement = statement.where(counts_open(now))
    elif status == FindingStatus.ACCEPTED_RISK:
        statement = statement.where(
            col(Finding.status) == status,
            or_(col(Finding.risk_expires_at).is_(None), col(Finding.risk_expires_at) > now),
        )
    elif status is not None:
        statement = statement.where(col(Finding.status) == status)
    if severity is not None:
        statement = statement.where(col(Finding.severity) == severity)
    if checkpoint is not None:
        statement = statement.where(col(Finding.kind) == checkpoint)
    if overdue is not None:
        condition = overdue_condition(deadlines, now)
        statement = statement.where(condition if overdue else ~condition)
    window = await fetch_window(session, statement, Finding.id, paging)
    _record_reads(session, principal, product)
    return Window(
        rows=[_view(row, product, deadlines, now) for row in window.rows],
        next_cursor=window.next_cursor,
        count=window.count,
    )


async def _finding(
    session: AsyncSession, finding_id: uuid.UUID, verb: str, *, principal: Principal, lock: bool
) -> tuple[Finding, Product]:
    statement = select(Finding, Product).join(Product, col(Product.id) == col(Finding.product_id))
    statement = statement.where(col(Finding.id) == finding_id)
    if lock:
        statement = statement.with_for_update(of=Finding)
    row = (await session.execute(statement)).first()
    if row is None:
        raise NotFound(f"no finding {finding_id}")
    finding, product = row
    FINDINGS.check(principal, "read", team_id=product.team_id, product_id=product.id)
    FINDINGS.check(principal, verb, team_id=product.team_id, product_id=product.id)
    return finding, product


async def get_finding(
    session: AsyncSession, finding_id: uuid.UUID, *, principal: Principal
) -> FindingView:
    """One finding; the read is recorded."""
    finding, product = await _finding(session, finding_id, "read", principal=principal, lock=False)
    _record_reads(session, principal, product, finding)
    return _view(finding, product, await load_deadlines(session), utcnow())


async def update_finding(
    session: AsyncSession,
    finding_id: uuid.UUID,
    *,
    data: FindingUpdate,
    if_match: Precondition,
    principal: Principal,
) -> FindingView:
    """Triage: mark fixed or open again, or (security) accept the risk until a date."""
    finding, product = await _finding(session, finding_id, "triage", principal=principal, lock=True)
    check_if_match(finding, if_match)
    now = utcnow()
    if data.status == FindingStatus.ACCEPTED_RISK:
        FINDINGS.check(principal, "accept-risk", product_id=product.id)
        if data.reason is None:
            raise InvalidInput.field("reason", "say why the risk is accepted")
        if data.risk_expires_at is None:
            raise InvalidInput.field("risk_expires_at", "an accepted risk needs an expiry")
        if data.risk_expires_at <= now:
            raise InvalidInput.field("risk_expires_at", "must be in the future")
        if data.risk_expires_at > now + timedelta(days=MAX_RISK_ACCEPTANCE_DAYS):
            raise InvalidInput.field(
                "risk_expires_at", f"must be at most {MAX_RISK_ACCEPTANCE_DAYS} days from now"
            )
        finding.risk_expires_at = data.risk_expires_at
    elif data.risk_expires_at is not None:
        raise InvalidInput.field("risk_expires_at", "only an accepted risk has an expiry")
    else:
        finding.risk_expires_at = None
    # Reopened by hand, it keeps its deadline: marking a finding fixed and open again must not
    # clear an overdue one. (A scan that finds a fixed one again opens it with a new one.)
    if data.status == FindingStatus.FIXED:
        finding.fixed_at = finding.fixed_at if finding.status == FindingStatus.FIXED else now
    else:
        finding.fixed_at = None
    finding.status = data.status
    finding.status_reason = data.reason
    finding.updated_by = principal.actor
    finding.updated_at = now
    await flush(session)
    return _view(finding, product, await load_deadlines(session), now)


@dataclass
class UploadOutcome:
    """What an upload changed, and the findings it listed."""

    created: int
    updated: int
    fixed: int
    items: list[FindingView]


async def upload_findings(
    session: AsyncSession, slug: str, *, data: FindingsUpload, principal: Principal
) -> UploadOutcome:
    """Add or update a tool's findings for one checkpoint; a full upload marks the tool's open
    findings it no longer lists as fixed. A fixed finding found again is open again."""
    product = await _product(session, slug, "record", principal=principal)
    if product.archived_at is not None:
        raise Conflict(f"product {slug!r} is archived and cannot change")
    kind = find_kind(await load_kinds(session), data.checkpoint)
    fingerprints = [item.fingerprint for item in data.findings]
    repeated = sorted(fp for fp, seen in Counter(fingerprints).items() if seen > 1)
    if repeated:
        raise InvalidInput.field(
            "findings", f"fingerprints must be unique in one upload: {', '.join(repeated[:5])}"
        )
    # Uploads for one checkpoint take turns on its row, so two uploads of a new fingerprint
    # cannot both insert it.
    await checkpoint_row(session, product, kind.key)
    existing = {
        finding.fingerprint: finding
        for finding in await session.scalars(
            select(Finding).where(
                col(Finding.product_id) == product.id,
                col(Finding.kind) == kind.key,
                col(Finding.tool) == data.tool,
            )
        )
    }
    now = utcnow()
    created = updated = fixed = 0
    listed: list[Finding] = []
    for item in data.findings:
        values: dict[str, Any] = item.model_dump()
        finding = existing.get(item.fingerprint)
        if finding is None:
            finding = Finding(
                **values,
                product_id=product.id,
                kind=kind.key,
                tool=data.tool,
                opened_at=now,
                last_seen_at=now,
                updated_by=principal.actor,
            )
            session.add(finding)
            created += 1
        else:
            changed = False
            for name, value in values.items():
                if getattr(finding, name) != value:
                    setattr(finding, name, value)
                    changed = True
            if finding.status == FindingStatus.FIXED:
                finding.status = FindingStatus.OPEN
                finding.fixed_at = None
                finding.opened_at = now
                finding.status_reason = "found again"
                changed = True
            finding.last_seen_at = now
            if changed:
                finding.updated_by = principal.actor
                finding.updated_at = now
                updated += 1
        listed.append(finding)
    if data.full:
        seen = set(fingerprints)
        for fingerprint, finding in existing.items():
            if fingerprint not in seen and finding.status != FindingStatus.FIXED:
                finding.status = FindingStatus.FIXED
                finding.fixed_at = now
                finding.risk_expires_at = None
                finding.status_reason = f"no longer reported by {data.tool}"
                finding.updated_by = principal.actor
                finding.updated_at = now
                fixed += 1
    await flush(session)
    _record_reads(session, principal, product)  # the answer shows them
    deadlines = await load_deadlines(session)
    return UploadOutcome(
        created, updated, fixed, [_view(row, product, deadlines, now) for row in listed]
    )


@dataclass
class FindingCounts:
    """A product's open findings by severity, and how many are overdue."""

    open: dict[Severity, int]
    overdue: int


async def counts_for(
    session: AsyncSession, products: Sequence[Product], deadlines: dict[str, int]
) -> dict[uuid.UUID, FindingCounts]:
    """Open and overdue findings of many products, in one query."""
    counts = {product.id: FindingCounts(dict.fromkeys(Severity, 0), 0) for product in products}
    if not products:
        return counts
    now = utcnow()
    overdue = func.sum(case((overdue_condition(deadlines, now), 1), else_=0))
    rows = await session.execute(
        select(col(Finding.product_id), col(Finding.severity), func.count(), overdue)
        .where(col(Finding.product_id).in_(list(counts)), counts_open(now))
        .group_by(col(Finding.product_id), col(Finding.severity))
    )
    for product_id, severity, number, late in rows:
        entry = counts[product_id]
        entry.open[Severity(severity)] = int(number)
        entry.overdue += int(late or 0)
    return counts
