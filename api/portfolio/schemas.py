"""What the portfolio answers: its figures by section, as JSON (REST) and GraphQL show them."""

from datetime import date, datetime

from pydantic import Field, field_validator

from api.core.described import Schema
from api.products.models import DataClassification, Stage


class PortfolioFilter(Schema):
    """Which products the figures cover; none given: every product the caller may see."""

    org: str | None = Field(default=None, description="The owning team's org")
    team: str | None = Field(default=None, description="The owning team's slug")
    stage: Stage | None = None
    """Only products at this stage."""

    @field_validator("org", "team", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        # An empty filter is no filter, as the page's form sends it (`?org=&team=`), everywhere.
        return None if value == "" else value


class StageCount(Schema):
    """Products in one stage."""

    stage: Stage
    """The stage."""
    count: int
    """Products at it."""


class OrgCount(Schema):
    """Products owned by one org's teams."""

    org: str
    """The org."""
    count: int
    """Products its teams own."""


class ClassificationCount(Schema):
    """Products handling one classification of data."""

    data_classification: DataClassification
    """The classification."""
    count: int
    """Products handling data of it."""


class ProductCounts(Schema):
    """How many products, by stage (in lifecycle order), org and data classification."""

    total: int
    """Products covered."""
    by_stage: list[StageCount]
    """By stage, in lifecycle order."""
    by_org: list[OrgCount]
    """By the owning team's org."""
    by_classification: list[ClassificationCount]
    """By data classification."""


class BlockerCount(Schema):
    """How many products one reason holds back."""

    code: str
    """The blocker's stable code, as readiness answers give it."""
    products: int
    """Products it holds back."""


class LaunchDue(Schema):
    """A product whose target launch date falls in the next 90 days."""

    product: str = Field(description="The product's slug")
    name: str
    """The product's name."""
    team: str = Field(description="The owning team's slug")
    target_launch_date: date
    """Its target launch date."""
    days_until: int
    """Days from today to that date."""
    ready: bool
    """Whether it is cleared to launch today."""
    blockers: list[str] = Field(description="The codes of what blocks its launch")


class LaunchWindow(Schema):
    """Launches due within a number of days, and how many of them are ready."""

    days: int
    """The window: launches due within this many days."""
    due: int
    """Products due to launch in it."""
    ready: int
    """How many of them are ready."""


class ReadinessFigures(Schema):
    """Which products could launch today, and what holds the others back."""

    assessed: int = Field(description="Products not retired, whose readiness is counted")
    ready: int
    """Products cleared to launch (retired ones left out)."""
    blocked: int
    """Products something holds back."""
    blockers: list[BlockerCount] = Field(description="Blocker codes, most common first")
    launch_windows: list[LaunchWindow] = Field(description="The next 30 and 90 days")
    launches_due: list[LaunchDue] = Field(description="Due in the next 90 days, soonest first")


class SlipMonth(Schema):
    """Slips recorded in one month (UTC)."""

    month: str = Field(description="YYYY-MM")
    slips: int
    """Slips recorded in the month."""
    days: int
    """Days they moved launch dates later, in all."""


class SlippedProduct(Schema):
    """A product whose target launch date moved later."""

    product: str
    """The product's slug."""
    name: str
    """Its name."""
    team: str
    """The owning team's slug."""
    slips: int
    """How often its launch date moved later."""
    days: int
    """By how many days, in all."""
    last_slipped_at: datetime
    """When it last slipped."""


class SlipFigures(Schema):
    """Target launch dates that moved later: how often, by how much, and when."""

    products_slipped: int
    """Products whose launch date moved later at least once."""
    slips: int
    """Slips in all."""
    days: int
    """Days of slip in all."""
    by_month: list[SlipMonth]
    """Slips by the month they were recorded."""
    products: list[SlippedProduct] = Field(description="Most days slipped first")


class CheckpointFigures(Schema):
    """Every live kind's checkpoint of every product, by status."""

    passed: int
    """Checkpoints passed."""
    failed: int
    """Checkpoints failed."""
    stale: int
    """Launched products' passes past their re-test interval."""
    waived: int
    """Checkpoints under an active waiver."""
    in_progress: int
    """Reviewer checkpoints with evidence awaiting a decision."""
    not_started: int
    """Checkpoints with no result yet."""
    waivers_expiring: int = Field(description="Waived checkpoints whose waiver ends within 14 days")
    retests_overdue: int = Field(description="Launched products' checkpoints due for a re-test")
    products_overdue_for_retest: int
    """Launched products with a re-test overdue."""


class SeverityCounts(Schema):
    """Findings by severity."""

    critical: int
    """Critical findings."""
    high: int
    """High findings."""
    medium: int
    """Medium findings."""
    low: int
    """Low findings."""


class FindingFigures(Schema):
    """Open findings (accepted risks past their expiry included) and those past their fix-by."""

    open: SeverityCounts
    """Open findings by severity."""
    open_total: int
    """Open findings in all."""
    overdue: int
    """Open findings past their fix-by time."""
    products_with_overdue: int
    """Products with an overdue finding."""


class DocumentStatusCounts(Schema):
    """One kind of document across products, by review status; `missing`: none written."""

    missing: int
    """Products without the document yet."""
    draft: int
    """Drafts."""
    in_review: int
    """Under review."""
    approved: int
    """Approved."""
    changes_requested: int
    """Sent back for changes."""


class SecurityFaqFigures(DocumentStatusCounts):
    """Security FAQs by status, and how complete they are on average."""

    average_completeness: float | None = Field(
        description="Mean share of required questions answered, over products with a security "
        "FAQ; null when none has one"
    )


class DocumentFigures(Schema):
    """PR/FAQs and security FAQs; `security_faq` is null for roles that may not read them."""

    prfaq: DocumentStatusCounts
    """PR/FAQs by status."""
    security_faq: SecurityFaqFigures | None
    """Security FAQs by status and completeness; null for roles that may not read them."""


class HealthCounts(Schema):
    """Teams by roster health status."""

    under: int
    """Teams under the guideline's minimum."""
    recommended: int
    """Teams at the recommended size."""
    acceptable: int
    """Teams within the acceptable size."""
    over: int
    """Teams over the guideline with no exception."""
    over_with_exception: int
    """Teams over it with an exception in force."""


class OversizedTeam(Schema):
    """A team over the two-pizza guideline with no exception in force."""

    team: str
    """The team's slug."""
    name: str
    """Its name."""
    org: str
    """Its org."""
    headcount: int
    """People on it today."""


class TeamFigures(Schema):
    """The owning teams' roster health."""

    total: int
    """Teams owning a covered product (or in the filter's org or team)."""
    by_health: HealthCounts
    """Teams by roster health."""
    over_without_exception: list[OversizedTeam]
    """Teams over the guideline with no exception."""


class PortfolioRead(Schema):
    """The whole portfolio on one page. `findings` is null for roles that may not read
    findings, and `documents.security_faq` for those that may not read security FAQs."""

    filter: PortfolioFilter
    """The filter the figures cover."""
    generated_at: datetime
    """When they were computed."""
    products: ProductCounts
    """Products by stage, org and classification."""
    readiness: ReadinessFigures
    """What is ready to launch, and what blocks the rest."""
    slips: SlipFigures
    """Launch dates that moved later."""
    checkpoints: CheckpointFigures
    """Launch checkpoints by status."""
    findings: FindingFigures | None
    """Open and overdue findings; null for roles that may not read findings."""
    documents: DocumentFigures
    """PR/FAQ and security FAQ status."""
    teams: TeamFigures | None
    """The owning teams' roster health; null for roles that may not read teams."""
