"""One answer a pipeline can gate on: is a product cleared to launch, and if not, every reason.

Readiness gathers the documents' blockers (their codes), each required blocking checkpoint that
has not passed, and open critical, high and overdue findings; advisory checkpoints and waivers
about to expire are warnings. It is computed for many products at once in a fixed number of
queries, and guards the stage changes to `launch_review` and `launched`."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.checkpoints.catalogue import load_kinds
from api.checkpoints.findings import counts_for, load_deadlines
from api.checkpoints.models import CheckpointStatus, Severity, SignOff
from api.checkpoints.policy import READINESS
from api.checkpoints.service import CheckpointView, views_of, waiver_active
from api.core.access import Principal
from api.core.db import utcnow
from api.core.errors import Conflict, FieldError
from api.documents.gates import blockers_of
from api.products.models import Product, Stage
from api.products.service import StageMove, get_product, stage_changing

# The stable codes of what blocks a launch, beside the documents' own.
CHECKPOINT_NOT_STARTED = "checkpoint_not_started"
CHECKPOINT_IN_PROGRESS = "checkpoint_in_progress"
CHECKPOINT_FAILED = "checkpoint_failed"
CHECKPOINT_STALE = "checkpoint_stale"
WAIVER_EXPIRED = "waiver_expired"
OPEN_CRITICAL_FINDINGS = "open_critical_findings"
OPEN_HIGH_FINDINGS = "open_high_findings"
OVERDUE_FINDINGS = "overdue_findings"
# Warnings: worth a look, never a block.
ADVISORY_CHECKPOINT_NOT_PASSED = "advisory_checkpoint_not_passed"
WAIVER_EXPIRING = "waiver_expiring"
LAUNCHING_ON_WAIVER = "launching_on_waiver"

WAIVER_WARNING_DAYS = 14
GATED_STAGES = frozenset({Stage.LAUNCH_REVIEW, Stage.LAUNCHED})

_NOT_PASSED = {
    CheckpointStatus.NOT_STARTED: (CHECKPOINT_NOT_STARTED, "no result yet"),
    CheckpointStatus.IN_PROGRESS: (
        CHECKPOINT_IN_PROGRESS,
        "evidence awaits its reviewer's sign-off",
    ),
    CheckpointStatus.FAILED: (CHECKPOINT_FAILED, "failed"),
    CheckpointStatus.STALE: (CHECKPOINT_STALE, "due for a re-test"),
}


@dataclass
class Item:
    """One blocker or warning."""

    code: str
    detail: str
    checkpoint: str | None = None


@dataclass
class Readiness:
    """A product's readiness answer."""

    product: Product
    blockers: list[Item] = field(default_factory=list)
    warnings: list[Item] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """Cleared to launch: nothing blocks it."""
        return not self.blockers


def _checkpoint_items(view: CheckpointView, answer: Readiness) -> None:
    now = utcnow()
    kind, row = view.kind, view.checkpoint
    if not view.required:
        return
    if view.status in (CheckpointStatus.PASSED, CheckpointStatus.WAIVED):
        if view.status == CheckpointStatus.WAIVED and view.waiver is not None:
            expires, by = view.waiver.expires_at, view.waiver.approved_by
            answer.warnings.append(
                Item(
                    LAUNCHING_ON_WAIVER,
                    f"{kind.key}: waived until {expires:%Y-%m-%d} by {by}",
                    kind.key,
                )
            )
            if expires - now <= timedelta(days=WAIVER_WARNING_DAYS):
                answer.warnings.append(
                    Item(
                        WAIVER_EXPIRING,
                        f"{kind.key}: the waiver expires {expires:%Y-%m-%d}",
                        kind.key,
                    )
                )
        return
    if not kind.blocking:
        answer.warnings.append(
            Item(
                ADVISORY_CHECKPOINT_NOT_PASSED,
                f"{kind.key}: advisory, and {view.status.value.replace('_', ' ')}",
                kind.key,
            )
        )
        return
    waiver = view.waiver
    if waiver is not None and waiver.revoked_at is None and not waiver_active(waiver, now):
        answer.blockers.append(
            Item(
                WAIVER_EXPIRED,
                f"{kind.key}: the waiver expired {waiver.expires_at:%Y-%m-%d} and it has not "
                "passed",
                kind.key,
            )
        )
        return
    code, what = _NOT_PASSED[view.status]
    if view.status == CheckpointStatus.FAILED:
        what = (
            "the latest result failed"
            if kind.sign_off == SignOff.AUTOMATIC
            else f"failed by its reviewer{f' ({row.decided_by})' if row and row.decided_by else ''}"
        )
    if view.status == CheckpointStatus.STALE and row and row.last_passed_at:
        what = f"last passed {row.last_passed_at:%Y-%m-%d}, due for a re-test"
    answer.blockers.append(Item(code, f"{kind.key}: {what}", kind.key))


async def readiness_of(
    session: AsyncSession, products: Sequence[Product], *, stage: Stage | None = None
) -> dict[uuid.UUID, Readiness]:
    """The readiness of many products, in a fixed number of queries whatever their number;
    with `stage`, as it will be once they are at that stage (a pass goes stale at launch)."""
    answers = {product.id: Readiness(product) for product in products}
    if not products:
        return answers
    kinds = await load_kinds(session)
    documents = await blockers_of(session, list(products))
    checkpoints = await views_of(session, products, kinds=kinds, with_results=False, stage=stage)
    deadlines = await load_deadlines(session)
    findings = await counts_for(session, products, deadlines)
    for product in products:
        answer = answers[product.id]
        answer.blockers.extend(
            Item(error.code or "", error.message) for error in documents[product.id]
        )
        for view in checkpoints[product.id]:
            _checkpoint_items(view, answer)
        counts = findings[product.id]
        for severity, code in (
            (Severity.CRITICAL, OPEN_CRITICAL_FINDINGS),
            (Severity.HIGH, OPEN_HIGH_FINDINGS),
        ):
            if counts.open[severity]:
                answer.blockers.append(
                    Item(code, f"{counts.open[severity]} open {severity.value} finding(s)")
                )
        if counts.overdue:
            answer.blockers.append(
                Item(OVERDUE_FINDINGS, f"{counts.overdue} finding(s) past their fix-by date")
            )
    return answers


async def product_readiness(session: AsyncSession, slug: str, *, principal: Principal) -> Readiness:
    """Whether one product is cleared to launch."""
    product = await get_product(session, slug, principal=principal)
    READINESS.check(principal, "read", product_id=product.id)
    return (await readiness_of(session, [product]))[product.id]


@stage_changing.register
async def _gate(session: AsyncSession, move: StageMove) -> None:
    if move.target not in GATED_STAGES:
        return
    answer = (await readiness_of(session, [move.product], stage=move.target))[move.product.id]
    if answer.blockers:
        raise Conflict(
            f"the product cannot move to {move.target.value!r}: it is not ready to launch ("
            + "; ".join(item.detail for item in answer.blockers)
            + ")",
            [FieldError("stage", item.detail, item.code) for item in answer.blockers],
        )
