"""Checkpoint kinds (the org's catalogue), each product's checkpoints, the results CI posts,
waivers that expire, findings with fix-by deadlines, and the org's deadline settings."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlmodel import Field

from api.audit.trail import Audited
from api.core.db import RecordBase, UTCDateTime, stored_enum


class SignOff(StrEnum):
    """How a checkpoint of a kind is decided: `automatic`, by its latest result; `reviewer`, by
    a person with the kind's reviewer role."""

    # The latest result decides.
    AUTOMATIC = "automatic"
    """The latest result decides."""
    # Results are evidence; a person with the kind's reviewer role decides.
    REVIEWER = "reviewer"
    """Results are evidence; a person with the kind's reviewer role decides."""


class CheckpointStatus(StrEnum):
    """Where a product's checkpoint stands."""

    NOT_STARTED = "not_started"
    """No result, sign-off or waiver yet."""
    IN_PROGRESS = "in_progress"
    """A reviewer kind with evidence its reviewer has not decided on yet."""
    PASSED = "passed"
    """Passed: the latest result (automatic kinds) or its reviewer (reviewer kinds)."""
    FAILED = "failed"
    """Failed: the latest result (automatic kinds) or its reviewer (reviewer kinds)."""
    WAIVED = "waived"
    """Not passed, but under an active waiver."""
    # Launched, and the last pass is older than the kind's re-test interval.
    STALE = "stale"
    """Launched, and the last pass is older than the kind's re-test interval."""


class Outcome(StrEnum):
    """What one test run found."""

    PASSED = "passed"
    """Every test passed."""
    FAILED = "failed"
    """Something failed."""


class Approach(StrEnum):
    """How a checkpoint was tested."""

    POSITIVE = "positive"
    """It does what it should with valid input."""
    NEGATIVE = "negative"
    """It refuses what it should: invalid, hostile or unauthorised input."""
    BLACK_BOX = "black_box"
    """Tested from outside, without the code."""
    WHITE_BOX = "white_box"
    """Tested with the code in view."""


class Decision(StrEnum):
    """A reviewer's sign-off."""

    PASSED = "passed"
    """The evidence shows the checkpoint is met."""
    FAILED = "failed"
    """The evidence shows it is not."""


class Severity(StrEnum):
    """How bad a finding is, worst first."""

    CRITICAL = "critical"
    """Fix within days (7 by default); blocks launch while open."""
    HIGH = "high"
    """Fix within a month (30 days by default); blocks launch while open."""
    MEDIUM = "medium"
    """Fix within 90 days by default."""
    LOW = "low"
    """Fix within 120 days by default."""


class FindingStatus(StrEnum):
    """Where a finding stands."""

    OPEN = "open"
    """Found and not fixed (or an accepted risk past its expiry)."""
    FIXED = "fixed"
    """Fixed: marked so, or no longer reported by a full upload of its tool."""
    # Accepted until `risk_expires_at`; after it, the finding counts as open again.
    ACCEPTED_RISK = "accepted_risk"
    """Accepted by security until `risk_expires_at`."""


class CheckpointKind(RecordBase, table=True):
    """One kind of launch checkpoint in the org's catalogue. Until an admin first changes the
    catalogue it is the built-in default (`api.checkpoints.catalogue`), stored on that change."""

    __audit__: ClassVar[Audited] = Audited("checkpoint_kind", actions=(("archived_at", "archive"),))

    __tablename__ = "checkpoint_kinds"

    key: str = Field(sa_type=String(63), unique=True)
    name: str = Field(sa_type=String(200))
    description: str = Field(default="", sa_type=String(2000))
    # The data classifications for which a product must pass it.
    required_for: list[str] = Field(sa_column=Column(JSON, nullable=False))
    blocking: bool = Field(sa_column=Column(Boolean, nullable=False))
    sign_off: SignOff = Field(sa_type=stored_enum(SignOff, name="sign_off", length=16))
    reviewer_role: str | None = Field(default=None, sa_type=String(32))
    # Days a pass holds once the product is launched; None: it never goes stale.
    retest_interval_days: int | None = Field(default=None)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Checkpoint(RecordBase, table=True):
    """A product's checkpoint of one kind: its latest evidence and its reviewer's decision.
    Made with its first result, sign-off or waiver; until then the checkpoint is not started."""

    __audit__: ClassVar[Audited] = Audited("checkpoint", parent=("product", "product_id"))

    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("product_id", "kind"),)

    product_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("products.id"), nullable=False, index=True)
    )
    # The kind's key (keys never change; the catalogue may still be the built-in default).
    kind: str = Field(sa_type=String(63), index=True)
    last_result_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, nullable=True))
    last_outcome: Outcome | None = Field(
        default=None, sa_type=stored_enum(Outcome, name="last_outcome", length=16)
    )
    last_result_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    results_count: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    # Reviewer kinds: the person's decision, and the results it relied on.
    decision: Decision | None = Field(
        default=None, sa_type=stored_enum(Decision, name="decision", length=16)
    )
    decided_by: str | None = Field(default=None, sa_type=String(200))
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_comment: str | None = Field(default=None, sa_type=String(2000))
    evidence: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # When it last passed (a passing result of an automatic kind, a reviewer's pass); a launched
    # product's re-test is due the kind's interval after it.
    last_passed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class CheckpointResult(RecordBase, table=True):
    """One test run's evidence, as a pipeline posted it; never changed."""

    __audit__: ClassVar[Audited] = Audited(
        "checkpoint_result",
        parent=("checkpoint", "checkpoint_id"),
        hidden=frozenset({"failing_tests"}),
    )

    __tablename__ = "checkpoint_results"

    checkpoint_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("checkpoints.id"), nullable=False, index=True)
    )
    outcome: Outcome = Field(sa_type=stored_enum(Outcome, name="outcome", length=16))
    approaches: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    summary: str | None = Field(default=None, sa_type=String(2000))
    details_url: str | None = Field(default=None, sa_type=String(2000))
    commit_sha: str | None = Field(default=None, sa_type=String(64))
    pipeline_run_id: str | None = Field(default=None, sa_type=String(200))
    pipeline_url: str | None = Field(default=None, sa_type=String(2000))
    tests_run: int | None = Field(default=None)
    tests_failed: int | None = Field(default=None)
    tests_skipped: int | None = Field(default=None)
    failing_tests: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    recorded_by: str = Field(sa_type=String(200))


class Waiver(RecordBase, table=True):
    """Launch may go ahead without this checkpoint passing, until `expires_at`."""

    __audit__: ClassVar[Audited] = Audited(
        "waiver", parent=("checkpoint", "checkpoint_id"), actions=(("revoked_at", "revoke"),)
    )

    __tablename__ = "waivers"

    checkpoint_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("checkpoints.id"), nullable=False, index=True)
    )
    justification: str = Field(sa_type=String(2000))
    approved_by: str = Field(sa_type=String(200))
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, sa_type=String(200))


class Finding(RecordBase, table=True):
    """Something a checkpoint's testing found, tracked until fixed or its risk accepted. A tool
    re-uploading the same fingerprint updates it rather than adding another."""

    # No parent: a product's history is open to viewers, and findings are not.
    __audit__: ClassVar[Audited] = Audited("finding")

    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("product_id", "kind", "tool", "fingerprint"),)

    product_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("products.id"), nullable=False, index=True)
    )
    kind: str = Field(sa_type=String(63), index=True)
    tool: str = Field(sa_type=String(100))
    fingerprint: str = Field(sa_type=String(200))
    external_id: str | None = Field(default=None, sa_type=String(200))
    title: str = Field(sa_type=String(300))
    description: str | None = Field(default=None, sa_type=String(5000))
    location: str | None = Field(default=None, sa_type=String(1000))
    severity: Severity = Field(sa_type=stored_enum(Severity, name="severity", length=16))
    status: FindingStatus = Field(
        default=FindingStatus.OPEN,
        sa_type=stored_enum(FindingStatus, name="finding_status", length=16),
        index=True,
    )
    # The clock for its fix-by deadline: when it was found (or found again after a fix).
    opened_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    fixed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    risk_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status_reason: str | None = Field(default=None, sa_type=String(2000))
    updated_by: str = Field(sa_type=String(200))


class FindingDeadlines(RecordBase, table=True):
    """The org's fix-by days per severity; one row, made when an admin first sets them."""

    __audit__: ClassVar[Audited] = Audited("finding_deadlines")

    __tablename__ = "finding_deadlines"

    scope: str = Field(default="org", sa_type=String(16), unique=True)
    days: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
