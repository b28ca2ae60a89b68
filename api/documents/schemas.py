"""A product's PR/FAQ and security FAQ as clients send and see them."""

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from api.core.described import Schema
from api.core.fields import MAX_REVISION, InputModel, Slug, WholeNumber
from api.documents.dictionary import DEFAULT_JARGON
from api.documents.models import Audience, ReviewAction, ReviewStatus, ReviewStep
from api.documents.scoring import Scores
from api.products.models import DataClassification

MAX_FAQ_ENTRIES = 100
# A whole document, as JSON, above this is refused with 413 (a PR/FAQ is one page, after all).
MAX_DOCUMENT_BYTES = 100_000

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Text = Annotated[str, StringConstraints(max_length=MAX_DOCUMENT_BYTES)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class FaqEntry(InputModel):
    """One question of the FAQ, and whom it is for."""

    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    """The question, as a reader would ask it."""
    answer: Annotated[str, StringConstraints(max_length=10_000)] = ""
    """The answer; empty while not yet written."""
    audience: Audience = Field(
        default=Audience.CUSTOMER,
        description="`customer` questions are the ones a customer would ask; `internal`, ours",
    )


class PrfaqContent(InputModel):
    """What a PR/FAQ says: the press release and its FAQ."""

    headline: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    """The press release's headline: the product and what it does for the customer."""
    subheading: Line = ""
    """One sentence under the headline: who the customer is and what they get."""
    body: Text = Field(default="", description="The press release, in Markdown")
    faq: list[FaqEntry] = Field(default_factory=list, max_length=MAX_FAQ_ENTRIES)
    """The frequently asked questions, customers' and the company's, in order."""


class PrfaqRevisionCreate(PrfaqContent):
    """The next revision of a PR/FAQ."""

    change_note: Note = Field(default="", description="What changed, for the reviewers")


class SecurityAnswer(InputModel):
    """The answer to one template question, or why it does not apply."""

    key: Slug = Field(description="The template question's key")
    answer: Text = ""
    """The answer; empty while not yet written or when not applicable."""
    not_applicable: bool = False
    """True when the question does not apply to this product (with a reason)."""
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = Field(
        default="", description="Why the question does not apply (required when it does not)"
    )


class SecurityFaqContent(InputModel):
    """What a security FAQ says: answers to the template's questions."""

    answers: list[SecurityAnswer] = Field(default_factory=list, max_length=MAX_FAQ_ENTRIES)
    """One answer per template question, by key."""


class SecurityFaqRevisionCreate(SecurityFaqContent):
    """The next revision of a security FAQ."""

    change_note: Note = Field(default="", description="What changed, for the reviewer")


class ReviewCreate(InputModel):
    """One review step: submit a revision, approve it, or ask for changes."""

    action: ReviewStep
    """The step to take."""
    revision: int = Field(ge=1, le=MAX_REVISION, description="The revision this step is about")
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    """What the reviewer says; asking for changes needs one."""
    override_reason: Reason | None = Field(
        default=None,
        description="Approving a PR/FAQ that fails one page or plain language needs one",
    )


class ReviewRead(Schema):
    """A review step, as it was taken."""

    model_config = ConfigDict(from_attributes=True)

    revision: int
    """The revision the step was about."""
    action: ReviewAction
    """What the step did."""
    reviewer: str
    """Who took the step (a token's name, and its person's email)."""
    comment: str
    """What the reviewer said; empty if nothing."""
    override_reason: str | None
    """Why a failing PR/FAQ was approved anyway; null when no score was overridden."""
    created_at: datetime
    """When the step was taken (RFC 3339, UTC)."""


class Completeness(Schema):
    """How much of what the product's classification requires a security FAQ answers."""

    classification: DataClassification
    """The product's data classification, which decides which questions are required."""
    required: int
    """How many questions the classification requires."""
    answered: int
    """How many of those are answered (or marked not applicable, with a reason)."""
    ratio: float = Field(description="answered ÷ required, 1.0 when complete")
    missing: list[str] = Field(description="Keys of required questions not yet answered")


class RevisionMeta(Schema):
    """Who saved a revision, when, and why."""

    number: int
    """The revision's number: 1 for the first, one more for each."""
    author: str
    """Who saved it (a token's name, and its person's email)."""
    change_note: str
    """Why it was saved; empty if the author gave no note."""
    created_at: datetime
    """When it was saved (RFC 3339, UTC)."""


class PrfaqRevisionRead(RevisionMeta, PrfaqContent):
    """A saved PR/FAQ revision and its scores."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    scores: Scores
    """The revision's scores against the org's PR/FAQ rules, computed when saved."""


class SecurityFaqRevisionRead(RevisionMeta, SecurityFaqContent):
    """A saved security FAQ revision and how complete it was when saved."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    template_version: int
    """The version of the security FAQ template it answers."""
    completeness: Completeness
    """How many required questions it answers."""


class DocumentState(Schema):
    """A document's review state, whichever kind it is."""

    product: str = Field(description="The product's slug")
    status: ReviewStatus
    """Where the latest revision stands in review."""
    version: int = Field(description="Grows with each revision and review step; 0 before any")
    latest_revision: int = Field(description="0 while nothing has been written")
    reviewing_revision: int | None = Field(description="The revision under review, if any")
    approved_revision: int | None = Field(description="The last approved revision, if any")
    reviews: list[ReviewRead] = Field(description="The latest review steps, newest first")


class PrfaqRead(DocumentState):
    """A product's PR/FAQ: its latest revision, with scores, and the last approved one."""

    latest: PrfaqRevisionRead | None
    """The latest revision; null before the first is saved."""
    approved: PrfaqRevisionRead | None
    """The last approved revision; null if none was approved."""


class SecurityFaqRead(DocumentState):
    """A product's security FAQ: its latest revision, how complete it is for the product's
    classification today, and the last approved revision."""

    latest: SecurityFaqRevisionRead | None
    """The latest revision; null before the first is saved."""
    approved: SecurityFaqRevisionRead | None
    """The last approved revision; null if none was approved."""
    completeness: Completeness
    """How many required questions the latest revision answers."""


class SectionDiff(Schema):
    """How one section changed between two revisions, as a unified diff of its lines."""

    section: str
    """The section (headline, subheading, body, faq, or a question's key)."""
    diff: str = Field(description="Unified diff; empty when the section did not change")


class RevisionDiff(Schema):
    """Two revisions compared section by section."""

    revision: int
    """The newer revision."""
    against: int
    """The older revision it is compared with."""
    sections: list[SectionDiff]
    """Each section, in the document's order."""


class TemplateQuestion(InputModel):
    """One question of the security FAQ template."""

    key: Slug
    """The question's stable name, which answers refer to."""
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    """The question, as the product team reads it."""
    guidance: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    """What a good answer covers; empty if nothing to add."""
    required_for: list[DataClassification] = Field(
        description="The data classifications for which an answer is required"
    )


class TemplateUpdate(InputModel):
    """A new version of the security FAQ template."""

    questions: list[TemplateQuestion] = Field(min_length=1, max_length=MAX_FAQ_ENTRIES)
    """Every question of the new template version, in order."""


class TemplateRead(Schema):
    """The security FAQ template in force."""

    version: int
    """The template's version: one more with each change."""
    questions: list[TemplateQuestion]
    """Every question, in order."""


Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ScoringRulesUpdate(InputModel):
    """The org-wide rules PR/FAQs are scored by, as an admin sets them; a field left out takes
    its default."""

    word_limit: WholeNumber = Field(default=600, ge=1, le=100_000, description="Most words")
    reading_ease_pass: float = Field(
        default=60.0, ge=-200, le=200, description="Flesch reading ease that passes"
    )
    reading_ease_warn: float = Field(
        default=50.0, ge=-200, le=200, description="Flesch reading ease that warns; below, fails"
    )
    max_sentence_words: WholeNumber = Field(
        default=35, ge=1, le=1000, description="Longest sentence before it is flagged"
    )
    jargon: list[Term] = Field(
        default_factory=lambda: list(DEFAULT_JARGON),
        max_length=500,
        description="Terms to flag, in any case",
    )
