"""Checkpoints, their results, waivers and findings, as clients send and see them."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

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
from api.core.described import Schema
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
    """Security reviewers sign it off (admins may waive it too)."""
    ADMIN = Role.ADMIN.value
    """Admins sign it off."""


class KindCreate(InputModel):
    """A new kind of checkpoint in the catalogue."""

    key: KindKey = Field(description="Stable key, e.g. `resiliency`: lower case, digits, `_`")
    name: Name
    """The kind's display name."""
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    """What the checkpoint tests, for the people who run it."""
    required_for: list[DataClassification] = Field(
        default_factory=lambda: list(DataClassification),
        description="The data classifications for which a product must pass it",
        max_length=len(DataClassification),
    )
    blocking: bool = Field(default=True, description="Whether launch waits for it; else advisory")
    sign_off: SignOff = SignOff.AUTOMATIC
    """How it is decided: by its latest result, or by a person with `reviewer_role`."""
    reviewer_role: ReviewerRole | None = None
    """The role that signs a `reviewer` kind off and approves its waivers (with admins); none
    for an automatic kind."""
    retest_interval_days: int | None = Field(
        default=None, ge=1, le=3650, description="Days a pass holds after launch; none: for good"
    )


class KindUpdate(InputModel):
    """Fields of a kind to change."""

    name: Name = omitted()
    """The kind's display name."""
    description: Annotated[str, StringConstraints(max_length=2000)] = omitted()
    """What the checkpoint tests, for the people who run it."""
    required_for: list[DataClassification] = omitted()
    """The data classifications for which a product must pass it."""
    blocking: bool = omitted()
    """Whether launch waits for it; an advisory kind only warns."""
    sign_off: SignOff = omitted()
    """How it is decided: by its latest result, or by a person with `reviewer_role`."""
    reviewer_role: ReviewerRole | None = Field(default=None)
    """The role that signs a `reviewer` kind off; null for an automatic kind."""
    retest_interval_days: int | None = Field(default=None, ge=1, le=3650)
    """Days a pass holds once launched; null: for good."""


class KindRead(RecordRead):
    """A kind of checkpoint."""

    key: str
    """The kind's stable key, e.g. `resiliency`."""
    name: str
    """The kind's display name."""
    description: str
    """What the checkpoint tests, for the people who run it."""
    required_for: list[DataClassification]
    """The data classifications for which a product must pass it."""
    blocking: bool
    """Whether launch waits for it; an advisory kind only warns."""
    sign_off: SignOff
    """How it is decided: by its latest result, or by a person with `reviewer_role`."""
    reviewer_role: ReviewerRole | None
    """The role that signs a `reviewer` kind off and approves its waivers (with admins); none
    for an automatic kind."""
    retest_interval_days: int | None
    """Days a pass holds once the product is launched; none: it holds for good."""
    archived_at: datetime | None
    """When it left the catalogue; products no longer need it."""


class ResultCreate(InputModel):
    """Evidence from one test run, as a pipeline reports it."""

    outcome: Outcome
    """What the run found."""
    approaches: list[Approach] = Field(
        default_factory=list,
        max_length=len(Approach),
        description="How it was tested: positive/negative, black_box/white_box, where it applies",
    )
    summary: Summary | None = None
    """A line for people, e.g. `412 tests, 0 failed`."""
    details_url: Url | None = None
    """Where the run's details are (http or https)."""
    commit_sha: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{7,64}$")] | None = None
    """The commit tested, 7 to 64 hex digits."""
    pipeline_run_id: Label | None = None
    """The CI system's id for the run."""
    pipeline_url: Url | None = None
    """The run's page in the CI system (http or https)."""
    tests_run: Count | None = None
    """How many tests ran."""
    tests_failed: Count | None = None
    """How many failed (errors included)."""
    tests_skipped: Count | None = None
    """How many were skipped."""
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
    """What the run found."""
    approaches: list[Approach]
    """How it was tested."""
    summary: str | None
    """A line for people, e.g. `412 tests, 0 failed`."""
    details_url: str | None
    """Where the run's details are (http or https)."""
    commit_sha: str | None
    """The commit tested, 7 to 64 hex digits."""
    pipeline_run_id: str | None
    """The CI system's id for the run."""
    pipeline_url: str | None
    """The run's page in the CI system (http or https)."""
    tests_run: int | None
    """How many tests ran."""
    tests_failed: int | None
    """How many failed (errors included)."""
    tests_skipped: int | None
    """How many were skipped."""
    failing_tests: list[str]
    """Names of the failing tests, at most 200."""
    recorded_by: str
    """Who posted it: the token's person, or the pipeline token's name."""


class WaiverCreate(InputModel):
    """Let launch go ahead without this checkpoint passing, for a while."""

    justification: Comment
    """Why launch may go ahead without it."""
    expires_at: Moment = Field(description=f"At most {MAX_WAIVER_DAYS} days from now")


class WaiverRead(Schema):
    """A waiver, active or not."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    """The waiver's id."""
    justification: str
    """Why launch may go ahead without it."""
    approved_by: str
    """Who approved the waiver."""
    created_at: datetime
    """When it was granted."""
    expires_at: datetime
    """When it stops counting."""
    revoked_at: datetime | None
    """When it was revoked, if it was."""
    revoked_by: str | None
    """Who revoked it."""
    active: bool = Field(description="Neither expired nor revoked")


class SignOffCreate(InputModel):
    """A reviewer's decision on a `reviewer` kind of checkpoint."""

    status: Decision
    """The decision."""
    comment: Comment
    """What the reviewer found; kept with the decision."""
    evidence: list[uuid.UUID] = Field(
        min_length=1,
        max_length=100,
        description="Ids of this checkpoint's results the decision relied on",
    )


class CheckpointRead(Schema):
    """A product's checkpoint of one kind, and where it stands: its latest result, its
    reviewer's decision, and its latest waiver, active or not."""

    product: str
    """The product's slug."""
    kind: str
    """The kind's key."""
    name: str
    """The kind's display name."""
    required: bool = Field(description="Required for the product's data classification")
    blocking: bool
    """Whether launch waits for it."""
    sign_off: SignOff
    """How it is decided: by its latest result, or by a person with `reviewer_role`."""
    reviewer_role: ReviewerRole | None
    """The role that signs a `reviewer` kind off and approves its waivers (with admins); none
    for an automatic kind."""
    status: CheckpointStatus
    """Where it stands."""
    results_count: int
    """How many results were posted for it."""
    last_result: ResultRead | None
    """The latest result, if any."""
    last_passed_at: datetime | None
    """When it last passed."""
    retest_due_at: datetime | None = Field(description="When a launched product must pass it again")
    decided_by: str | None
    """Who made the latest sign-off."""
    decided_at: datetime | None
    """When."""
    decision_comment: str | None
    """The sign-off's comment."""
    evidence: list[uuid.UUID]
    """Ids of the results the latest sign-off relied on."""
    waiver: WaiverRead | None
    """The latest waiver, active or not."""
    version: int
    """The checkpoint's version (0 until its first result, sign-off or waiver); its ETag."""


class DueCheckpointRead(Schema):
    """A launched product's checkpoint due for a re-test."""

    product: str
    """The product's slug."""
    team: str
    """The owning team's slug."""
    kind: str
    """The kind's key."""
    status: CheckpointStatus
    """`passed` while due in the future; `stale` once due."""
    last_passed_at: datetime
    """When it last passed."""
    retest_due_at: datetime
    """When the re-test falls due."""


class FindingInput(InputModel):
    """One finding as a tool reports it."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    """One line saying what is wrong."""
    severity: Severity
    """How bad it is."""
    fingerprint: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Stable across uploads: a re-upload updates the finding instead of adding one"
    )
    external_id: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        default=None, description="The tool's id for it, e.g. a rule id or CVE"
    )
    location: Annotated[str, StringConstraints(max_length=1000)] | None = None
    """Where it is, e.g. `src/app.py:12` or a package name."""
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    """More about it, for the team."""


class FindingsUpload(InputModel):
    """A tool's findings for one checkpoint of a product."""

    checkpoint: KindKey = Field(description="The kind of checkpoint they came from")
    tool: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    """The tool that reported it, e.g. `Semgrep OSS`."""
    full: bool = Field(
        default=True,
        description="A full upload marks the tool's open findings it no longer lists as fixed",
    )
    findings: list[FindingInput] = Field(max_length=MAX_FINDINGS_PER_UPLOAD)
    """Every finding of the tool's scan (at most 5,000)."""


class FindingUpdate(InputModel):
    """Triage of one finding."""

    status: FindingStatus
    """The finding's new status."""
    reason: Comment | None = Field(default=None, description="Why (required to accept a risk)")
    risk_expires_at: Moment | None = Field(
        default=None, description="Until when an accepted risk holds (required to accept one)"
    )


class FindingRead(RecordRead):
    """A finding; an `accepted_risk` past its expiry reads as `open`."""

    product: str
    """The product's slug."""
    checkpoint: str
    """The key of the kind of checkpoint it came from."""
    tool: str
    """The tool that reported it, e.g. `Semgrep OSS`."""
    fingerprint: str
    """The tool's stable id for it: a re-upload with it updates the finding."""
    external_id: str | None
    """The tool's id for the rule or advisory, e.g. a rule id or CVE."""
    title: str
    """One line saying what is wrong."""
    description: str | None
    """More about it, for the team."""
    location: str | None
    """Where it is, e.g. `src/app.py:12` or a package name."""
    severity: Severity
    """How bad it is."""
    status: FindingStatus
    """Where it stands; an accepted risk past its expiry reads as `open`."""
    opened_at: datetime
    """When it was found (or found again after a fix): its deadline counts from here."""
    last_seen_at: datetime
    """When an upload last listed it."""
    fixed_at: datetime | None
    """When it was fixed."""
    risk_expires_at: datetime | None
    """Until when an accepted risk holds."""
    status_reason: str | None
    """Why its status last changed."""
    fix_by: datetime
    """When it must be fixed by, from its severity's fix-by days."""
    overdue: bool
    """Open past its fix-by time."""
    updated_by: str
    """Who last changed it."""


class UploadRead(Schema):
    """What an upload of findings changed."""

    created: int
    """Findings the upload added."""
    updated: int
    """Findings it changed."""
    fixed: int
    """Open findings of the tool it no longer listed, now marked fixed."""
    items: list[FindingRead]
    """The findings it listed, as they now stand."""


class DeadlinesRead(Schema):
    """Days to fix a finding, per severity, counted from when it was found."""

    critical: int
    """Days to fix a critical finding."""
    high: int
    """Days to fix a high one."""
    medium: int
    """Days to fix a medium one."""
    low: int
    """Days to fix a low one."""


class DeadlinesUpdate(InputModel):
    """New fix-by days per severity."""

    critical: int = Field(ge=1, le=3650)
    """Days to fix a critical finding."""
    high: int = Field(ge=1, le=3650)
    """Days to fix a high one."""
    medium: int = Field(ge=1, le=3650)
    """Days to fix a medium one."""
    low: int = Field(ge=1, le=3650)
    """Days to fix a low one."""


class Blocker(Schema):
    """One reason a product may not launch, or (as a warning) something to look at."""

    code: str = Field(description="Stable: e.g. `prfaq_not_approved`, `checkpoint_failed`")
    detail: str
    """What is wrong, for a person."""
    checkpoint: str | None = Field(default=None, description="The kind's key, where it is one")


class ReadinessRead(Schema):
    """Whether a product is cleared to launch, and every reason it is not."""

    product: str
    """The product's slug."""
    stage: str
    """The product's stage."""
    ready: bool
    """Cleared to launch: nothing blocks it."""
    blockers: list[Blocker]
    """Every reason it may not launch."""
    warnings: list[Blocker]
    """Worth a look, never a block."""
