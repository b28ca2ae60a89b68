"""The portfolio: every product's facts from a fixed number of SQL statements (see `facts`),
tallied in one pass into the figures leaders read, as JSON, GraphQL, CSV and the page."""

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import msgspec
from pydantic import TypeAdapter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkpoints.catalogue import load_kinds
from api.checkpoints.findings import load_deadlines
from api.checkpoints.models import CheckpointKind, CheckpointStatus, Severity
from api.checkpoints.policy import FINDINGS
from api.core.access import Principal
from api.core.db import utcnow
from api.documents.answers import completeness_ratio
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
from api.teams.policy import TEAMS

LAUNCH_WINDOWS = (30, 90)


@dataclass(frozen=True)
class Sight:
    """What the caller may see of the portfolio."""

    findings: bool
    security_faqs: bool
    # The owning teams' names, rosters and health (a ci token's role may not read teams).
    teams: bool


def sight_of(principal: Principal) -> Sight:
    """Which sections the caller's role may read."""
    return Sight(
        findings=FINDINGS.allows(principal, "read"),
        security_faqs=SECURITY_FAQS.allows(principal, "read"),
        teams=TEAMS.allows(principal, "read"),
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
    return completeness_ratio(answered, required)


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

    def lines(self) -> list[ProductLine]:
        """The products' lines."""
        return [self.line(row) for row in self.rows]


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


async def _rules(session: AsyncSession) -> Rules:
    """The catalogue, template, deadlines and clock a request's figures are computed with."""
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
    return rules


async def snapshot(
    session: AsyncSession,
    filters: PortfolioFilter,
    *,
    principal: Principal,
    with_teams: bool = True,
    product: str | None = None,
    offset: int = 0,
    limit: int | None = None,
    rules: Rules | None = None,
) -> Snapshot:
    """The facts of the products in scope, in slug order from `offset` (at most `limit` of
    them), and, `with_teams`, the teams' rows; a fixed number of statements whatever the
    portfolio's size. `rules`: those an earlier read of the same request loaded."""
    scope = scope_of(filters, principal, product=product)
    rules = rules or await _rules(session)
    # On the session's connection, not through the ORM: these are rows of figures, not records,
    # and the ORM's per-row loading cost a third of the request at 10,000 products.
    connection = await session.connection()
    result = await connection.execute(facts.product_facts(scope, rules, offset=offset, limit=limit))
    at = {name: position for position, name in enumerate(result.keys())}
    sight = sight_of(principal)
    shot = Snapshot(filters, sight, rules.now, rules.live, at, result.all())
    if with_teams and sight.teams:
        shot.teams = await _team_rows(session, scope)
    return shot


async def _team_rows(session: AsyncSession, scope: Scope) -> list[Any]:
    guideline = await load_guideline(session)
    connection = await session.connection()
    return list(await connection.execute(facts.team_rows(scope, guideline)))


@dataclass
class Summary:
    """The portfolio's figures as the database added them up (`facts.portfolio_summary`), with
    the teams' rows and the slips per month."""

    filter: PortfolioFilter
    sight: Sight
    rules: Rules
    row: Any
    teams: list[Any]
    months: list[Any]

    @property
    def now(self) -> datetime:
        """The clock the figures were computed with."""
        return self.rules.now

    @property
    def kinds(self) -> list[CheckpointKind]:
        """The live checkpoint kinds."""
        return self.rules.live


async def summary(
    session: AsyncSession, filters: PortfolioFilter, *, principal: Principal
) -> Summary:
    """The figures for the caller, within the filters: three statements (the figures, the
    teams, the months) after the catalogue's, whatever the portfolio's size."""
    scope = scope_of(filters, principal)
    rules = await _rules(session)
    connection = await session.connection()
    statement = facts.portfolio_summary(scope, rules, LAUNCH_WINDOWS)
    row = (await connection.execute(statement)).one()._mapping
    sight = sight_of(principal)
    teams = await _team_rows(session, scope) if sight.teams else []
    months = list(await connection.execute(facts.slips_by_month(scope)))
    return Summary(filters, sight, rules, row, teams, months)


def _document_counts(row: Any, name: str) -> dict[str, int]:
    return {
        "missing": row[f"{name}_missing"],
        **{status.value: row[f"{name}_{status.value}"] for status in ReviewStatus},
    }


def _json_rows(value: str | None) -> list[list[Any]]:
    return msgspec.json.decode(value) if value else []


# The lists the database writes as JSON, read by pydantic in one call each.
LAUNCHES = TypeAdapter(list[LaunchDue])
SLIPPED = TypeAdapter(list[SlippedProduct])


def figures(summed: Summary) -> PortfolioRead:
    """The portfolio's figures from its summary row (the database added them up: this only
    arranges them, and sorts the launches due and the slipped products)."""
    row = summed.row
    launches = sorted(
        LAUNCHES.validate_json(row["launches"] or "[]"),
        key=lambda item: (item.target_launch_date, item.product),
    )
    slipped = sorted(
        SLIPPED.validate_json(row["slipped"] or "[]"), key=lambda item: (-item.days, item.product)
    )
    health: Counter[str] = Counter()
    oversized: list[OversizedTeam] = []
    for slug, name, org, headcount, status, exception_id, *_ in summed.teams:
        health[status] += 1
        if status == HealthStatus.OVER.value and exception_id is None:
            oversized.append(OversizedTeam(team=slug, name=name, org=org, headcount=headcount))
    stored = sum(row[f"n_{status.value}"] for status in CheckpointStatus)
    never_started = row["total"] * len(summed.kinds) - stored
    open_counts = {severity.value: row[f"open_{severity.value}"] for severity in Severity}
    blockers = sorted(
        (
            (code, count)
            for name, count in row.items()
            if name.startswith("code_") and count and (code := name.removeprefix("code_"))
        ),
        key=lambda item: (-item[1], item[0]),
    )
    written = row["security_written"]
    sight = summed.sight
    return PortfolioRead(
        filter=summed.filter,
        generated_at=summed.now,
        products=ProductCounts(
            total=row["total"],
            by_stage=[
                StageCount(stage=stage, count=row[f"stage_{stage.value}"]) for stage in Stage
            ],
            by_org=[
                OrgCount(org=org, count=count) for org, count in sorted(_json_rows(row["orgs"]))
            ],
            by_classification=[
                ClassificationCount(
                    data_classification=level, count=row[f"classification_{level.value}"]
                )
                for level in DataClassification
            ],
        ),
        readiness=ReadinessFigures(
            assessed=row["assessed"],
            ready=row["ready"],
            blocked=row["assessed"] - row["ready"],
            blockers=[BlockerCount(code=code, products=count) for code, count in blockers],
            launch_windows=[
                LaunchWindow(days=days, due=row[f"due_{days}"], ready=row[f"due_ready_{days}"])
                for days in LAUNCH_WINDOWS
            ],
            launches_due=launches,
        ),
        slips=SlipFigures(
            products_slipped=row["products_slipped"],
            slips=row["slips"],
            days=row["slip_days"],
            by_month=[
                SlipMonth(month=month, slips=int(count), days=int(days or 0))
                for month, count, days in summed.months
            ],
            products=slipped,
        ),
        checkpoints=CheckpointFigures(
            passed=row["n_passed"],
            failed=row["n_failed"],
            stale=row["n_stale"],
            waived=row["n_waived"],
            in_progress=row["n_in_progress"],
            not_started=row["n_not_started"] + never_started,
            waivers_expiring=row["waivers_expiring"],
            retests_overdue=row["retests_due"],
            products_overdue_for_retest=row["retest_products"],
        ),
        findings=FindingFigures(
            open=SeverityCounts(**open_counts),
            open_total=sum(open_counts.values()),
            overdue=row["findings_overdue"],
            products_with_overdue=row["products_overdue"],
        )
        if sight.findings
        else None,
        documents=DocumentFigures(
            prfaq=DocumentStatusCounts(**_document_counts(row, "prfaq")),
            security_faq=SecurityFaqFigures(
                **_document_counts(row, "security"),
                average_completeness=round(row["completeness_sum"] / written, 4)
                if written
                else None,
            )
            if sight.security_faqs
            else None,
        ),
        teams=TeamFigures(
            total=len(summed.teams),
            by_health=HealthCounts(
                **{status.value: health[status.value] for status in HealthStatus}
            ),
            over_without_exception=oversized,
        )
        if sight.teams
        else None,
    )


async def portfolio(
    session: AsyncSession, filters: PortfolioFilter, *, principal: Principal
) -> PortfolioRead:
    """The portfolio's figures for the caller, within the filters."""
    return figures(await summary(session, filters, principal=principal))


# The CSV ------------------------------------------------------------------------------------


async def csv_table(
    session: AsyncSession, filters: PortfolioFilter, *, principal: Principal
) -> tuple[list[str], list[str]]:
    """The CSV's header and its lines, one per product in scope, every cell written by the
    database; one statement after the catalogue's."""
    scope = scope_of(filters, principal)
    rules = await _rules(session)
    sight = sight_of(principal)
    statement = facts.csv_lines(
        scope, rules, findings=sight.findings, security_faqs=sight.security_faqs, teams=sight.teams
    )
    connection = await session.connection()
    return csv_header(rules.live), list((await connection.execute(statement)).scalars())


def csv_header(kinds: Sequence[CheckpointKind]) -> list[str]:
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
        *(f"checkpoint_{kind.key}" for kind in kinds),
        *(f"open_{severity.value}_findings" for severity in Severity),
        "overdue_findings",
        "prfaq_status",
        "security_faq_status",
        "security_faq_completeness",
    ]
