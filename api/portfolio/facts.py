"""The portfolio's facts, in SQL: one row per product with every figure about it worked out by
the database (checkpoint statuses, readiness codes, findings, slips, documents), one row per team
with its roster health, and the slips per month. Each is one statement whatever the portfolio's
size; the checkpoint rules (`api.checkpoints.service.status_of`, `readiness._checkpoint_items`)
are restated here as SQL expressions over the catalogue the request loaded."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Date,
    Float,
    Integer,
    Select,
    String,
    Subquery,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import aliased
from sqlmodel import col

from api.checkpoints.findings import counts_open, overdue_condition
from api.checkpoints.models import (
    Checkpoint,
    CheckpointKind,
    CheckpointStatus,
    Decision,
    Finding,
    Outcome,
    Severity,
    SignOff,
    Waiver,
)
from api.checkpoints.readiness import (
    CHECKPOINT_FAILED,
    CHECKPOINT_IN_PROGRESS,
    CHECKPOINT_NOT_STARTED,
    CHECKPOINT_STALE,
    OPEN_CRITICAL_FINDINGS,
    OPEN_HIGH_FINDINGS,
    OVERDUE_FINDINGS,
    WAIVER_EXPIRED,
    WAIVER_WARNING_DAYS,
)
from api.core.db import sql_function
from api.documents.gates import (
    PRFAQ_NOT_APPROVED,
    SECURITY_FAQ_INCOMPLETE,
    SECURITY_FAQ_NOT_APPROVED,
)
from api.documents.models import Document, DocumentKind, DocumentRevision, ReviewStatus
from api.products.models import DataClassification, Product, ProductChange, Stage, TrackedField
from api.teams.health.guideline import Guideline
from api.teams.health.rules import team_status_subquery
from api.teams.models import Team

# A calendar day as a number, so that two days subtract to the days between them. Product
# changes keep dates as ISO text.
day_number = sql_function(
    "day_number",
    Integer(),
    "Days since 2000-01-01 of an ISO date held as text.",
    default="(CAST({0} AS DATE) - DATE '2000-01-01')",
    sqlite="CAST(julianday({0}) - julianday('2000-01-01') AS INTEGER)",
)
# The UTC month of a stored timestamp, as YYYY-MM.
utc_month = sql_function(
    "utc_month",
    String(),
    "The UTC month (YYYY-MM) of a stored timestamp.",
    default="to_char(({0}) AT TIME ZONE 'UTC', 'YYYY-MM')",
    sqlite="substr({0}, 1, 7)",
)

STATUS_ORDER: tuple[CheckpointStatus, ...] = tuple(CheckpointStatus)


@dataclass(frozen=True)
class Scope:
    """Which products the portfolio covers: the filters, and the products a caller may see."""

    org: str | None = None
    team: str | None = None
    stage: Stage | None = None
    # One product, by slug (the page's product detail).
    product: str | None = None
    # None: every product; else only these (a ci token's).
    product_ids: frozenset[uuid.UUID] | None = None


def chosen_products(scope: Scope) -> Select[Any]:
    """The live products the scope covers, with their team."""
    statement: Select[Any] = (
        select(  # type: ignore[assignment]  # too many columns for its overloads
            col(Product.id).label("product_id"),
            col(Product.slug).label("slug"),
            col(Product.name).label("name"),
            col(Product.stage).label("stage"),
            col(Product.data_classification).label("classification"),
            col(Product.target_launch_date).label("target_launch_date"),
            col(Team.slug).label("team"),
            col(Team.name).label("team_name"),
            col(Team.org).label("org"),
        )
        .join(Team, col(Team.id) == col(Product.team_id))
        .where(col(Product.archived_at).is_(None))
    )
    if scope.org is not None:
        statement = statement.where(col(Team.org) == scope.org)
    if scope.team is not None:
        statement = statement.where(col(Team.slug) == scope.team)
    if scope.stage is not None:
        statement = statement.where(col(Product.stage) == scope.stage)
    if scope.product is not None:
        statement = statement.where(col(Product.slug) == scope.product)
    if scope.product_ids is not None:
        statement = statement.where(col(Product.id).in_(scope.product_ids or [uuid.UUID(int=0)]))
    return statement


@dataclass(frozen=True)
class Rules:
    """The catalogue, the security FAQ template and the clock a request's figures are computed
    with, and the database's dialect."""

    kinds: Sequence[CheckpointKind]
    deadlines: dict[str, int]
    now: datetime
    # The keys of the security FAQ questions each classification must answer.
    required_keys: dict[DataClassification, list[str]]
    dialect: str

    @property
    def live(self) -> list[CheckpointKind]:
        """The kinds products are held to."""
        return [kind for kind in self.kinds if kind.archived_at is None]

    def blocking_required(self, classification: DataClassification) -> int:
        """How many blocking kinds a product of `classification` must pass."""
        return sum(
            1 for kind in self.live if kind.blocking and classification.value in kind.required_for
        )


def _kind_is(kinds: Sequence[CheckpointKind]) -> ColumnElement[bool]:
    keys = [kind.key for kind in kinds]
    return col(Checkpoint.kind).in_(keys) if keys else false()


def _checkpoint_statuses(rules: Rules, products: Subquery) -> CTE:
    """One row per stored checkpoint of a live kind: its status, whether it blocks launch and
    why, whether its re-test is overdue, and its waiver's end. Materialised: the summary reads
    each row's status some twenty times, and an inlined subquery would work it out each time."""
    now = rules.now
    live = rules.live
    automatic = [kind for kind in live if kind.sign_off == SignOff.AUTOMATIC]
    ranked = (
        select(
            col(Waiver.checkpoint_id).label("checkpoint_id"),
            col(Waiver.expires_at).label("expires_at"),
            col(Waiver.revoked_at).label("revoked_at"),
            func.row_number()
            .over(partition_by=col(Waiver.checkpoint_id), order_by=col(Waiver.id).desc())
            .label("rank"),
        )
    ).subquery("ranked_waivers")
    waiver = select(ranked).where(ranked.c.rank == 1).subquery("waivers")
    current = and_(
        col(Checkpoint.decided_at).is_not(None),
        or_(
            col(Checkpoint.last_result_at).is_(None),
            col(Checkpoint.last_result_at) <= col(Checkpoint.decided_at),
        ),
    )
    decided = case(
        (
            _kind_is(automatic),
            case(
                (col(Checkpoint.last_outcome) == Outcome.PASSED, literal("passed")),
                (col(Checkpoint.last_outcome) == Outcome.FAILED, literal("failed")),
                else_=literal("not_started"),
            ),
        ),
        # A reviewer's decision holds for the evidence it saw (as `status_of` says).
        (and_(current, col(Checkpoint.decision) == Decision.PASSED), literal("passed")),
        (and_(current, col(Checkpoint.decision) == Decision.FAILED), literal("failed")),
        (col(Checkpoint.results_count) > 0, literal("in_progress")),
        else_=literal("not_started"),
    )
    # Launched, and the last pass older than the kind's interval (the re-test queue's rule).
    retest_due = and_(
        products.c.stage == Stage.LAUNCHED,
        or_(
            false(),
            *(
                and_(
                    col(Checkpoint.kind) == kind.key,
                    col(Checkpoint.last_passed_at) < now - timedelta(days=interval),
                )
                for kind in live
                if (interval := kind.retest_interval_days) is not None
            ),
        ),
    )
    waiver_active = and_(waiver.c.revoked_at.is_(None), waiver.c.expires_at > now)
    waiver_expired = and_(
        waiver.c.checkpoint_id.is_not(None),
        waiver.c.revoked_at.is_(None),
        waiver.c.expires_at <= now,
    )
    staged = (
        select(
            col(Checkpoint.product_id).label("product_id"),
            col(Checkpoint.kind).label("kind"),
            decided.label("decided"),
            case((retest_due, 1), else_=0).label("retest_due"),
            case((waiver_active, 1), else_=0).label("waiver_active"),
            case((waiver_expired, 1), else_=0).label("waiver_expired"),
            waiver.c.expires_at.label("waiver_expires_at"),
            products.c.classification.label("classification"),
        )
        .join(products, products.c.product_id == col(Checkpoint.product_id))
        .outerjoin(waiver, waiver.c.checkpoint_id == col(Checkpoint.id))
        .where(_kind_is(live))
    ).subquery("staged")
    status = case(
        (and_(staged.c.decided == "passed", staged.c.retest_due == 0), literal("passed")),
        (staged.c.waiver_active == 1, literal("waived")),
        (staged.c.decided == "passed", literal("stale")),
        else_=staged.c.decided,
    )
    blocking_required = or_(
        false(),
        *(
            and_(
                staged.c.kind == kind.key,
                staged.c.classification.in_(
                    [DataClassification(value) for value in kind.required_for]
                ),
            )
            for kind in live
            if kind.blocking
        ),
    )
    return (
        select(
            staged.c.product_id,
            staged.c.kind,
            status.label("status"),
            staged.c.retest_due,
            staged.c.waiver_expired,
            staged.c.waiver_expires_at,
            case((blocking_required, 1), else_=0).label("blocking_required"),
        )
        .cte("statuses")
        .prefix_with("MATERIALIZED")
    )


def _checkpoint_summary(rules: Rules, products: Subquery, *, with_kinds: bool) -> Subquery:
    """Per product: each live kind's status (`with_kinds`), counts by status, readiness codes,
    re-tests due and waivers expiring soon."""
    statuses = _checkpoint_statuses(rules, products)
    soon = rules.now + timedelta(days=WAIVER_WARNING_DAYS)
    blocks = statuses.c.blocking_required == 1
    unmet = statuses.c.status.notin_(["passed", "waived"])

    def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.max(case((condition, 1), else_=0))

    def total(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((condition, 1), else_=0))

    expired = and_(blocks, unmet, statuses.c.waiver_expired == 1)
    code_of = {
        CHECKPOINT_NOT_STARTED: "not_started",
        CHECKPOINT_IN_PROGRESS: "in_progress",
        CHECKPOINT_FAILED: "failed",
        CHECKPOINT_STALE: "stale",
    }
    return (
        select(
            statuses.c.product_id,
            *(
                func.max(case((statuses.c.kind == kind.key, statuses.c.status))).label(
                    f"kind_{position}"
                )
                for position, kind in enumerate(rules.live)
                if with_kinds
            ),
            *(
                total(statuses.c.status == status.value).label(f"n_{status.value}")
                for status in STATUS_ORDER
            ),
            total(blocks).label("blocking_present"),
            flag(expired).label(WAIVER_EXPIRED),
            *(
                flag(and_(blocks, statuses.c.status == status, ~expired)).label(code)
                for code, status in code_of.items()
            ),
            total(statuses.c.retest_due == 1).label("retests_due"),
            total(and_(statuses.c.status == "waived", statuses.c.waiver_expires_at <= soon)).label(
                "waivers_expiring"
            ),
        )
        .group_by(statuses.c.product_id)
        .subquery("checkpoint_summary")
    )


def _finding_summary(rules: Rules, products: Subquery) -> Subquery:
    """Per product: open findings by severity, and how many are past their fix-by time."""
    now = rules.now
    return (
        select(
            col(Finding.product_id).label("product_id"),
            *(
                func.sum(case((col(Finding.severity) == severity, 1), else_=0)).label(
                    f"open_{severity.value}"
                )
                for severity in Severity
            ),
            func.sum(case((overdue_condition(rules.deadlines, now), 1), else_=0)).label("overdue"),
        )
        .join(products, products.c.product_id == col(Finding.product_id))
        .where(counts_open(now))
        .group_by(col(Finding.product_id))
        .subquery("finding_summary")
    )


def _slip_rows(products: Subquery) -> Select[Any]:
    """Each change that moved a product's target launch date later, with the days it moved. A
    date set again after it was cleared is measured from the date that was cleared, so clearing
    it first hides no slip."""
    change = aliased(ProductChange, name="date_change")
    cleared = aliased(ProductChange, name="cleared")
    tracked = TrackedField.TARGET_LAUNCH_DATE
    # The date the last clearing before this change took away, if the date was cleared.
    last_cleared = (
        select(col(cleared.old_value))
        .where(
            col(cleared.product_id) == col(change.product_id),
            col(cleared.field) == tracked,
            col(cleared.new_value).is_(None),
            col(cleared.created_at) < col(change.created_at),
        )
        .order_by(col(cleared.created_at).desc())
        .limit(1)
        .correlate(change)
        .scalar_subquery()
    )
    before = func.coalesce(col(change.old_value), last_cleared)
    return (
        select(
            col(change.product_id).label("product_id"),
            col(change.created_at).label("slipped_at"),
            (day_number(col(change.new_value)) - day_number(before)).label("days"),
        )
        .join(products, products.c.product_id == col(change.product_id))
        .where(
            col(change.field) == tracked,
            col(change.new_value).is_not(None),
            # ISO dates compare as text in date order; NULL (never a date before) is no slip.
            col(change.new_value) > before,
        )
    )


def _slip_summary(products: Subquery) -> Subquery:
    slips = _slip_rows(products).subquery("slips")
    return (
        select(
            slips.c.product_id,
            func.count().label("slips"),
            func.sum(slips.c.days).label("slip_days"),
            func.max(slips.c.slipped_at).label("last_slipped_at"),
        )
        .group_by(slips.c.product_id)
        .subquery("slip_summary")
    )


def _answered(
    rules: Rules, answered: ColumnElement[str], classification: ColumnElement[Any]
) -> Any:
    """SQL: how many of the questions `classification` requires a revision answers, from the
    keys it answers (`DocumentRevision.answered`, stored as it was saved: no JSON is read)."""
    branches = []
    for level, keys in rules.required_keys.items():
        if not keys:
            continue
        counted: ColumnElement[int] = literal(0)
        for key in keys:
            counted = counted + case((answered.like(f"% {key} %"), 1), else_=0)
        branches.append((classification == level.value, counted))
    return case(*branches, else_=literal(0)) if branches else literal(0)


def _required_count(rules: Rules, classification: ColumnElement[Any]) -> Any:
    return case(
        *(
            (classification == level.value, literal(len(keys)))
            for level, keys in rules.required_keys.items()
        ),
        else_=literal(0),
    )


def _blocking_count(rules: Rules, classification: ColumnElement[Any]) -> Any:
    return case(
        *(
            (classification == level.value, literal(rules.blocking_required(level)))
            for level in DataClassification
        ),
        else_=literal(0),
    )


Reasons = list[tuple[ColumnElement[bool], str]]


def _fact_rows(
    scope: Scope,
    rules: Rules,
    *,
    with_kinds: bool = True,
    offset: int = 0,
    limit: int | None = None,
) -> Subquery:
    """The products' facts: each live kind's status (`kind_0`…, `with_kinds`), the counts and
    flags the readiness codes are judged from (`_reasons`), findings, slips and documents; of
    the products in slug order from `offset`, at most `limit` of them, when given (a page's
    facts are worked out for its own products only)."""
    chosen = chosen_products(scope)
    if offset or limit is not None:
        chosen = chosen.order_by(col(Product.slug)).offset(offset).limit(limit)
    products = chosen.subquery("chosen")
    checkpoints = _checkpoint_summary(rules, products, with_kinds=with_kinds)
    findings = _finding_summary(rules, products)
    slips = _slip_summary(products)
    prfaq = aliased(Document, name="prfaq")
    security = aliased(Document, name="security_faq")
    revision = aliased(DocumentRevision, name="security_revision")
    zero = literal(0)
    counted = [
        *(f"n_{status.value}" for status in STATUS_ORDER),
        "blocking_present",
        WAIVER_EXPIRED,
        CHECKPOINT_NOT_STARTED,
        CHECKPOINT_IN_PROGRESS,
        CHECKPOINT_FAILED,
        CHECKPOINT_STALE,
        "retests_due",
        "waivers_expiring",
    ]
    classification = type_coerce(products.c.classification, String())
    facts = (
        select(
            products.c.product_id,
            products.c.slug,
            products.c.name,
            type_coerce(products.c.stage, String()).label("stage"),
            classification.label("classification"),
            products.c.target_launch_date,
            products.c.team,
            products.c.team_name,
            products.c.org,
            *(checkpoints.c[f"kind_{n}"] for n in range(len(rules.live)) if with_kinds),
            *(func.coalesce(checkpoints.c[name], zero).label(name) for name in counted),
            *(
                func.coalesce(findings.c[f"open_{severity.value}"], zero).label(
                    f"open_{severity.value}"
                )
                for severity in Severity
            ),
            func.coalesce(findings.c.overdue, zero).label("findings_overdue"),
            func.coalesce(slips.c.slips, zero).label("slips"),
            func.coalesce(slips.c.slip_days, zero).label("slip_days"),
            slips.c.last_slipped_at,
            type_coerce(col(prfaq.status), String()).label("prfaq_status"),
            type_coerce(col(security.status), String()).label("security_faq_status"),
            _required_count(rules, classification).label("security_required"),
            _answered(rules, func.coalesce(col(revision.answered), ""), classification).label(
                "security_answered"
            ),
            _blocking_count(rules, classification).label("blocking_required"),
        )
        .outerjoin(checkpoints, checkpoints.c.product_id == products.c.product_id)
        .outerjoin(findings, findings.c.product_id == products.c.product_id)
        .outerjoin(slips, slips.c.product_id == products.c.product_id)
        .outerjoin(
            prfaq,
            and_(
                col(prfaq.product_id) == products.c.product_id,
                col(prfaq.kind) == DocumentKind.PRFAQ,
            ),
        )
        .outerjoin(
            security,
            and_(
                col(security.product_id) == products.c.product_id,
                col(security.kind) == DocumentKind.SECURITY_FAQ,
            ),
        )
        .outerjoin(
            revision,
            and_(
                col(revision.document_id) == col(security.id),
                col(revision.number) == col(security.latest_revision),
            ),
        )
    ).subquery("facts")
    return facts


def _reasons(facts: Any) -> Reasons:
    """What blocks a product's launch, as conditions on its facts' columns (`facts.c`), each with
    its code, in the readiness answer's order."""
    approved = ReviewStatus.APPROVED.value
    return [
        (func.coalesce(facts.prfaq_status, "") != approved, PRFAQ_NOT_APPROVED),
        (func.coalesce(facts.security_faq_status, "") != approved, SECURITY_FAQ_NOT_APPROVED),
        (facts.security_answered < facts.security_required, SECURITY_FAQ_INCOMPLETE),
        (
            or_(
                facts[CHECKPOINT_NOT_STARTED] == 1,
                facts.blocking_present < facts.blocking_required,
            ),
            CHECKPOINT_NOT_STARTED,
        ),
        *(
            (facts[code] == 1, code)
            for code in (CHECKPOINT_IN_PROGRESS, CHECKPOINT_FAILED, CHECKPOINT_STALE)
        ),
        (facts[WAIVER_EXPIRED] == 1, WAIVER_EXPIRED),
        (facts.open_critical > 0, OPEN_CRITICAL_FINDINGS),
        (facts.open_high > 0, OPEN_HIGH_FINDINGS),
        (facts.findings_overdue > 0, OVERDUE_FINDINGS),
    ]


def _blockers(reasons: Reasons) -> ColumnElement[str]:
    """The codes of what blocks a launch, each followed by a space."""
    blockers: ColumnElement[str] = literal("", String())
    for condition, code in reasons:
        blockers = blockers + case((condition, literal(f"{code} ")), else_=literal(""))
    return blockers


def product_facts(
    scope: Scope, rules: Rules, *, offset: int = 0, limit: int | None = None
) -> Select[Any]:
    """One row per product in scope with every figure about it, its readiness included (the
    space-separated codes of its `blockers`, in the readiness answer's order), in slug order,
    from `offset` and at most `limit` of them. Enum columns come back as their text."""
    facts = _fact_rows(scope, rules, offset=offset, limit=limit)
    statement = select(facts, _blockers(_reasons(facts.c)).label("blockers"))
    return statement.order_by(facts.c.slug)


def _ratio(answered: ColumnElement[int], required: ColumnElement[int]) -> ColumnElement[float]:
    """`answered` ÷ `required` to 4 decimal places, a half to the even digit, in integers, as
    `completeness_ratio` works it out (round() in SQL takes a half away from zero); 1.0 when
    nothing is required."""
    scaled = answered * 10000
    whole = scaled // required
    twice_left = (scaled % required) * 2
    up = or_(
        twice_left > required,
        and_(twice_left == required, whole % 2 == 1),
    )
    tenths_of_thousandths = whole + case((up, 1), else_=0)
    return case(
        (required > 0, cast(tenths_of_thousandths, Float()) / 10000.0),
        else_=literal(1.0, Float()),
    )


# A number as Python writes a float: "0.5", "1.0".
decimal_text = sql_function(
    "decimal_text",
    String(),
    "A floating-point number as text, as Python writes it (1.0, not 1).",
    default="(CASE WHEN {0} = trunc({0}) THEN to_char({0}, 'FM9999999990') || '.0'"
    " ELSE CAST({0} AS TEXT) END)",
    sqlite="CAST({0} AS TEXT)",
)
# A date as ISO 8601 text, whatever the server's DateStyle.
iso_day = sql_function(
    "iso_day",
    String(),
    "A date as ISO 8601 text (YYYY-MM-DD).",
    default="to_char({0}, 'YYYY-MM-DD')",
    sqlite="{0}",
)
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _formula_safe(text: ColumnElement[str]) -> ColumnElement[str]:
    """Free text as a spreadsheet shows it, never run as a formula (a quote before it)."""
    return case((func.substr(text, 1, 1).in_(FORMULA_STARTS), literal("'") + text), else_=text)


def _quoted(text: ColumnElement[str]) -> ColumnElement[str]:
    """A cell as RFC 4180 (and Python's `csv`, minimal quoting) writes it: in double quotes,
    its own doubled, when it holds a comma, a double quote or a line break."""
    special = or_(*(text.contains(mark) for mark in (",", '"', "\r", "\n")))
    return case((special, '"' + func.replace(text, '"', '""') + '"'), else_=text)


def _cell(value: ColumnElement[Any]) -> ColumnElement[str]:
    return func.coalesce(cast(value, String()), "")


def csv_lines(
    scope: Scope, rules: Rules, *, findings: bool, security_faqs: bool, teams: bool
) -> Select[Any]:
    """One CSV line per product in scope (without its line end), in slug order, each cell as
    `csv_header` (in the service) names them, written by the database: the service joins the
    lines. Findings, security FAQ and team name cells are empty for a caller who may not read
    them."""
    facts = _fact_rows(scope, rules)
    f = facts.c
    reasons = _reasons(f)
    blocked = or_(*(condition for condition, _ in reasons))
    hidden = literal("", String())
    cells: list[ColumnElement[str]] = [
        f.slug,
        _quoted(_formula_safe(f.name)),
        f.stage,
        f.team,
        _quoted(_formula_safe(f.team_name)) if teams else hidden,
        _quoted(_formula_safe(f.org)),
        f.classification,
        func.coalesce(iso_day(f.target_launch_date), ""),
        _cell(f.slips),
        _cell(f.slip_days),
        case((blocked, literal("false")), else_=literal("true")),
        func.rtrim(_blockers(reasons)),
        *(
            func.coalesce(f[f"kind_{n}"], CheckpointStatus.NOT_STARTED.value)
            for n in range(len(rules.live))
        ),
        *((_cell(f[f"open_{severity.value}"]) if findings else hidden) for severity in Severity),
        _cell(f.findings_overdue) if findings else hidden,
        func.coalesce(f.prfaq_status, "missing"),
        func.coalesce(f.security_faq_status, "missing") if security_faqs else hidden,
        func.coalesce(
            case(
                (
                    f.security_faq_status.is_not(None),
                    decimal_text(_ratio(f.security_answered, f.security_required)),
                )
            ),
            "",
        )
        if security_faqs
        else hidden,
    ]
    line = cells[0]
    for cell in cells[1:]:
        line = line + "," + cell
    return select(line.label("line")).order_by(f.slug)


# JSON written by the database, as text: read by pydantic's own JSON parser, in one call for
# thousands of objects, rather than built in Python one object at a time.
json_rows = sql_function(
    "json_rows",
    String(),
    "A JSON array holding, for each row aggregated, an array of the columns given.",
    default="CAST(json_agg(json_build_array({0})) AS TEXT)",
    sqlite="json_group_array(json_array({0}))",
)
json_objects = sql_function(
    "json_objects",
    String(),
    "A JSON array holding, for each row aggregated, an object of the names and values given.",
    default="CAST(json_agg(json_build_object({0})) AS TEXT)",
    sqlite="json_group_array(json_object({0}))",
)
present = sql_function(
    "present",
    String(),
    "A JSON array of the arguments that are not null, in order.",
    default="array_to_json(array_remove(ARRAY[{0}], NULL))",
    sqlite="json((SELECT json_group_array(value) FROM json_each(json_array({0}))"
    " WHERE value IS NOT NULL))",
)
# A stored timestamp as ISO 8601 text in UTC, as the API writes times.
utc_text = sql_function(
    "utc_text",
    String(),
    "A stored timestamp as ISO 8601 text in UTC, ending in Z.",
    default="""to_char(({0}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
    sqlite="(replace({0}, ' ', 'T') || 'Z')",
)


def _json_object(**values: ColumnElement[Any]) -> ColumnElement[str]:
    """`json_objects` of these names (trusted: they are Python identifiers) and values."""
    pairs: list[ColumnElement[Any]] = []
    for name, value in values.items():
        if not name.isidentifier():
            raise ValueError(f"{name!r} is not a name")
        pairs += [literal_column(f"'{name}'"), value]
    return json_objects(*pairs)


# Stages whose launch is no longer due.
NOT_DUE = (Stage.LAUNCHED.value, Stage.RETIRED.value)


def portfolio_summary(scope: Scope, rules: Rules, windows: Sequence[int]) -> Select[Any]:
    """The portfolio's figures in one row: the products' facts added up by the database (counts
    by stage, classification and status, readiness and its blockers, checkpoint, finding and
    document figures), with the orgs' counts, the launches due within the longest of `windows`
    days and the slipped products as JSON arrays (`json_rows`). One statement, its facts worked
    out once (a materialised CTE) however many figures read them."""
    inner = _fact_rows(scope, rules, with_kinds=False)
    # Worked out once and kept: every figure below reads these rows.
    facts = select(inner).cte("facts").prefix_with("MATERIALIZED")
    f = facts.c
    reasons = _reasons(f)
    blocked = or_(*(condition for condition, _ in reasons))
    today = rules.now.date()

    def counted(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    def summed(column: ColumnElement[Any]) -> ColumnElement[int]:
        # PostgreSQL adds integers up as NUMERIC (a Decimal in Python): kept an integer.
        return cast(func.coalesce(func.sum(column), 0), Integer())

    def due_within(days: int) -> ColumnElement[bool]:
        return and_(
            f.target_launch_date >= today,
            f.target_launch_date <= today + timedelta(days=days),
            f.stage.notin_(NOT_DUE),
        )

    assessed = f.stage != Stage.RETIRED.value
    written = f.security_faq_status.is_not(None)
    share = case(
        (f.security_required > 0, cast(f.security_answered, Float()) / f.security_required),
        else_=literal(1.0),
    )
    orgs = select(f.org, func.count().label("products")).group_by(f.org).subquery("orgs")
    statement: Select[Any] = select(  # type: ignore[assignment]  # too many columns to type
        func.count().label("total"),
        *(counted(f.stage == stage.value).label(f"stage_{stage.value}") for stage in Stage),
        *(
            counted(f.classification == level.value).label(f"classification_{level.value}")
            for level in DataClassification
        ),
        counted(assessed).label("assessed"),
        counted(and_(assessed, ~blocked)).label("ready"),
        *(counted(and_(assessed, condition)).label(f"code_{code}") for condition, code in reasons),
        *(
            figure
            for days in windows
            for figure in (
                counted(due_within(days)).label(f"due_{days}"),
                counted(and_(due_within(days), ~blocked)).label(f"due_ready_{days}"),
            )
        ),
        *(
            counted(document.is_(None) if status is None else document == status.value).label(
                f"{name}_{status.value if status else 'missing'}"
            )
            for name, document in (("prfaq", f.prfaq_status), ("security", f.security_faq_status))
            for status in (None, *ReviewStatus)
        ),
        counted(written).label("security_written"),
        func.coalesce(func.sum(case((written, share))), 0.0).label("completeness_sum"),
        *(summed(f[f"n_{status.value}"]).label(f"n_{status.value}") for status in STATUS_ORDER),
        *(
            summed(f[f"open_{severity.value}"]).label(f"open_{severity.value}")
            for severity in Severity
        ),
        summed(f.findings_overdue).label("findings_overdue"),
        counted(f.findings_overdue > 0).label("products_overdue"),
        summed(f.retests_due).label("retests_due"),
        counted(f.retests_due > 0).label("retest_products"),
        summed(f.waivers_expiring).label("waivers_expiring"),
        counted(f.slips > 0).label("products_slipped"),
        summed(f.slips).label("slips"),
        summed(f.slip_days).label("slip_days"),
        select(json_rows(orgs.c.org, orgs.c.products)).scalar_subquery().label("orgs"),
        # As `LaunchDue` and `SlippedProduct` read them.
        select(
            _json_object(
                product=f.slug,
                name=f.name,
                team=f.team,
                target_launch_date=f.target_launch_date,
                days_until=day_number(f.target_launch_date) - day_number(literal(today, Date())),
                ready=~blocked,
                blockers=present(
                    *(case((condition, literal_column(f"'{code}'"))) for condition, code in reasons)
                ),
            )
        )
        .where(due_within(max(windows)))
        .scalar_subquery()
        .label("launches"),
        select(
            _json_object(
                product=f.slug,
                name=f.name,
                team=f.team,
                slips=f.slips,
                days=f.slip_days,
                last_slipped_at=utc_text(f.last_slipped_at),
            )
        )
        .where(f.slips > 0)
        .scalar_subquery()
        .label("slipped"),
    ).select_from(facts)
    return statement


def slips_by_month(scope: Scope) -> Select[Any]:
    """How many slips, of how many days, each month, oldest first."""
    slips = _slip_rows(chosen_products(scope).subquery("chosen")).subquery("slips")
    month = utc_month(slips.c.slipped_at)
    return (
        select(month.label("month"), func.count().label("slips"), func.sum(slips.c.days))
        .group_by(month)
        .order_by(month)
    )


def team_rows(scope: Scope, guideline: Guideline) -> Select[Any]:
    """One row per live team in scope: its slug, name, org, headcount, health status, the
    exception in force (if any) and how many of the products in scope it owns. With a stage
    filter (or a ci token's products), the teams owning a product the scope covers."""
    statuses = team_status_subquery(guideline, None)
    chosen = chosen_products(scope).subquery("chosen")
    owned = (
        select(chosen.c.team, func.count().label("products"))
        .group_by(chosen.c.team)
        .subquery("owned")
    )
    statement = (
        select(
            col(Team.slug),
            col(Team.name),
            col(Team.org),
            statuses.c.headcount,
            statuses.c.status,
            statuses.c.exception_id,
            func.coalesce(owned.c.products, 0).label("products"),
        )
        .join(statuses, statuses.c.team_id == col(Team.id))
        .outerjoin(owned, owned.c.team == col(Team.slug))
        .where(col(Team.archived_at).is_(None))
        .order_by(col(Team.slug))
    )
    if scope.org is not None:
        statement = statement.where(col(Team.org) == scope.org)
    if scope.team is not None:
        statement = statement.where(col(Team.slug) == scope.team)
    if scope.stage is not None or scope.product_ids is not None:
        owners = chosen_products(scope).with_only_columns(col(Product.team_id))
        statement = statement.where(col(Team.id).in_(owners))
    return statement
