"""A product's two documents, the PR/FAQ and the security FAQ: numbered, immutable revisions,
their reviews, and the org-wide security FAQ template and scoring rules they are held to."""

import uuid
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    event,
)
from sqlmodel import Field

from api.audit.trail import Audited
from api.core.db import RecordBase, stored_enum


class DocumentKind(StrEnum):
    """Which of a product's documents."""

    PRFAQ = "prfaq"
    SECURITY_FAQ = "security_faq"


class Audience(StrEnum):
    """Whom an FAQ question is for."""

    CUSTOMER = "customer"
    """A question a customer would ask."""
    INTERNAL = "internal"
    """A question the company would ask (cost, risk, staffing)."""


class ReviewStatus(StrEnum):
    """Where a document's latest revision stands."""

    DRAFT = "draft"
    """Being written; not yet submitted for review."""
    IN_REVIEW = "in_review"
    """Submitted, waiting for a reviewer."""
    APPROVED = "approved"
    """A reviewer approved the revision under review."""
    CHANGES_REQUESTED = "changes_requested"
    """A reviewer asked for changes; a new revision goes back to draft."""


class ReviewStep(StrEnum):
    """A review step a client takes."""

    SUBMIT = "submit"
    """Submit the latest revision for review."""
    APPROVE = "approve"
    """Approve the revision under review."""
    REQUEST_CHANGES = "request_changes"
    """Send the revision under review back with a comment."""


class ReviewAction(StrEnum):
    """What a review step does."""

    SUBMIT = "submit"
    """The latest revision was submitted for review."""
    APPROVE = "approve"
    """The revision under review was approved."""
    REQUEST_CHANGES = "request_changes"
    """Changes were requested on the revision under review."""
    # Recorded by the service, never sent: a stricter classification re-opened an approval.
    REOPEN = "reopen"
    """Recorded by Pizzabox, never sent: a stricter data classification reopened an approved
    security FAQ."""


class Document(RecordBase, table=True):
    """One of a product's documents: its review status, and which revisions are the latest,
    the one under review and the last approved. Made when its first revision is saved; before
    that the product's document is an empty draft."""

    __audit__: ClassVar[Audited] = Audited("document", parent=("product", "product_id"))

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("product_id", "kind"),)

    product_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("products.id"), nullable=False, index=True)
    )
    kind: DocumentKind = Field(sa_type=stored_enum(DocumentKind, name="document_kind", length=16))
    status: ReviewStatus = Field(
        default=ReviewStatus.DRAFT,
        sa_type=stored_enum(ReviewStatus, name="review_status", length=24),
    )
    latest_revision: int = Field(default=0)
    reviewing_revision: int | None = Field(default=None)
    approved_revision: int | None = Field(default=None)


class DocumentRevision(RecordBase, table=True):
    """One saved version of a document, never changed: what it said, who wrote it, and how it
    scored (PR/FAQ) or how complete it was (security FAQ) when saved."""

    __audit__: ClassVar[Audited] = Audited(
        "document_revision",
        parent=("document", "document_id"),
        hidden=frozenset({"content", "answered"}),
    )

    __tablename__ = "document_revisions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    document_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("documents.id"), nullable=False, index=True)
    )
    number: int = Field(sa_column=Column(Integer, nullable=False))
    author: str = Field(sa_type=String(200))
    change_note: str = Field(default="", sa_type=String(500))
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # PR/FAQ: the scores; security FAQ: completeness against the template it was saved under.
    assessment: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # The keys of the questions the content answers (`answered_text`), worked out as the
    # revision is saved, so that SQL counts a portfolio's answers without parsing its JSON.
    answered: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


def given_keys(answers: list[dict[str, Any]]) -> set[str]:
    """The keys of the questions answered: with text, or marked not applicable."""
    return {
        answer["key"]
        for answer in answers
        if str(answer.get("answer") or "").strip() or answer.get("not_applicable")
    }


def answered_text(content: dict[str, Any]) -> str:
    """A revision's answered keys as stored: sorted, each with a space on either side
    (`" access storage "`), so `answered LIKE '% key %'` asks whether it answers `key`; empty
    for a document without answers (a PR/FAQ)."""
    keys = sorted(given_keys(content.get("answers") or []))
    return f" {' '.join(keys)} " if keys else ""


@event.listens_for(DocumentRevision, "before_insert")
def _answered_on_save(_mapper: Any, _connection: Any, revision: DocumentRevision) -> None:
    # Revisions never change, so what they answer is worked out once, however one is saved (the
    # service, the demo, a script): the stored keys never disagree with the content.
    revision.answered = answered_text(revision.content)


class DocumentReview(RecordBase, table=True):
    """One step of a document's review, of one revision."""

    __audit__: ClassVar[Audited] = Audited("document_review", parent=("document", "document_id"))

    __tablename__ = "document_reviews"

    document_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("documents.id"), nullable=False, index=True)
    )
    revision: int
    action: ReviewAction = Field(sa_type=stored_enum(ReviewAction, name="review_action", length=24))
    reviewer: str = Field(sa_type=String(200))
    comment: str = Field(default="", sa_type=String(2000))
    override_reason: str | None = Field(default=None, sa_type=String(2000))


class SecurityFaqTemplate(RecordBase, table=True):
    """A version of the org-wide security FAQ template; the newest is in force."""

    __audit__: ClassVar[Audited] = Audited("security_faq_template")

    __tablename__ = "security_faq_templates"

    template_version: int = Field(sa_column=Column(Integer, nullable=False, unique=True))
    questions: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))


class ScoringSettings(RecordBase, table=True):
    """The org-wide rules PR/FAQs are scored by; one row, made when an admin first sets them."""

    __audit__: ClassVar[Audited] = Audited("prfaq_scoring")

    __tablename__ = "prfaq_scoring_settings"

    scope: str = Field(default="org", sa_type=String(16), unique=True)
    rules: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
