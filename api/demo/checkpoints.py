"""The demo portfolio's launch checkpoints: a product that reached `launch_review` passed every
checkpoint first (CI posted results; a security reviewer signed the reviewer kinds off), and some
products then show each way a launch can be held up, through the same services the API uses.
Where a state needs time to have passed (a stale pass, an expired waiver, an overdue finding),
the demo backdates the row, as months of real use would have left it."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.checkpoints.catalogue import load_kinds
from api.checkpoints.findings import upload_findings
from api.checkpoints.models import Checkpoint, Finding, SignOff, Waiver
from api.checkpoints.schemas import FindingsUpload, ResultCreate, SignOffCreate, WaiverCreate
from api.checkpoints.service import grant_waiver, record_result, sign_off
from api.core.access import Principal
from api.core.db import utcnow
from api.demo.data import DemoProduct
from api.demo.documents import REVIEWER
from api.products.models import Product


def _result(outcome: str, summary: str, **extra: object) -> ResultCreate:
    return ResultCreate.model_validate(
        {
            "outcome": outcome,
            "summary": summary,
            "commit_sha": "9f2c1e7",
            "pipeline_run_id": "demo-1",
            "details_url": "https://ci.example.com/runs/demo-1",
            **extra,
        }
    )


async def clear_for_launch(session: AsyncSession, product: DemoProduct, ci: Principal) -> None:
    """Pass every checkpoint of `product`: results from its pipeline, reviewers' sign-offs."""
    for kind in await load_kinds(session):
        if kind.archived_at is not None:
            continue
        result = await record_result(
            session,
            product.slug,
            kind.key,
            data=_result(
                "passed",
                f"{kind.name}: all checks passed",
                approaches=["positive", "negative", "black_box", "white_box"],
                tests_run=120,
                tests_failed=0,
            ),
            principal=ci,
        )
        if kind.sign_off == SignOff.REVIEWER:
            decision = SignOffCreate.model_validate(
                {"status": "passed", "comment": "Evidence reviewed.", "evidence": [str(result.id)]}
            )
            await sign_off(
                session, product.slug, kind.key, data=decision, if_match=None, principal=REVIEWER
            )


async def set_state(session: AsyncSession, product: DemoProduct, ci: Principal) -> None:
    """Bring `product` to the checkpoint state the portfolio names for it."""
    state = product.checkpoints
    now = utcnow()
    if state == "failed":
        await record_result(
            session,
            product.slug,
            "resiliency",
            data=_result(
                "failed",
                "Failover drill: 2 of 48 scenarios failed",
                tests_run=48,
                tests_failed=2,
                failing_tests=["failover.test_zone_loss", "failover.test_db_primary_loss"],
            ),
            principal=ci,
        )
        await record_result(
            session,
            product.slug,
            "security_posture",
            data=_result("passed", "Scanners clean; awaiting review", approaches=["white_box"]),
            principal=ci,
        )
    elif state == "stale":
        checkpoint = await _by_kind(session, product, "resiliency")
        checkpoint.last_passed_at = now - timedelta(days=120)
    elif state == "waived":
        await _failed_and_waived(
            session,
            product,
            ci,
            "durability",
            "Restore test took 6 h against a 4 h objective",
            "Restore is slow but complete; faster restores ship next month.",
            expires_at=now + timedelta(days=10),
        )
    elif state == "waiver_expired":
        checkpoint = await _failed_and_waived(
            session,
            product,
            ci,
            "resiliency",
            "Cache warm-up after failover exceeds its objective",
            "Launch to one region first while warm-up is fixed.",
            expires_at=now + timedelta(days=30),
        )
        for row in await session.scalars(
            select(Waiver).where(col(Waiver.checkpoint_id) == checkpoint.id)
        ):
            row.created_at = now - timedelta(days=40)
            row.expires_at = now - timedelta(days=3)
    elif state == "findings":
        upload = FindingsUpload.model_validate(
            {
                "checkpoint": "appsec_review",
                "tool": "semgrep",
                "findings": [
                    {
                        "title": "SQL built from request text in payout search",
                        "severity": "critical",
                        "fingerprint": "semgrep:sqli:payouts/search.py:88",
                        "external_id": "python.lang.security.sql-injection",
                        "location": "payouts/search.py:88",
                    },
                    {
                        "title": "Session cookie without SameSite",
                        "severity": "medium",
                        "fingerprint": "semgrep:cookie:web/session.py:12",
                        "external_id": "python.flask.security.cookie-samesite",
                        "location": "web/session.py:12",
                    },
                ],
            }
        )
        await upload_findings(session, product.slug, data=upload, principal=ci)
        for finding in await session.scalars(
            select(Finding).where(col(Finding.title) == "Session cookie without SameSite")
        ):
            finding.opened_at = now - timedelta(days=100)  # past its 90 days
    await session.flush()


async def _failed_and_waived(
    session: AsyncSession,
    product: DemoProduct,
    ci: Principal,
    kind: str,
    summary: str,
    justification: str,
    *,
    expires_at: datetime,
) -> Checkpoint:
    # A failed result, and a waiver letting launch go ahead without the checkpoint.
    await record_result(session, product.slug, kind, data=_result("failed", summary), principal=ci)
    waiver = WaiverCreate.model_validate(
        {"justification": justification, "expires_at": expires_at.isoformat()}
    )
    await grant_waiver(session, product.slug, kind, data=waiver, principal=ci)
    return await _by_kind(session, product, kind)


async def _by_kind(session: AsyncSession, product: DemoProduct, kind: str) -> Checkpoint:
    row = await session.scalar(
        select(Checkpoint)
        .join(Product, col(Product.id) == col(Checkpoint.product_id))
        .where(col(Product.slug) == product.slug, col(Checkpoint.kind) == kind)
    )
    assert row is not None
    return row
