"""The portfolio: every product's facts from a fixed number of SQL statements (see `facts`),
tallied in one pass into the figures leaders read, as JSON, GraphQL, CSV and the page."""

import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkpoints.catalogue import load_kinds
from api.checkpoints.findings import load_deadlines
from api.checkpoints.models import CheckpointKind, CheckpointStatus, Severity
from api.checkpoints.policy import FINDINGS
from api.core.access import Principal
from api.core.db import utcnow
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
    """One product's facts, as the page's tables and detail pages show them."""

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
    blockers: list[str]
    retests_due: int
    waivers_expiring: int

    @property
    def ready(self) -> bool:
        """Cleared to launch: nothing blocks it."""
        return not self.blockers


def _completeness(answered: int, required: int, written: bool) -> float | None:
    if not written:
        return None
    return round(answered / required, 4) if required else 1.0


@dataclass
class Snapshot:
    """The portfolio as one request read it: a row of facts per product (`facts.product_facts`
    columns, by position in `at`), and the teams' and months' rows when asked for."""

    filter: PortfolioFilter
    sight: Sight
    now: datetime
    kinds: list[CheckpointKind]
    at: dict[str, int]
    rows: Sequence[Any]
    teams: list[Any] = field(default_factory=list)
    months: list[Any] = field(default_factory=list)

    def line(self, row: Any) -> ProductLine:
        """One row as a product's line."""
        at = self.at
        prfaq, security = row[at["prfaq_status"]], row[at["security_faq_status"]]
        return ProductLine(
            id=row[at["product_id"]],
            slug=row[at["slug"]],
            name=row[at["name"]],
            stage=Stage(row[at["stage"]]),
            classification=DataClassification(row[at["classification"]]),
            team=row[at["team"]],
            team_name=row[at["team_name"]],
            org=row[at["org"]],
            target_launch_date=row[at["target_launch_date"]],
            checkpoints=[
                CheckpointStatus(row[at[f"kind_{n}"]] or CheckpointStatus.NOT_STARTED)
                for n in range(len(self.kinds))
            ],
            open_findings={
                severity: int(row[at[f"open_{severity.value}"]]) for severity in Severity
            },
            findings_overdue=int(row[at["findings_overdue"]]),
            slips=int(row[at["slips"]]),
            slip_days=int(row[at["slip_days"]]),
            last_slipped_at=row[at["last_slipped_at"]],
            prfaq_status=ReviewStatus(prfaq) if prfaq else None,
            security_faq_status=ReviewStatus(security) if security else None,
            security_faq_completeness=_completeness(
                row[at["security_answered"]], row[at["security_required"]], bool(security)
            ),
            blockers=row[at["blockers"]].split(),
            retests_due=int(row[at["retests_due"]]),
            waivers_expiring=int(row[at["waivers_expiring"]]),
        )

    def lines(self, start: int = 0, stop: int | None = None) -> list[ProductLine]:
        """The lines of a slice of the products."""
        return [self.line(row) for row in self.rows[start:stop]]


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
    questions = (await load_template(session)).questions
    connection = await session.connection()
    rules = Rules(
        await load_kinds(session),
        await load_deadlines(session),
        utcnow(),
        {level: required_keys(questions, level) for level in DataClassification},
        connection.dialect.name,
    )
    if rules.dialect == "postgresql":
        # The planner's cost for the facts (thousands of rows through many CASEs) passes
        # PostgreSQL's JIT threshold, and compiling its expressions took 180 ms of a 450 ms
        # query at 10,000 products: more than it ever saves on one run. This transaction only.
        await session.execute(text("SET LOCAL jit = off"))
    result = await session.execute(facts.product_facts(scope, rules))
    at = {name: position for position, name in enumerate(result.keys())}
    shot = Snapshot(filters, sight_of(principal), rules.now, rules.live, at, result.all())
    if with_teams:
        guideline = await load_guideline(session)
        shot.teams = list(await session.execute(facts.team_rows(scope, guideline)))
        shot.months = list(await session.execute(facts.slips_by_month(scope)))
    return shot


def _document_counts(counts: Counter[str | None]) -> dict[str, int]:
    return {
        "missing": counts[None],
        **{status.value: counts[status.value] for status in ReviewStatus},
    }


def figures(shot: Snapshot) -> PortfolioRead:
    """The portfolio's figures from a snapshot, in one pass over its rows (every figure about a
    product, its readiness included, was worked out by the database: this only adds up)."""
    at = shot.at
    today = shot.now.date()
    horizon = today + timedelta(days=max(LAUNCH_WINDOWS))
    retired = Stage.RETIRED.value
    not_due = {Stage.LAUNCHED.value, retired}
    stage_of, org_of, class_of = at["stage"], at["org"], at["classification"]
    target_of, blockers_of = at["target_launch_date"], at["blockers"]
    prfaq_of, security_of = at["prfaq_status"], at["security_faq_status"]
    answered_of, required_of = at["security_answered"], at["security_required"]
    summed = [
        *(f"n_{status.value}" for status in CheckpointStatus),
        *(f"open_{severity.value}" for severity in Severity),
        "findings_overdue",
        "retests_due",
        "waivers_expiring",
    ]
    # Column sums in one pass of C-level iteration, not a Python loop per column per row.
    picked = itemgetter(*(at[name] for name in summed))
    totals = [sum(column) for column in zip(*map(picked, shot.rows), strict=True)] or [0] * len(
        summed
    )
    stages: Counter[str] = Counter()
    orgs: Counter[str] = Counter()
    classes: Counter[str] = Counter()
    blockers: Counter[str] = Counter()
    prfaqs: Counter[str | None] = Counter()
    securities: Counter[str | None] = Counter()
    assessed = ready = products_overdue = retest_products = 0
    completeness: list[float] = []
    due: list[Any] = []
    slipped: list[Any] = []
    overdue_at, retests_at, slips_at = at["findings_overdue"], at["retests_due"], at["slips"]
    for row in shot.rows:
        stage = row[stage_of]
        stages[stage] += 1
        orgs[row[org_of]] += 1
        classes[row[class_of]] += 1
        codes = row[blockers_of]
        if stage != retired:
            assessed += 1
            if codes:
                blockers.update(codes.split())
            else:
                ready += 1
        target = row[target_of]
        if target is not None and today <= target <= horizon and stage not in not_due:
            due.append(row)
        if row[slips_at]:
            slipped.append(row)
        products_overdue += bool(row[overdue_at])
        retest_products += bool(row[retests_at])
        prfaqs[row[prfaq_of]] += 1
        security = row[security_of]
        securities[security] += 1
        if security is not None:
            required = row[required_of]
            completeness.append(row[answered_of] / required if required else 1.0)
    total = dict(zip(summed, totals, strict=True))
    # Built without validation: thousands of them at scale, from values the database typed.
    launches = sorted(
        (
            LaunchDue.model_construct(
                product=row[at["slug"]],
                name=row[at["name"]],
                team=row[at["team"]],
                target_launch_date=row[target_of],
                days_until=(row[target_of] - today).days,
                ready=not row[blockers_of],
                blockers=row[blockers_of].split(),
            )
            for row in due
        ),
        key=lambda item: (item.target_launch_date, item.product),
    )
    slips = sorted(
        (
            SlippedProduct.model_construct(
                product=row[at["slug"]],
                name=row[at["name"]],
                team=row[at["team"]],
                slips=row[slips_at],
                days=row[at["slip_days"]],
                last_slipped_at=row[at["last_slipped_at"]],
            )
            for row in slipped
        ),
        key=lambda item: (-item.days, item.product),
    )
    stored = sum(total[f"n_{status.value}"] for status in CheckpointStatus)
    never_started = len(shot.rows) * len(shot.kinds) - stored
    health: Counter[str] = Counter()
    oversized: list[OversizedTeam] = []
    for slug, name, org, headcount, status, exception_id in shot.teams:
        health[status] += 1
        if status == HealthStatus.OVER.value and exception_id is None:
            oversized.append(OversizedTeam(team=slug, name=name, org=org, headcount=headcount))
    sight = shot.sight
    open_counts = {severity.value: total[f"open_{severity.value}"] for severity in Severity}
    return PortfolioRead(
        filter=shot.filter,
        generated_at=shot.now,
        products=ProductCounts(
            total=len(shot.rows),
            by_stage=[StageCount(stage=stage, count=stages[stage.value]) for stage in Stage],
            by_org=[OrgCount(org=org, count=count) for org, count in sorted(orgs.items())],
            by_classification=[
                ClassificationCount(data_classification=item, count=classes[item.value])
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
                    due=sum(1 for item in launches if item.days_until <= days),
                    ready=sum(1 for item in launches if item.days_until <= days and item.ready),
                )
                for days in LAUNCH_WINDOWS
            ],
            launches_due=launches,
        ),
        slips=SlipFigures(
            products_slipped=len(slips),
            slips=sum(item.slips for item in slips),
            days=sum(item.days for item in slips),
            by_month=[
                SlipMonth(month=month, slips=int(count), days=int(days or 0))
                for month, count, days in shot.months
            ],
            products=slips,
        ),
        checkpoints=CheckpointFigures(
            passed=total["n_passed"],
            failed=total["n_failed"],
            stale=total["n_stale"],
            waived=total["n_waived"],
            in_progress=total["n_in_progress"],
            not_started=total["n_not_started"] + never_started,
            waivers_expiring=total["waivers_expiring"],
            retests_overdue=total["retests_due"],
            products_overdue_for_retest=retest_products,
        ),
        findings=FindingFigures(
            open=SeverityCounts(**open_counts),
            open_total=sum(open_counts.values()),
            overdue=total["findings_overdue"],
            products_with_overdue=products_overdue,
        )
        if sight.findings
        else None,
        documents=DocumentFigures(
            prfaq=DocumentStatusCounts(**_document_counts(prfaqs)),
            security_faq=SecurityFaqFigures(
                **_document_counts(securities),
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


def _text(value: str) -> str:
    """Free text as a spreadsheet shows it, never run as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


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


def csv_rows(shot: Snapshot) -> Iterator[list[object]]:
    """One row per product; what the caller may not read is left empty."""
    sight = shot.sight
    at = shot.at
    free = {at["name"], at["team_name"], at["org"]}
    plain = [
        (at[name], at[name] in free)
        for name in (
            "slug",
            "name",
            "stage",
            "team",
            "team_name",
            "org",
            "classification",
            "target_launch_date",
            "slips",
            "slip_days",
        )
    ]
    kinds = [at[f"kind_{n}"] for n in range(len(shot.kinds))]
    findings = [at[f"open_{severity.value}"] for severity in Severity] + [at["findings_overdue"]]
    hidden_findings = [""] * len(findings)
    blockers_of, prfaq_of, security_of = (
        at["blockers"],
        at["prfaq_status"],
        at["security_faq_status"],
    )
    answered_of, required_of = at["security_answered"], at["security_required"]
    not_started = CheckpointStatus.NOT_STARTED.value
    for row in shot.rows:
        codes = row[blockers_of]
        security = row[security_of]
        yield [
            *(_text(row[column]) if text else row[column] for column, text in plain),
            "false" if codes else "true",
            codes.rstrip(),
            *(row[column] or not_started for column in kinds),
            *((row[column] for column in findings) if sight.findings else hidden_findings),
            row[prfaq_of] or "missing",
            *(
                (
                    security or "missing",
                    _completeness(row[answered_of], row[required_of], bool(security)),
                )
                if sight.security_faqs
                else ("", "")
            ),
        ]
