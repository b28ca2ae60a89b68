"""Checkpoints, their results, waivers and findings, as clients send and see them."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.checkpoints.models import (
    Approach,
    CheckpointStatus,
    Decision,
    FindingStatus,
    Outcome,
    Severity,
    SignOff,
)
from api.core.access import Role
from api.core.fields import InputModel, Moment, Name, RecordRead, WholeNumber, omitted
from api.products.models import DataClassification

KIND_KEY_PATTERN = r"^[a-z][a-z0-9_]{1,62}$"
KindKey = Annotated[str, StringConstraints(strip_whitespace=False, pattern=KIND_KEY_PATTERN)]
MAX_WAIVER_DAYS = 90
MAX_FAILING_TESTS = 200
MAX_FINDINGS_PER_UPLOAD = 5000
# A link to evidence: http(s) only, so a portal never renders a `javascript:` link.
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://\S+$")
]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Count = Annotated[WholeNumber, Field(ge=0, le=10_000_000)]


class ReviewerRole(StrEnum):
    """The roles that may sign a reviewer kind off: roles that act for a person over every
    team (a contributor's rights end at their own teams)."""

    SECURITY_REVIEWER = Role.SECURITY_REVIEWER.value
    ADMIN = Role.ADMIN.value


class KindCreate(InputModel):
    """A new kind of checkpoint in the catalogue."""

    key: KindKey = Field(description="Stable key, e.g. `resiliency`: lower case, digits, `_`")
    name: Name
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    required_for: list[DataClassification] = Field(
        default_factory=lambda: list(DataClassification),
        description="The data classifications for which a product must pass it",
        max_length=len(DataClassification),
    )
    blocking: bool = Field(default=True, description="Whether launch waits for it; else advisory")
    # (Enum fields carry no description of their own: the enum's is the one OpenAPI shows.)
    sign_off: SignOff = SignOff.AUTOMATIC
    reviewer_role: ReviewerRole | None = None
    retest_interval_days: int | None = Field(
        default=None, ge=1, le=3650, description="Days a pass holds after launch; none: for good"
    )


class KindUpdate(InputModel):
    """Fields of a kind to change."""

    name: Name = omitted()
    description: Annotated[str, StringConstraints(max_length=2000)] = omitted()
    required_for: list[DataClassification] = omitted()
    blocking: bool = omitted()
    sign_off: SignOff = omitted()
    reviewer_role: ReviewerRole | None = Field(default=None)
    retest_interval_days: int | None = Field(default=None, ge=1, le=3650)


class KindRead(RecordRead):
    """A kind of checkpoint."""

    key: str
    name: str
    description: str
    required_for: list[DataClassification]
    blocking: bool
    sign_off: SignOff
    reviewer_role: ReviewerRole | None
    retest_interval_days: int | None
    archived_at: datetime | None


class ResultCreate(InputModel):
    """Evidence from one test run, as a pipeline reports it."""

    outcome: Outcome
    approaches: list[Approach] = Field(
        default_factory=list,
        max_length=len(Approach),
        description="How it was tested: positive/negative, black_box/white_box, where it applies",
    )
    summary: Summary | None = None
    details_url: Url | None = None
    commit_sha: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{7,64}$")] | None = None
    pipeline_run_id: Label | None = None
    pipeline_url: Url | None = None
    tests_run: Count | None = None
    tests_failed: Count | None = None
    tests_skipped: Count | None = None
    failing_tests: list[
        Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00]*$")]
    ] = Field(
        default_factory=list, max_length=MAX_FAILING_TESTS, description="Names of failing tests"
    )


class ResultRead(RecordRead):
    """One recorded test run."""

    checkpoint: str = Field(description="The kind's key")
    product: str = Field(description="The product's slug")
    outcome: Outcome
    approaches: list[Approach]
    summary: str | None
    details_url: str | None
    commit_sha: str | None
    pipeline_run_id: str | None
    pipeline_url: str | None
    tests_run: int | None
    tests_failed: int | None
    tests_skipped: int | None
    failing_tests: list[str]
    recorded_by: str


class WaiverCreate(InputModel):
    """Let launch go ahead without this checkpoint passing, for a while."""

    justification: Comment
    expires_at: Moment = Field(description=f"At most {MAX_WAIVER_DAYS} days from now")


class WaiverRead(BaseModel):
    """A waiver, active or not."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    justification: str
    approved_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    active: bool = Field(description="Neither expired nor revoked")


class SignOffCreate(InputModel):
    """A reviewer's decision on a `reviewer` kind of checkpoint."""

    status: Decision
    comment: Comment
    evidence: list[uuid.UUID] = Field(
        min_length=1,
        max_length=100,
        description="Ids of this checkpoint's results the decision relied on",
    )


class CheckpointRead(BaseModel):
    """A product's checkpoint of one kind, and where it stands: its latest result, its
    reviewer's decision, and its latest waiver, active or not."""

    product: str
    kind: str
    name: str
    required: bool = Field(description="Required for the product's data classification")
    blocking: bool
    sign_off: SignOff
    reviewer_role: ReviewerRole | None
    status: CheckpointStatus
    results_count: int
    last_result: ResultRead | None
    last_passed_at: datetime | None
    retest_due_at: datetime | None = Field(description="When a launched product must pass it again")
    decided_by: str | None
    decided_at: datetime | None
    decision_comment: str | None
    evidence: list[uuid.UUID]
    waiver: WaiverRead | None
    version: int


class DueCheckpointRead(BaseModel):
    """A launched product's checkpoint due for a re-test."""

    product: str
    team: str
    kind: str
    status: CheckpointStatus
    last_passed_at: datetime
    retest_due_at: datetime


class FindingInput(InputModel):
    """One finding as a tool reports it."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    severity: Severity
    fingerprint: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Stable across uploads: a re-upload updates the finding instead of adding one"
    )
    external_id: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        default=None, description="The tool's id for it, e.g. a rule id or CVE"
    )
    location: Annotated[str, StringConstraints(max_length=1000)] | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None


class FindingsUpload(InputModel):
    """A tool's findings for one checkpoint of a product."""

    checkpoint: KindKey = Field(description="The kind of checkpoint they came from")
    tool: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    full: bool = Field(
        default=True,
        description="A full upload marks the tool's open findings it no longer lists as fixed",
    )
    findings: list[FindingInput] = Field(max_length=MAX_FINDINGS_PER_UPLOAD)


class FindingUpdate(InputModel):
    """Triage of one finding."""

    status: FindingStatus
    reason: Comment | None = Field(default=None, description="Why (required to accept a risk)")
    risk_expires_at: Moment | None = Field(
        default=None, description="Until when an accepted risk holds (required to accept one)"
    )


class FindingRead(RecordRead):
    """A finding; an `accepted_risk` past its expiry reads as `open`."""

    product: str
    checkpoint: str
    tool: str
    fingerprint: str
    external_id: str | None
    title: str
    description: str | None
    location: str | None
    severity: Severity
    status: FindingStatus
    opened_at: datetime
    last_seen_at: datetime
    fixed_at: datetime | None
    risk_expires_at: datetime | None
    status_reason: str | None
    fix_by: datetime
    overdue: bool
    updated_by: str


class UploadRead(BaseModel):
    """What an upload of findings changed."""

    created: int
    updated: int
    fixed: int
    items: list[FindingRead]


class DeadlinesRead(BaseModel):
    """Days to fix a finding, per severity, counted from when it was found."""

    critical: int
    high: int
    medium: int
    low: int


class DeadlinesUpdate(InputModel):
    """New fix-by days per severity."""

    critical: int = Field(ge=1, le=3650)
    high: int = Field(ge=1, le=3650)
    medium: int = Field(ge=1, le=3650)
    low: int = Field(ge=1, le=3650)


class Blocker(BaseModel):
    """One reason a product may not launch, or (as a warning) something to look at."""

    code: str = Field(description="Stable: e.g. `prfaq_not_approved`, `checkpoint_failed`")
    detail: str
    checkpoint: str | None = Field(default=None, description="The kind's key, where it is one")


class ReadinessRead(BaseModel):
    """Whether a product is cleared to launch, and every reason it is not."""

    product: str
    stage: str
    ready: bool
    blockers: list[Blocker]
    warnings: list[Blocker]
