"""What the documents decide about a product's stage: it is approved only with an approved
PR/FAQ, and built only with an approved, complete security FAQ. A stricter classification that
makes new questions required re-opens the security FAQ's approval."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.core.db import PRINCIPAL_INFO, utcnow
from api.core.errors import Conflict, FieldError
from api.documents.answers import completeness
from api.documents.models import DocumentKind, DocumentReview, ReviewAction, ReviewStatus
from api.documents.service import views_of
from api.documents.settings import load_template
from api.products.models import Product, Stage
from api.products.service import StageMove, classification_changed, stage_changing

# The stable codes of the reasons a stage change is refused (the readiness answer reuses them).
PRFAQ_NOT_APPROVED = "prfaq_not_approved"
SECURITY_FAQ_NOT_APPROVED = "security_faq_not_approved"
SECURITY_FAQ_INCOMPLETE = "security_faq_incomplete"


# The codes each stage checks: moving to `approved` needs the PR/FAQ, to `building` the security
# FAQ; launch readiness needs all three.
_CHECKED_AT: dict[Stage, frozenset[str]] = {
    Stage.APPROVED: frozenset({PRFAQ_NOT_APPROVED}),
    Stage.BUILDING: frozenset({SECURITY_FAQ_NOT_APPROVED, SECURITY_FAQ_INCOMPLETE}),
}
ALL_CODES = frozenset({PRFAQ_NOT_APPROVED, SECURITY_FAQ_NOT_APPROVED, SECURITY_FAQ_INCOMPLETE})


async def blockers_of(
    session: AsyncSession, products: list[Product], codes: frozenset[str] = ALL_CODES
) -> dict[uuid.UUID, list[FieldError]]:
    """Why the documents hold each of `products` back (only the reasons `codes` names), in a
    fixed number of queries whatever their number."""
    blockers: dict[uuid.UUID, list[FieldError]] = {product.id: [] for product in products}
    if not products or not codes:
        return blockers
    if PRFAQ_NOT_APPROVED in codes:
        for product_id, view in (await views_of(session, products, DocumentKind.PRFAQ)).items():
            if view.document is None or view.document.status != ReviewStatus.APPROVED:
                blockers[product_id].append(
                    FieldError(
                        "stage", "the PR/FAQ's latest revision is not approved", PRFAQ_NOT_APPROVED
                    )
                )
    if codes & {SECURITY_FAQ_NOT_APPROVED, SECURITY_FAQ_INCOMPLETE}:
        views = await views_of(session, products, DocumentKind.SECURITY_FAQ)
        questions = (await load_template(session)).questions
        for product in products:
            view = views[product.id]
            document = view.document
            if SECURITY_FAQ_NOT_APPROVED in codes and (
                document is None or document.status != ReviewStatus.APPROVED
            ):
                blockers[product.id].append(
                    FieldError(
                        "stage",
                        "the security FAQ's latest revision is not approved",
                        SECURITY_FAQ_NOT_APPROVED,
                    )
                )
            answers = view.latest.content["answers"] if view.latest else []
            done = completeness(answers, questions, product)
            if SECURITY_FAQ_INCOMPLETE in codes and done.missing:
                blockers[product.id].append(
                    FieldError(
                        "stage",
                        "the security FAQ leaves required questions unanswered: "
                        + ", ".join(done.missing),
                        SECURITY_FAQ_INCOMPLETE,
                    )
                )
    return blockers


async def document_blockers(
    session: AsyncSession, product: Product, target: Stage
) -> list[FieldError]:
    """Why the documents keep `product` from moving to `target`; none when they do not."""
    codes = _CHECKED_AT.get(target, frozenset())
    return (await blockers_of(session, [product], codes))[product.id]


@stage_changing.register
async def _gate(session: AsyncSession, move: StageMove) -> None:
    blockers = await document_blockers(session, move.product, move.target)
    if blockers:
        raise Conflict(
            f"the product cannot move to {move.target.value!r}: "
            + "; ".join(blocker.message for blocker in blockers),
            blockers,
        )


@classification_changed.register
async def _reopen(session: AsyncSession, product: Product) -> None:
    view = (await views_of(session, [product], DocumentKind.SECURITY_FAQ))[product.id]
    document, approved = view.document, view.approved
    if document is None or document.status != ReviewStatus.APPROVED or approved is None:
        return
    template = await load_template(session)
    done = completeness(approved.content["answers"], template.questions, product)
    if not done.missing:
        return
    document.status = ReviewStatus.CHANGES_REQUESTED
    document.updated_at = utcnow()
    principal = session.info.get(PRINCIPAL_INFO)
    session.add(
        DocumentReview(
            document_id=document.id,
            revision=approved.number,
            action=ReviewAction.REOPEN,
            reviewer=principal.actor if principal is not None else "system",
            comment=(
                f"the product is now {product.data_classification.value}: "
                f"{', '.join(done.missing)} must be answered"
            ),
        )
    )
