"""What the portfolio answers: its figures by section, as JSON (REST) and GraphQL show them."""

from datetime import date, datetime

from pydantic import BaseModel, Field

from api.products.models import DataClassification, Stage


class PortfolioFilter(BaseModel):
    """Which products the figures cover; none given: every product the caller may see."""

    org: str | None = Field(default=None, description="The owning team's org")
    team: str | None = Field(default=None, description="The owning team's slug")
    stage: Stage | None = None


class StageCount(BaseModel):
    """Products in one stage."""

    stage: Stage
    count: int


class OrgCount(BaseModel):
    """Products owned by one org's teams."""

    org: str
    count: int


class ClassificationCount(BaseModel):
    """Products handling one classification of data."""

    data_classification: DataClassification
    count: int


class ProductCounts(BaseModel):
    """How many products, by stage (in lifecycle order), org and data classification."""

    total: int
    by_stage: list[StageCount]
    by_org: list[OrgCount]
    by_classification: list[ClassificationCount]


class BlockerCount(BaseModel):
    """How many products one reason holds back."""

    code: str
    products: int


class LaunchDue(BaseModel):
    """A product whose target launch date falls in the next 90 days."""

    product: str = Field(description="The product's slug")
    name: str
    team: str = Field(description="The owning team's slug")
    target_launch_date: date
    days_until: int
    ready: bool
    blockers: list[str] = Field(description="The codes of what blocks its launch")


class LaunchWindow(BaseModel):
    """Launches due within a number of days, and how many of them are ready."""

    days: int
    due: int
    ready: int


class ReadinessFigures(BaseModel):
    """Which products could launch today, and what holds the others back."""

    assessed: int = Field(description="Products not retired, whose readiness is counted")
    ready: int
    blocked: int
    blockers: list[BlockerCount] = Field(description="Blocker codes, most common first")
    launch_windows: list[LaunchWindow] = Field(description="The next 30 and 90 days")
    launches_due: list[LaunchDue] = Field(description="Due in the next 90 days, soonest first")


class SlipMonth(BaseModel):
    """Slips recorded in one month (UTC)."""

    month: str = Field(description="YYYY-MM")
    slips: int
    days: int


class SlippedProduct(BaseModel):
    """A product whose target launch date moved later."""

    product: str
    name: str
    team: str
    slips: int
    days: int
    last_slipped_at: datetime


class SlipFigures(BaseModel):
    """Target launch dates that moved later: how often, by how much, and when."""

    products_slipped: int
    slips: int
    days: int
    by_month: list[SlipMonth]
    products: list[SlippedProduct] = Field(description="Most days slipped first")


class CheckpointFigures(BaseModel):
    """Every live kind's checkpoint of every product, by status."""

    passed: int
    failed: int
    stale: int
    waived: int
    in_progress: int
    not_started: int
    waivers_expiring: int = Field(description="Waived checkpoints whose waiver ends within 14 days")
    retests_overdue: int = Field(description="Launched products' checkpoints due for a re-test")
    products_overdue_for_retest: int


class SeverityCounts(BaseModel):
    """Findings by severity."""

    critical: int
    high: int
    medium: int
    low: int


class FindingFigures(BaseModel):
    """Open findings (accepted risks past their expiry included) and those past their fix-by."""

    open: SeverityCounts
    open_total: int
    overdue: int
    products_with_overdue: int


class DocumentStatusCounts(BaseModel):
    """One kind of document across products, by review status; `missing`: none written."""

    missing: int
    draft: int
    in_review: int
    approved: int
    changes_requested: int


class SecurityFaqFigures(DocumentStatusCounts):
    """Security FAQs by status, and how complete they are on average."""

    average_completeness: float | None = Field(
        description="Mean share of required questions answered, over products with a security "
        "FAQ; null when none has one"
    )


class DocumentFigures(BaseModel):
    """PR/FAQs and security FAQs; `security_faq` is null for roles that may not read them."""

    prfaq: DocumentStatusCounts
    security_faq: SecurityFaqFigures | None


class HealthCounts(BaseModel):
    """Teams by roster health status."""

    under: int
    recommended: int
    acceptable: int
    over: int
    over_with_exception: int


class OversizedTeam(BaseModel):
    """A team over the two-pizza guideline with no exception in force."""

    team: str
    name: str
    org: str
    headcount: int


class TeamFigures(BaseModel):
    """The owning teams' roster health."""

    total: int
    by_health: HealthCounts
    over_without_exception: list[OversizedTeam]


class PortfolioRead(BaseModel):
    """The whole portfolio on one page. `findings` is null for roles that may not read
    findings, and `documents.security_faq` for those that may not read security FAQs."""

    filter: PortfolioFilter
    generated_at: datetime
    products: ProductCounts
    readiness: ReadinessFigures
    slips: SlipFigures
    checkpoints: CheckpointFigures
    findings: FindingFigures | None
    documents: DocumentFigures
    teams: TeamFigures
