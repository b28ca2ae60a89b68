"""A product's PR/FAQ and security FAQ: reading them, saving revisions, and their review.

Both documents work alike: revisions are numbered from 1 and never change; saving one starts a
new review (the last approved revision stays approved as such); the owning team submits the latest
revision, and a reviewer who did not write it approves it or asks for changes. They differ in what
is checked: a PR/FAQ is scored (a failing score needs an `override_reason` to approve), a
security FAQ must answer every question the product's classification requires.
"""

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from api.audit.trail import access_event
from api.core.access import Principal
from api.core.db import utcnow
from api.core.errors import (
    Conflict,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PizzaboxError,
)
from api.core.pagination import Paging, Window, fetch_window
from api.core.policy import Policy
from api.core.writes import Precondition, check_if_match, flush
from api.documents.answers import check_answers, completeness
from api.documents.models import (
    Document,
    DocumentKind,
    DocumentReview,
    DocumentRevision,
    ReviewAction,
    ReviewStatus,
)
from api.documents.policy import PRFAQS, SECURITY_FAQS
from api.documents.schemas import (
    MAX_DOCUMENT_BYTES,
    PrfaqRevisionCreate,
    ReviewCreate,
    SecurityFaqRevisionCreate,
    TemplateQuestion,
)
from api.documents.scoring import Scores, Verdict, score
from api.documents.settings import load_rules, load_template
from api.products.models import Product
from api.products.service import get_product

POLICIES: dict[DocumentKind, Policy] = {
    DocumentKind.PRFAQ: PRFAQS,
    DocumentKind.SECURITY_FAQ: SECURITY_FAQS,
}
NAMES = {DocumentKind.PRFAQ: "PR/FAQ", DocumentKind.SECURITY_FAQ: "security FAQ"}
RECENT_REVIEWS = 20


class TooLarge(PizzaboxError, status=413, slug="payload-too-large"):
    """A document larger than a document may be."""


@dataclass
class DocumentView:
    """A product's document as a read shows it: its state, latest and last approved revisions,
    and its latest review steps. `document` is None until the first revision is saved."""

    product: Product
    kind: DocumentKind
    document: Document | None
    latest: DocumentRevision | None = None
    approved: DocumentRevision | None = None
    reviews: list[DocumentReview] = field(default_factory=list)
    # The security FAQ template a write judged the document by (reads look it up themselves).
    questions: list[TemplateQuestion] = field(default_factory=list)


async def product_for(
    session: AsyncSession, slug: str, kind: DocumentKind, verb: str, *, principal: Principal
) -> Product:
    """The product whose `kind` document the caller wants to `verb`, if it may."""
    product = await get_product(session, slug, principal=principal)
    POLICIES[kind].check(principal, verb, team_id=product.team_id, product_id=product.id)
    return product


async def find_document(
    session: AsyncSession, product_id: uuid.UUID, kind: DocumentKind, *, lock: bool = False
) -> Document | None:
    """A product's document of `kind`; with `lock`, held until commit so writes take turns."""
    statement = select(Document).where(
        col(Document.product_id) == product_id, col(Document.kind) == kind
    )
    if lock:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).first()


def record_read(session: AsyncSession, principal: Principal, view: DocumentView) -> None:
    """Note a read of a security FAQ in the audit trail: who read which product's, and when
    (counted per person, per product and per day from the event's own columns)."""
    if view.kind == DocumentKind.SECURITY_FAQ:
        session.add(
            access_event(principal, record_type="security_faq", record_id=str(view.product.id))
        )


async def read_document(
    session: AsyncSession, slug: str, kind: DocumentKind, *, principal: Principal
) -> DocumentView:
    """A product's document, latest and last approved revisions and recent reviews included."""
    product = await product_for(session, slug, kind, "read", principal=principal)
    view = (await views_of(session, [product], kind))[product.id]
    record_read(session, principal, view)
    return view


async def views_of(
    session: AsyncSession, products: list[Product], kind: DocumentKind
) -> dict[uuid.UUID, DocumentView]:
    """The `kind` documents of many products, in three queries whatever their number."""
    by_product = {product.id: product for product in products}
    documents = {
        document.product_id: document
        for document in await session.scalars(
            select(Document).where(
                col(Document.product_id).in_(by_product), col(Document.kind) == kind
            )
        )
    }
    views = {
        product_id: DocumentView(product, kind, documents.get(product_id))
        for product_id, product in by_product.items()
    }
    wanted = [
        (document.id, number)
        for document in documents.values()
        for number in {document.latest_revision, document.approved_revision}
        if number
    ]
    by_document = {view.document.id: view for view in views.values() if view.document}
    if wanted:
        revisions = await session.scalars(
            select(DocumentRevision).where(
                col(DocumentRevision.document_id).in_({document_id for document_id, _ in wanted})
            )
        )
        for revision in revisions:
            view = by_document[revision.document_id]
            assert view.document is not None
            if revision.number == view.document.latest_revision:
                view.latest = revision
            if revision.number == view.document.approved_revision:
                view.approved = revision
        # Each document's latest steps only, in the same one query: a long review history is
        # not read to show twenty of it.
        newest = func.row_number().over(
            partition_by=col(DocumentReview.document_id), order_by=col(DocumentReview.id).desc()
        )
        ranked = (
            select(DocumentReview, newest.label("rank"))
            .where(col(DocumentReview.document_id).in_(by_document))
            .subquery()
        )
        recent = aliased(DocumentReview, ranked)
        reviews = await session.scalars(
            select(recent).where(ranked.c.rank <= RECENT_REVIEWS).order_by(ranked.c.id.desc())
        )
        for review in reviews:
            by_document[review.document_id].reviews.append(review)
    return views


async def list_revisions(
    session: AsyncSession, slug: str, kind: DocumentKind, *, principal: Principal, paging: Paging
) -> Window[DocumentRevision]:
    """A document's revisions, oldest first."""
    product = await product_for(session, slug, kind, "read", principal=principal)
    document = await find_document(session, product.id, kind)
    record_read(session, principal, DocumentView(product, kind, document))
    statement = select(DocumentRevision).where(
        col(DocumentRevision.document_id) == (document.id if document else None)
    )
    return await fetch_window(session, statement, DocumentRevision.id, paging)


async def get_revision(
    session: AsyncSession, slug: str, kind: DocumentKind, number: int, *, principal: Principal
) -> DocumentRevision:
    """One revision of a document, by number."""
    (revision,) = await get_revisions(session, slug, kind, [number], principal=principal)
    return revision


async def get_revisions(
    session: AsyncSession,
    slug: str,
    kind: DocumentKind,
    numbers: Sequence[int],
    *,
    principal: Principal,
) -> list[DocumentRevision]:
    """Revisions of a document, by number: the product is found, checked and its read recorded
    once, however many are asked for (a diff's two)."""
    product = await product_for(session, slug, kind, "read", principal=principal)
    document = await find_document(session, product.id, kind)
    record_read(session, principal, DocumentView(product, kind, document))
    return [await _revision(session, document, kind, number) for number in numbers]


async def _revision(
    session: AsyncSession, document: Document | None, kind: DocumentKind, number: int
) -> DocumentRevision:
    found = None
    if document is not None:
        found = await session.scalar(
            select(DocumentRevision).where(
                col(DocumentRevision.document_id) == document.id,
                col(DocumentRevision.number) == number,
            )
        )
    if found is None:
        raise NotFound(f"the {NAMES[kind]} has no revision {number}")
    return found


async def save_revision(
    session: AsyncSession,
    slug: str,
    kind: DocumentKind,
    *,
    data: PrfaqRevisionCreate | SecurityFaqRevisionCreate,
    if_match: Precondition,
    principal: Principal,
) -> DocumentView:
    """Save the next revision of a product's document; it starts a new review."""
    product = await product_for(session, slug, kind, "write", principal=principal)
    if product.archived_at is not None:
        raise Conflict(f"product {slug!r} is archived and its documents cannot change")
    content = data.model_dump(mode="json", exclude={"change_note"})
    if len(data.model_dump_json()) > MAX_DOCUMENT_BYTES:
        raise TooLarge(f"a document may hold at most {MAX_DOCUMENT_BYTES} bytes of JSON")
    if isinstance(data, PrfaqRevisionCreate):
        rules = await load_rules(session)
        # Off the event loop: the first score reads the pronouncing dictionary (half a second).
        scores = await asyncio.to_thread(
            score, data.headline, data.subheading, data.body, data.faq, rules
        )
        assessment = scores.model_dump(mode="json")
    else:
        template = await load_template(session)
        check_answers(data, template.questions)
        done = completeness(content["answers"], template.questions, product)
        assessment = {"template_version": template.version, "completeness": done.model_dump()}
    document = await find_document(session, product.id, kind, lock=True)
    if document is None:
        document = Document(product_id=product.id, kind=kind)
        session.add(document)
    else:
        check_if_match(document, if_match)
    number = document.latest_revision + 1
    revision = DocumentRevision(
        document_id=document.id,
        number=number,
        author=principal.actor,
        change_note=data.change_note,
        content=content,
        assessment=assessment,
    )
    session.add(revision)
    document.latest_revision = number
    document.status = ReviewStatus.DRAFT
    document.reviewing_revision = None
    document.updated_at = utcnow()
    await flush(session)
    view = DocumentView(product, kind, document, latest=revision)
    if kind == DocumentKind.SECURITY_FAQ:
        view.questions = (await load_template(session)).questions
    return view


def failing(scores: Scores) -> list[str]:
    """The checks a PR/FAQ fails that approving it would override."""
    failed = []
    if scores.one_page.verdict == Verdict.FAIL:
        failed.append(f"one page ({scores.one_page.words} words, limit {scores.one_page.limit})")
    if scores.plain_language.verdict == Verdict.FAIL:
        failed.append(f"plain language (reading ease {scores.plain_language.reading_ease})")
    return failed


async def review(
    session: AsyncSession,
    slug: str,
    kind: DocumentKind,
    *,
    data: ReviewCreate,
    if_match: Precondition,
    principal: Principal,
) -> DocumentView:
    """Take one review step on the latest revision of a product's document."""
    action = ReviewAction(data.action)
    verb = "write" if action == ReviewAction.SUBMIT else "review"
    product = await product_for(session, slug, kind, verb, principal=principal)
    document = await find_document(session, product.id, kind, lock=True)
    if document is None or document.latest_revision == 0:
        raise Conflict(f"the {NAMES[kind]} has no revision to review yet; save one first")
    check_if_match(document, if_match)
    revision = await _revision(session, document, kind, data.revision)
    if action == ReviewAction.SUBMIT:
        if data.revision != document.latest_revision:
            raise Conflict(
                f"only the latest revision ({document.latest_revision}) can be submitted",
                [FieldError("revision", f"must be {document.latest_revision}")],
            )
        if document.status == ReviewStatus.IN_REVIEW:
            raise Conflict(f"revision {document.reviewing_revision} is already under review")
        if document.status == ReviewStatus.APPROVED:
            raise Conflict(f"revision {data.revision} is approved already")
        document.status, document.reviewing_revision = ReviewStatus.IN_REVIEW, data.revision
    else:
        if (
            document.status != ReviewStatus.IN_REVIEW
            or document.reviewing_revision != data.revision
        ):
            under = document.reviewing_revision
            raise Conflict(
                f"revision {data.revision} is not under review"
                + (f"; revision {under} is" if under else "; submit it first"),
                [FieldError("revision", "is not the revision under review")],
            )
        if revision.author == principal.actor:
            raise PermissionDenied("a reviewer may not review a revision they wrote")
        if action == ReviewAction.APPROVE:
            await _check_approvable(session, product, kind, revision, data.override_reason)
            document.approved_revision = data.revision
            document.status = ReviewStatus.APPROVED
        else:
            document.status = ReviewStatus.CHANGES_REQUESTED
        document.reviewing_revision = None
    document.updated_at = utcnow()
    session.add(
        DocumentReview(
            document_id=document.id,
            revision=data.revision,
            action=action,
            reviewer=principal.actor,
            comment=data.comment,
            override_reason=data.override_reason if action == ReviewAction.APPROVE else None,
        )
    )
    await flush(session)
    view = (await views_of(session, [product], kind))[product.id]
    if kind == DocumentKind.SECURITY_FAQ:
        view.questions = (await load_template(session)).questions
    return view


async def _check_approvable(
    session: AsyncSession,
    product: Product,
    kind: DocumentKind,
    revision: DocumentRevision,
    override_reason: str | None,
) -> None:
    if kind == DocumentKind.PRFAQ:
        failed = failing(Scores.model_validate(revision.assessment))
        if failed and not override_reason:
            raise InvalidInput.field(
                "override_reason",
                f"is required to approve revision {revision.number}, which fails "
                + " and ".join(failed),
            )
        return
    template = await load_template(session)
    done = completeness(revision.content["answers"], template.questions, product)
    if done.missing:
        raise Conflict(
            f"the security FAQ answers {done.answered} of {done.required} required questions; "
            "approval needs all of them",
            [FieldError("answers", f"{key!r} is unanswered") for key in done.missing],
        )
