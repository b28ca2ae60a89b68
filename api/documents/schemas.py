"""A product's PR/FAQ and security FAQ as clients send and see them."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.core.fields import InputModel, Slug, WholeNumber
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
    answer: Annotated[str, StringConstraints(max_length=10_000)] = ""
    audience: Audience = Field(
        default=Audience.CUSTOMER,
        description="`customer` questions are the ones a customer would ask; `internal`, ours",
    )


class PrfaqContent(InputModel):
    """What a PR/FAQ says: the press release and its FAQ."""

    headline: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    subheading: Line = ""
    body: Text = Field(default="", description="The press release, in Markdown")
    faq: list[FaqEntry] = Field(default_factory=list, max_length=MAX_FAQ_ENTRIES)


class PrfaqRevisionCreate(PrfaqContent):
    """The next revision of a PR/FAQ."""

    change_note: Note = Field(default="", description="What changed, for the reviewers")


class SecurityAnswer(InputModel):
    """The answer to one template question, or why it does not apply."""

    key: Slug = Field(description="The template question's key")
    answer: Text = ""
    not_applicable: bool = False
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = Field(
        default="", description="Why the question does not apply (required when it does not)"
    )


class SecurityFaqContent(InputModel):
    """What a security FAQ says: answers to the template's questions."""

    answers: list[SecurityAnswer] = Field(default_factory=list, max_length=MAX_FAQ_ENTRIES)


class SecurityFaqRevisionCreate(SecurityFaqContent):
    """The next revision of a security FAQ."""

    change_note: Note = Field(default="", description="What changed, for the reviewer")


class ReviewCreate(InputModel):
    """One review step: submit a revision, approve it, or ask for changes."""

    action: ReviewStep
    revision: int = Field(ge=1, description="The revision this step is about")
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    override_reason: Reason | None = Field(
        default=None,
        description="Approving a PR/FAQ that fails one page or plain language needs one",
    )


class ReviewRead(BaseModel):
    """A review step, as it was taken."""

    model_config = ConfigDict(from_attributes=True)

    revision: int
    action: ReviewAction
    reviewer: str
    comment: str
    override_reason: str | None
    created_at: datetime


class Completeness(BaseModel):
    """How much of what the product's classification requires a security FAQ answers."""

    classification: DataClassification
    required: int
    answered: int
    ratio: float = Field(description="answered ÷ required, 1.0 when complete")
    missing: list[str] = Field(description="Keys of required questions not yet answered")


class RevisionMeta(BaseModel):
    """Who saved a revision, when, and why."""

    number: int
    author: str
    change_note: str
    created_at: datetime


class PrfaqRevisionRead(RevisionMeta, PrfaqContent):
    """A saved PR/FAQ revision and its scores."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    scores: Scores


class SecurityFaqRevisionRead(RevisionMeta, SecurityFaqContent):
    """A saved security FAQ revision and how complete it was when saved."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    template_version: int
    completeness: Completeness


class DocumentState(BaseModel):
    """A document's review state, whichever kind it is."""

    product: str = Field(description="The product's slug")
    status: ReviewStatus
    version: int = Field(description="Grows with each revision and review step; 0 before any")
    latest_revision: int = Field(description="0 while nothing has been written")
    reviewing_revision: int | None = Field(description="The revision under review, if any")
    approved_revision: int | None = Field(description="The last approved revision, if any")
    reviews: list[ReviewRead] = Field(description="The latest review steps, newest first")


class PrfaqRead(DocumentState):
    """A product's PR/FAQ: its latest revision, with scores, and the last approved one."""

    latest: PrfaqRevisionRead | None
    approved: PrfaqRevisionRead | None


class SecurityFaqRead(DocumentState):
    """A product's security FAQ: its latest revision, how complete it is for the product's
    classification today, and the last approved revision."""

    latest: SecurityFaqRevisionRead | None
    approved: SecurityFaqRevisionRead | None
    completeness: Completeness


class SectionDiff(BaseModel):
    """How one section changed between two revisions, as a unified diff of its lines."""

    section: str
    diff: str = Field(description="Unified diff; empty when the section did not change")


class RevisionDiff(BaseModel):
    """Two revisions compared section by section."""

    revision: int
    against: int
    sections: list[SectionDiff]


class TemplateQuestion(InputModel):
    """One question of the security FAQ template."""

    key: Slug
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    guidance: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    required_for: list[DataClassification] = Field(
        description="The data classifications for which an answer is required"
    )


class TemplateUpdate(InputModel):
    """A new version of the security FAQ template."""

    questions: list[TemplateQuestion] = Field(min_length=1, max_length=MAX_FAQ_ENTRIES)


class TemplateRead(BaseModel):
    """The security FAQ template in force."""

    version: int
    questions: list[TemplateQuestion]


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
