"""How checkpoints, results, waivers, findings and readiness answers are shown to clients."""

import uuid

from api.checkpoints.findings import FindingView
from api.checkpoints.models import CheckpointKind, CheckpointResult, Waiver
from api.checkpoints.readiness import Readiness
from api.checkpoints.schemas import (
    Blocker,
    CheckpointRead,
    DueCheckpointRead,
    FindingRead,
    KindRead,
    ReadinessRead,
    ResultRead,
    WaiverRead,
)
from api.checkpoints.service import CheckpointView, DueCheckpoint, retest_due, waiver_active
from api.core.db import utcnow
from api.core.fields import read_as


def kind_read(kind: CheckpointKind) -> KindRead:
    """The REST shape of a kind."""
    return KindRead.model_validate(kind)


def result_read(result: CheckpointResult, *, product: str, checkpoint: str) -> ResultRead:
    """The REST shape of a result."""
    return read_as(ResultRead, result, product=product, checkpoint=checkpoint)


def waiver_read(waiver: Waiver) -> WaiverRead:
    """The REST shape of a waiver."""
    return read_as(WaiverRead, waiver, active=waiver_active(waiver, utcnow()))


def checkpoint_read(view: CheckpointView) -> CheckpointRead:
    """The REST shape of a product's checkpoint."""
    row, kind = view.checkpoint, view.kind
    return CheckpointRead(
        product=view.product.slug,
        kind=kind.key,
        name=kind.name,
        required=view.required,
        blocking=kind.blocking,
        sign_off=kind.sign_off,
        reviewer_role=kind.reviewer_role,
        status=view.status,
        results_count=row.results_count if row else 0,
        last_result=(
            result_read(view.last_result, product=view.product.slug, checkpoint=kind.key)
            if view.last_result
            else None
        ),
        last_passed_at=row.last_passed_at if row else None,
        retest_due_at=retest_due(kind, row),
        decided_by=row.decided_by if row else None,
        decided_at=row.decided_at if row else None,
        decision_comment=row.decision_comment if row else None,
        evidence=[uuid.UUID(item) for item in row.evidence] if row else [],
        waiver=waiver_read(view.waiver) if view.waiver else None,
        version=row.version if row else 0,
    )


def due_read(due: DueCheckpoint) -> DueCheckpointRead:
    """The REST shape of a checkpoint in the re-test queue."""
    assert due.checkpoint.last_passed_at is not None
    return DueCheckpointRead(
        product=due.product.slug,
        team=due.product.team.slug,
        kind=due.kind.key,
        status=due.status,
        last_passed_at=due.checkpoint.last_passed_at,
        retest_due_at=due.due_at,
    )


def finding_read(view: FindingView) -> FindingRead:
    """The REST shape of a finding."""
    return read_as(
        FindingRead,
        view.finding,
        product=view.product.slug,
        checkpoint=view.finding.kind,
        status=view.status,
        fix_by=view.fix_by,
        overdue=view.overdue,
    )


def readiness_read(answer: Readiness) -> ReadinessRead:
    """The REST shape of a readiness answer."""
    return ReadinessRead(
        product=answer.product.slug,
        stage=answer.product.stage.value,
        ready=answer.ready,
        blockers=[
            Blocker(code=i.code, detail=i.detail, checkpoint=i.checkpoint) for i in answer.blockers
        ],
        warnings=[
            Blocker(code=i.code, detail=i.detail, checkpoint=i.checkpoint) for i in answer.warnings
        ],
    )
