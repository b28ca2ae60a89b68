"""The portfolio: every product's facts from a fixed number of SQL statements (see `facts`),
tallied in one pass into the figures leaders read, as JSON, GraphQL, CSV and the page."""

import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.checkpoints.catalogue import load_kinds
from api.checkpoints.findings import load_deadlines
from api.checkpoints.models import CheckpointKind, CheckpointStatus, Severity
from api.checkpoints.policy import FINDINGS
from api.checkpoints.readiness import (
    CHECKPOINT_FAILED,
    CHECKPOINT_IN_PROGRESS,
    CHECKPOINT_NOT_STARTED,
    CHECKPOINT_STALE,
    OPEN_CRITICAL_FINDINGS,
    OPEN_HIGH_FINDINGS,
    OVERDUE_FINDINGS,
    WAIVER_EXPIRED,
)
from api.core.access import Principal
from api.core.db import utcnow
from api.documents.gates import (
    PRFAQ_NOT_APPROVED,
    SECURITY_FAQ_INCOMPLETE,
    SECURITY_FAQ_NOT_APPROVED,
)
from api.documents.models import ReviewStatus
from api.documents.policy import SECURITY_FAQS
from api.documents.settings import load_template
from api.documents.template import required_keys
from api.portfolio import facts
from api.portfolio.facts import Rules, Scope
from api.portfolio.policy import PORTFOLIO
from api.portfolio.schemas import (
    BlockerCount,
    CheckpointFigures,
    ClassificationCount,
    DocumentFigures,
    DocumentStatusCounts,
    FindingFigures,
    HealthCounts,
    LaunchDue,
    LaunchWindow,
    OrgCount,
    OversizedTeam,
    PortfolioFilter,
    PortfolioRead,
    ProductCounts,
    ReadinessFigures,
    SecurityFaqFigures,
    SeverityCounts,
    SlipFigures,
    SlipMonth,
    SlippedProduct,
    StageCount,
    TeamFigures,
)
from api.products.models import DataClassification, Stage
from api.teams.health.guideline import load_guideline
from api.teams.health.models import HealthStatus

LAUNCH_WINDOWS = (30, 90)
# The checkpoint codes in the order the readiness answer lists its blockers' kinds of reason.
_CHECKPOINT_CODES = (
    CHECKPOINT_NOT_STARTED,
    CHECKPOINT_IN_PROGRESS,
    CHECKPOINT_FAILED,
    CHECKPOINT_STALE,
    WAIVER_EXPIRED,
)


@dataclass(frozen=True)
class Sight:
    """What the caller may see of the portfolio."""

    findings: bool
    security_faqs: bool


def sight_of(principal: Principal) -> Sight:
    """Which sections the caller's role may read."""
    return Sight(
        findings=FINDINGS.allows(principal, "read"),
        security_faqs=SECURITY_FAQS.allows(principal, "read"),
    )


@dataclass
class ProductLine:
    """One product's facts, as the CSV and the page's table show them."""

    id: uuid.UUID
    slug: str
    name: str
    stage: Stage
    classification: DataClassification
    team: str
    team_name: str
    org: str
    target_launch_date: date | None
    checkpoints: list[CheckpointStatus]
    open_findings: dict[Severity, int]
    findings_overdue: int
    slips: int
    slip_days: int
    last_slipped_at: datetime | None
    prfaq_status: ReviewStatus | None
    security_faq_status: ReviewStatus | None
    security_faq_completeness: float | None
    blockers: list[str] = field(default_factory=list)
    retests_due: int = 0
    waivers_expiring: int = 0

    @property
    def ready(self) -> bool:
        """Cleared to launch: nothing blocks it."""
        return not self.blockers


@dataclass
class Snapshot:
    """The portfolio as one request read it."""

    filter: PortfolioFilter
    sight: Sight
    now: datetime
    kinds: list[CheckpointKind]
    products: list[ProductLine]
    status_totals: Counter[str]
    teams: list[Any] = field(default_factory=list)
    months: list[Any] = field(default_factory=list)


def scope_of(
    filters: PortfolioFilter, principal: Principal, *, product: str | None = None
) -> Scope:
    """The products the figures cover: the filters, within what the caller may see."""
    PORTFOLIO.check(principal, "read")
    visible = PORTFOLIO.visible_products(principal)
    return Scope(
        org=filters.org,
        team=filters.team,
        stage=filters.stage,
        product=product,
        product_ids=frozenset(visible) if visible is not None else None,
    )


async def snapshot(
    session: AsyncSession,
    filters: PortfolioFilter,
    *,
    principal: Principal,
    with_teams: bool = True,
    product: str | None = None,
) -> Snapshot:
    """Every product's facts (and, `with_teams`, the teams' and the slips per month), in a
    fixed number of statements whatever the portfolio's size."""
    scope = scope_of(filters, principal, product=product)
    now = utcnow()
    rules = Rules(await load_kinds(session), await load_deadlines(session), now)
    questions = (await load_template(session)).questions
    required = {
        classification: frozenset(required_keys(questions, classification))
        for classification in DataClassification
    }
    answered: dict[uuid.UUID, Any] = {
        row[0]: row[1] for row in await session.execute(facts.security_answers(scope))
    }
    live = rules.live
    blocking_required = {
        classification: rules.blocking_required(classification)
        for classification in DataClassification
    }
    totals: Counter[str] = Counter()
    lines: list[ProductLine] = []
    for row in (await session.execute(facts.product_facts(scope, rules))).mappings():
        classification = DataClassification(row["classification"])
        needed = required[classification]
        answers = answered.get(row["product_id"])
        completeness: float | None = None
        if row["security_faq_status"] is not None:
            given = {
                answer["key"]
                for answer in answers or []
                if (answer.get("answer") or "").strip() or answer.get("not_applicable")
            }
            completeness = round(len(needed & given) / len(needed), 4) if needed else 1.0
        line = ProductLine(
            id=row["product_id"],
            slug=row["slug"],
            name=row["name"],
            stage=Stage(row["stage"]),
            classification=classification,
            team=row["team"],
            team_name=row["team_name"],
            org=row["org"],
            target_launch_date=row["target_launch_date"],
            checkpoints=[
                CheckpointStatus(row[f"kind_{n}"] or CheckpointStatus.NOT_STARTED)
                for n in range(len(live))
            ],
            open_findings={severity: int(row[f"open_{severity.value}"]) for severity in Severity},
            findings_overdue=int(row["findings_overdue"]),
            slips=int(row["slips"]),
            slip_days=int(row["slip_days"]),
            last_slipped_at=row["last_slipped_at"],
            prfaq_status=row["prfaq_status"],
            security_faq_status=row["security_faq_status"],
            security_faq_completeness=completeness,
            retests_due=int(row["retests_due"]),
            waivers_expiring=int(row["waivers_expiring"]),
        )
        for status in CheckpointStatus:
            totals[status.value] += int(row[f"n_{status.value}"])
        totals["stored"] += sum(int(row[f"n_{status.value}"]) for status in CheckpointStatus)
        blockers = line.blockers
        # In the readiness answer's order: documents, checkpoints, findings.
        if line.prfaq_status != ReviewStatus.APPROVED:
            blockers.append(PRFAQ_NOT_APPROVED)
        if line.security_faq_status != ReviewStatus.APPROVED:
            blockers.append(SECURITY_FAQ_NOT_APPROVED)
        if (completeness is None and needed) or (completeness is not None and completeness < 1):
            blockers.append(SECURITY_FAQ_INCOMPLETE)
        missing = int(row["blocking_present"]) < blocking_required[classification]
        for code in _CHECKPOINT_CODES:
            if row[code] or (code == CHECKPOINT_NOT_STARTED and missing):
                blockers.append(code)
        if line.open_findings[Severity.CRITICAL]:
            blockers.append(OPEN_CRITICAL_FINDINGS)
        if line.open_findings[Severity.HIGH]:
            blockers.append(OPEN_HIGH_FINDINGS)
        if line.findings_overdue:
            blockers.append(OVERDUE_FINDINGS)
        lines.append(line)
    shot = Snapshot(filters, sight_of(principal), now, live, lines, totals)
    if with_teams:
        guideline = await load_guideline(session)
        shot.teams = list(await session.execute(facts.team_rows(scope, guideline)))
        shot.months = list(await session.execute(facts.slips_by_month(scope)))
    return shot


def _document_counts(statuses: Sequence[ReviewStatus | None]) -> dict[str, int]:
    counts = Counter(status.value if status else "missing" for status in statuses)
    return {
        "missing": counts["missing"],
        **{status.value: counts[status.value] for status in ReviewStatus},
    }


def figures(shot: Snapshot) -> PortfolioRead:
    """The portfolio's figures from a snapshot, in one pass over its products."""
    lines = shot.products
    today = shot.now.date()
    horizon = today + timedelta(days=max(LAUNCH_WINDOWS))
    stages: Counter[Stage] = Counter()
    orgs: Counter[str] = Counter()
    classes: Counter[DataClassification] = Counter()
    blockers: Counter[str] = Counter()
    assessed = ready = 0
    due: list[LaunchDue] = []
    slipped: list[SlippedProduct] = []
    open_counts: Counter[Severity] = Counter()
    overdue = products_overdue = retest_products = retests = expiring = 0
    completeness: list[float] = []
    for line in lines:
        stages[line.stage] += 1
        orgs[line.org] += 1
        classes[line.classification] += 1
        if line.stage != Stage.RETIRED:
            assessed += 1
            if line.ready:
                ready += 1
            blockers.update(line.blockers)
        target = line.target_launch_date
        if (
            target is not None
            and today <= target <= horizon
            and line.stage not in (Stage.LAUNCHED, Stage.RETIRED)
        ):
            due.append(
                LaunchDue(
                    product=line.slug,
                    name=line.name,
                    team=line.team,
                    target_launch_date=target,
                    days_until=(target - today).days,
                    ready=line.ready,
                    blockers=line.blockers,
                )
            )
        if line.slips and line.last_slipped_at is not None:
            slipped.append(
                SlippedProduct(
                    product=line.slug,
                    name=line.name,
                    team=line.team,
                    slips=line.slips,
                    days=line.slip_days,
                    last_slipped_at=line.last_slipped_at,
                )
            )
        open_counts.update(line.open_findings)
        overdue += line.findings_overdue
        products_overdue += bool(line.findings_overdue)
        retests += line.retests_due
        retest_products += bool(line.retests_due)
        expiring += line.waivers_expiring
        if line.security_faq_completeness is not None:
            completeness.append(line.security_faq_completeness)
    due.sort(key=lambda item: (item.target_launch_date, item.product))
    slipped.sort(key=lambda item: (-item.days, item.product))
    totals = shot.status_totals
    never_started = len(lines) * len(shot.kinds) - totals["stored"]
    health: Counter[str] = Counter()
    oversized: list[OversizedTeam] = []
    for slug, name, org, headcount, status, exception_id in shot.teams:
        health[status] += 1
        if status == HealthStatus.OVER.value and exception_id is None:
            oversized.append(OversizedTeam(team=slug, name=name, org=org, headcount=headcount))
    sight = shot.sight
    return PortfolioRead(
        filter=shot.filter,
        generated_at=shot.now,
        products=ProductCounts(
            total=len(lines),
            by_stage=[StageCount(stage=stage, count=stages[stage]) for stage in Stage],
            by_org=[OrgCount(org=org, count=count) for org, count in sorted(orgs.items())],
            by_classification=[
                ClassificationCount(data_classification=item, count=classes[item])
                for item in DataClassification
            ],
        ),
        readiness=ReadinessFigures(
            assessed=assessed,
            ready=ready,
            blocked=assessed - ready,
            blockers=[
                BlockerCount(code=code, products=count)
                for code, count in sorted(blockers.items(), key=lambda item: (-item[1], item[0]))
            ],
            launch_windows=[
                LaunchWindow(
                    days=days,
                    due=sum(1 for item in due if item.days_until <= days),
                    ready=sum(1 for item in due if item.days_until <= days and item.ready),
                )
                for days in LAUNCH_WINDOWS
            ],
            launches_due=due,
        ),
        slips=SlipFigures(
            products_slipped=len(slipped),
            slips=sum(item.slips for item in slipped),
            days=sum(item.days for item in slipped),
            by_month=[
                SlipMonth(month=month, slips=int(count), days=int(days or 0))
                for month, count, days in shot.months
            ],
            products=slipped,
        ),
        checkpoints=CheckpointFigures(
            passed=totals[CheckpointStatus.PASSED.value],
            failed=totals[CheckpointStatus.FAILED.value],
            stale=totals[CheckpointStatus.STALE.value],
            waived=totals[CheckpointStatus.WAIVED.value],
            in_progress=totals[CheckpointStatus.IN_PROGRESS.value],
            not_started=totals[CheckpointStatus.NOT_STARTED.value] + never_started,
            waivers_expiring=expiring,
            retests_overdue=retests,
            products_overdue_for_retest=retest_products,
        ),
        findings=FindingFigures(
            open=SeverityCounts(**{severity.value: open_counts[severity] for severity in Severity}),
            open_total=sum(open_counts.values()),
            overdue=overdue,
            products_with_overdue=products_overdue,
        )
        if sight.findings
        else None,
        documents=DocumentFigures(
            prfaq=DocumentStatusCounts(**_document_counts([line.prfaq_status for line in lines])),
            security_faq=SecurityFaqFigures(
                **_document_counts([line.security_faq_status for line in lines]),
                average_completeness=round(sum(completeness) / len(completeness), 4)
                if completeness
                else None,
            )
            if sight.security_faqs
            else None,
        ),
        teams=TeamFigures(
            total=len(shot.teams),
            by_health=HealthCounts(
                **{status.value: health[status.value] for status in HealthStatus}
            ),
            over_without_exception=oversized,
        ),
    )


async def portfolio(
    session: AsyncSession, filters: PortfolioFilter, *, principal: Principal
) -> PortfolioRead:
    """The portfolio's figures for the caller, within the filters."""
    return figures(await snapshot(session, filters, principal=principal))


# The CSV ------------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_header(shot: Snapshot) -> list[str]:
    """The CSV's columns; one per live checkpoint kind."""
    return [
        "product",
        "name",
        "stage",
        "team",
        "team_name",
        "org",
        "data_classification",
        "target_launch_date",
        "slips",
        "slip_days",
        "ready",
        "blockers",
        *(f"checkpoint_{kind.key}" for kind in shot.kinds),
        *(f"open_{severity.value}_findings" for severity in Severity),
        "overdue_findings",
        "prfaq_status",
        "security_faq_status",
        "security_faq_completeness",
    ]


def csv_rows(shot: Snapshot) -> Iterator[list[str]]:
    """One row per product; what the caller may not read is left empty."""
    sight = shot.sight
    for line in shot.products:
        findings: list[object] = (
            [*(line.open_findings[severity] for severity in Severity), line.findings_overdue]
            if sight.findings
            else [None] * (len(Severity) + 1)
        )
        security: list[object] = (
            [
                line.security_faq_status.value if line.security_faq_status else "missing",
                line.security_faq_completeness,
            ]
            if sight.security_faqs
            else [None, None]
        )
        yield [
            _cell(value)
            for value in (
                line.slug,
                line.name,
                line.stage.value,
                line.team,
                line.team_name,
                line.org,
                line.classification.value,
                line.target_launch_date,
                line.slips,
                line.slip_days,
                line.ready,
                " ".join(line.blockers),
                *(status.value for status in line.checkpoints),
                *findings,
                line.prfaq_status.value if line.prfaq_status else "missing",
                *security,
            )
        ]
