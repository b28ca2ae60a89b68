"""GraphQL face of a product's documents: `Product.prfaq` and `Product.securityFaq`, their
revisions as connections, and mutations to save a revision and take a review step."""

from functools import partial
from typing import Any

import strawberry
from strawberry.experimental.pydantic import type as pydantic_type

from api.core.graphql import (
    Connection,
    GraphQLInfo,
    Requires,
    connection,
    derived,
    extend_type,
    from_read,
    page_size,
)
from api.core.graphql_fields import Face
from api.core.pagination import Paging
from api.documents import scoring, service, views
from api.documents.loaders import DocumentLoaders
from api.documents.models import Audience, DocumentKind, ReviewAction, ReviewStatus, ReviewStep
from api.documents.policy import DOCUMENT_SETTINGS, PRFAQS, SECURITY_FAQS
from api.documents.schemas import (
    Completeness,
    FaqEntry,
    PrfaqRead,
    PrfaqRevisionCreate,
    PrfaqRevisionRead,
    ReviewCreate,
    ReviewRead,
    SecurityAnswer,
    SecurityFaqRead,
    SecurityFaqRevisionCreate,
    SecurityFaqRevisionRead,
    TemplateQuestion,
    TemplateRead,
)
from api.documents.settings import load_template
from api.products.graphql import ProductType

strawberry.enum(scoring.Verdict, name="Verdict", description="pass, warn (advice) or fail.")
strawberry.enum(ReviewStatus, name="ReviewStatus")
strawberry.enum(ReviewAction, name="ReviewAction")
strawberry.enum(Audience, name="FaqAudience", description="Whom an FAQ question is for.")
strawberry.enum(ReviewStep, name="ReviewStep", description="A review step a client takes.")


# Each type shows what REST's schema of the same name shows.
WhereType = derived(scoring.Where, "ScoreLocation", "Where a finding is: a section and a sentence.")
OnePageType = derived(scoring.OnePage, "OnePageScore", "Words against the limit.")
PlainLanguageType = derived(
    scoring.PlainLanguage, "PlainLanguageScore", "Flesch reading ease and grade."
)
TermType = derived(
    scoring.Term, "ScoredTerm", "A jargon term or an unexplained acronym, and where it is."
)
LongSentenceType = derived(scoring.LongSentence, "LongSentence", "A sentence over the limit.")
JargonType = derived(scoring.Jargon, "JargonScore", "Jargon, acronyms and long sentences.")
ShapeType = derived(scoring.Shape, "ShapeScore", "Whether the press release has its parts.")
ScoresType = derived(
    scoring.Scores, "PrfaqScores", "How a PR/FAQ revision scored when it was saved."
)
FaqEntryType = derived(FaqEntry, "FaqEntry", "A question of the FAQ.")
SecurityAnswerType = derived(SecurityAnswer, "SecurityAnswer", "An answer to a template question.")
CompletenessType = derived(Completeness, "SecurityFaqCompleteness", "Required questions answered.")
ReviewType = derived(ReviewRead, "DocumentReview", "A review step.")


@pydantic_type(model=PrfaqRevisionRead, all_fields=True, name="PrfaqRevision")
class PrfaqRevisionType:
    """A PR/FAQ revision and its scores."""


@pydantic_type(model=SecurityFaqRevisionRead, all_fields=True, name="SecurityFaqRevision")
class SecurityFaqRevisionType:
    """A security FAQ revision and how complete it was."""


TemplateQuestionType = derived(TemplateQuestion, "SecurityFaqQuestion", "A template question.")


@pydantic_type(model=TemplateRead, all_fields=True, name="SecurityFaqTemplate")
class TemplateType:
    """The security FAQ template in force."""


async def _revisions(
    info: GraphQLInfo, slug: str, kind: DocumentKind, first: int | None, after: str | None
) -> Connection[Any]:
    paging = Paging(after, page_size(first))
    context = info.context
    window = await service.list_revisions(
        context.session, slug, kind, principal=context.principal, paging=paging
    )
    shown = PrfaqRevisionType if kind == DocumentKind.PRFAQ else SecurityFaqRevisionType
    show = views.prfaq_revision if kind == DocumentKind.PRFAQ else views.security_revision
    return connection(window, node=lambda row: from_read(shown, show(row)), after=after)


@pydantic_type(model=PrfaqRead, all_fields=True, name="Prfaq")
class PrfaqType:
    """A product's PR/FAQ: review status, latest and last approved revisions."""

    @strawberry.field(description="Every revision, oldest first.")
    async def revisions(
        self, info: GraphQLInfo, first: int | None = None, after: str | None = None
    ) -> Connection[PrfaqRevisionType] | None:
        return await _revisions(info, self.product, DocumentKind.PRFAQ, first, after)  # type: ignore[attr-defined]


@pydantic_type(model=SecurityFaqRead, all_fields=True, name="SecurityFaq")
class SecurityFaqType:
    """A product's security FAQ: review status, completeness, latest and approved revisions."""

    @strawberry.field(description="Every revision, oldest first.")
    async def revisions(
        self, info: GraphQLInfo, first: int | None = None, after: str | None = None
    ) -> Connection[SecurityFaqRevisionType] | None:
        return await _revisions(info, self.product, DocumentKind.SECURITY_FAQ, first, after)  # type: ignore[attr-defined]


def _prfaq(view: service.DocumentView) -> PrfaqType:
    return from_read(PrfaqType, views.prfaq_read(view))


async def _product_prfaq(root: ProductType, info: GraphQLInfo) -> PrfaqType | None:
    view = await info.context.loaders[DocumentLoaders].view(root, DocumentKind.PRFAQ)
    return _prfaq(view)


async def _product_security_faq(root: ProductType, info: GraphQLInfo) -> SecurityFaqType | None:
    loaders = info.context.loaders[DocumentLoaders]
    view = await loaders.view(root, DocumentKind.SECURITY_FAQ)
    service.record_read(info.context.session, info.context.principal, view)
    read = views.security_read(view, (await loaders.template()).questions)
    return from_read(SecurityFaqType, read)


# Products sit below documents: documents show themselves on the product's type.
extend_type(
    ProductType,
    after="history",
    prfaq=strawberry.field(
        resolver=_product_prfaq,
        extensions=[Requires(PRFAQS, "read")],
        description="The product's PR/FAQ.",
    ),
    security_faq=strawberry.field(
        resolver=_product_security_faq,
        extensions=[Requires(SECURITY_FAQS, "read")],
        description="The product's security FAQ (a sensitive read, recorded in the audit trail).",
    ),
)


@strawberry.input(description="A question of the FAQ, and whom it is for.")
class FaqEntryInput:
    question: str
    answer: str = ""
    audience: Audience = Audience.CUSTOMER


@strawberry.input(description="The next revision of a product's PR/FAQ.")
class SavePrfaqRevisionInput:
    product: str = strawberry.field(description="The product's slug")
    expected_version: int | None = strawberry.UNSET
    headline: str
    subheading: str = ""
    body: str = ""
    faq: list[FaqEntryInput] = strawberry.field(default_factory=list)
    change_note: str = ""


@strawberry.input(description="An answer to a template question, or why it does not apply.")
class SecurityAnswerInput:
    key: str
    answer: str = ""
    not_applicable: bool = False
    reason: str = ""


@strawberry.input(description="The next revision of a product's security FAQ.")
class SaveSecurityFaqRevisionInput:
    product: str = strawberry.field(description="The product's slug")
    expected_version: int | None = strawberry.UNSET
    answers: list[SecurityAnswerInput] = strawberry.field(default_factory=list)
    change_note: str = ""


@strawberry.input(description="One review step on a document's latest revision.")
class ReviewDocumentInput:
    product: str = strawberry.field(description="The product's slug")
    expected_version: int | None = strawberry.UNSET
    action: ReviewStep
    revision: int
    comment: str = ""
    override_reason: str | None = None


def _security_faq(view: service.DocumentView) -> SecurityFaqType:
    return from_read(SecurityFaqType, views.security_read(view, view.questions))


PRFAQ = Face(PrfaqType, PRFAQS, show=_prfaq)
SECURITY_FAQ = Face(SecurityFaqType, SECURITY_FAQS, show=_security_faq)


@strawberry.type
class DocumentsQuery:
    @strawberry.field(
        extensions=[Requires(DOCUMENT_SETTINGS, "read")],
        description="The security FAQ template in force.",
    )
    async def security_faq_template(self, info: GraphQLInfo) -> TemplateType | None:
        template = await load_template(info.context.session)
        read = TemplateRead(version=template.version, questions=template.questions)
        return from_read(TemplateType, read)


@strawberry.type
class DocumentsMutation:
    save_prfaq_revision = PRFAQ.mutation(
        SavePrfaqRevisionInput,
        partial(service.save_revision, kind=DocumentKind.PRFAQ),
        "Save the next revision of a product's PR/FAQ; it is scored, and starts a new review.",
        key=["product"],
        data=PrfaqRevisionCreate,
    )
    review_prfaq = PRFAQ.mutation(
        ReviewDocumentInput,
        partial(service.review, kind=DocumentKind.PRFAQ),
        "Submit the PR/FAQ's latest revision, approve it or ask for changes.",
        key=["product"],
        data=ReviewCreate,
    )
    save_security_faq_revision = SECURITY_FAQ.mutation(
        SaveSecurityFaqRevisionInput,
        partial(service.save_revision, kind=DocumentKind.SECURITY_FAQ),
        "Save the next revision of a product's security FAQ; it starts a new review.",
        key=["product"],
        data=SecurityFaqRevisionCreate,
    )
    review_security_faq = SECURITY_FAQ.mutation(
        ReviewDocumentInput,
        partial(service.review, kind=DocumentKind.SECURITY_FAQ),
        "Submit the security FAQ's latest revision, approve it or ask for changes.",
        key=["product"],
        data=ReviewCreate,
    )
