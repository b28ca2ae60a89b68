"""GraphQL face of a product's documents: `Product.prfaq` and `Product.securityFaq`, their
revisions as connections, and mutations to save a revision and take a review step."""

from collections.abc import Callable
from functools import partial
from typing import Any

import strawberry
from strawberry.experimental.pydantic import type as pydantic_type

from api.core.graphql import (
    After,
    Connection,
    First,
    GraphQLInfo,
    Requires,
    connection,
    derived,
    documented,
    extend_type,
    from_read,
    graphql_enum,
    page_size,
    relation,
)
from api.core.graphql_fields import Face, resolver
from api.core.pagination import Paging
from api.documents import scoring, service, views
from api.documents.loaders import DocumentLoaders
from api.documents.models import Audience, DocumentKind, ReviewAction, ReviewStatus, ReviewStep
from api.documents.policy import DOCUMENT_SETTINGS, PRFAQS, SECURITY_FAQS
from api.documents.schemas import (
    Completeness,
    FaqEntry,
    PrfaqContent,
    PrfaqRead,
    PrfaqRevisionCreate,
    PrfaqRevisionRead,
    ReviewCreate,
    ReviewRead,
    RevisionMeta,
    SecurityAnswer,
    SecurityFaqContent,
    SecurityFaqRead,
    SecurityFaqRevisionCreate,
    SecurityFaqRevisionRead,
    TemplateQuestion,
    TemplateRead,
)
from api.documents.settings import load_template
from api.products.graphql import ProductType

graphql_enum(scoring.Verdict, name="Verdict")
graphql_enum(ReviewStatus, name="ReviewStatus")
graphql_enum(ReviewAction, name="ReviewAction")
graphql_enum(Audience, name="FaqAudience")
graphql_enum(ReviewStep, name="ReviewStep")


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


@pydantic_type(
    model=PrfaqRevisionRead,
    all_fields=True,
    name="PrfaqRevision",
    description="A PR/FAQ revision and its scores.",
)
class PrfaqRevisionType:
    """A PR/FAQ revision and its scores."""


@pydantic_type(
    model=SecurityFaqRevisionRead,
    all_fields=True,
    name="SecurityFaqRevision",
    description="A security FAQ revision and how complete it was.",
)
class SecurityFaqRevisionType:
    """A security FAQ revision and how complete it was."""


TemplateQuestionType = derived(TemplateQuestion, "SecurityFaqQuestion", "A template question.")


@pydantic_type(
    model=TemplateRead,
    all_fields=True,
    name="SecurityFaqTemplate",
    description="The security FAQ template in force: the questions every product answers.",
)
class TemplateType:
    """The security FAQ template in force."""


def _revisions(kind: DocumentKind, revision: type, show: Callable[[Any], Any]) -> Any:
    # A document's revisions, as a connection, oldest first.
    async def body(root: Any, info: GraphQLInfo, first: int | None, after: str | None) -> Any:
        context, paging = info.context, Paging(after, page_size(first))
        window = await service.list_revisions(
            context.session, root.product, kind, principal=context.principal, paging=paging
        )
        return connection(window, node=lambda row: from_read(revision, show(row)), after=after)

    parameters = {"root": Any, "info": GraphQLInfo, "first": First, "after": After}
    returns = Connection[revision] | None  # type: ignore[valid-type]
    resolve = resolver(
        "revisions", parameters, returns, body, defaults=dict.fromkeys(["first", "after"])
    )
    return strawberry.field(resolver=resolve, description="Every revision, oldest first.")


@pydantic_type(
    model=PrfaqRead,
    all_fields=True,
    name="Prfaq",
    description="A product's PR/FAQ: review status, latest and last approved revisions.",
)
class PrfaqType:
    """A product's PR/FAQ: review status, latest and last approved revisions."""

    revisions = _revisions(DocumentKind.PRFAQ, PrfaqRevisionType, views.prfaq_revision)


@pydantic_type(
    model=SecurityFaqRead,
    all_fields=True,
    name="SecurityFaq",
    description="A product's security FAQ: review status, completeness and revisions.",
)
class SecurityFaqType:
    """A product's security FAQ: review status, completeness, latest and approved revisions."""

    revisions = _revisions(
        DocumentKind.SECURITY_FAQ, SecurityFaqRevisionType, views.security_revision
    )


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
    prfaq=relation(_product_prfaq, Requires(PRFAQS, "read"), "The product's PR/FAQ."),
    security_faq=relation(
        _product_security_faq,
        Requires(SECURITY_FAQS, "read"),
        "The product's security FAQ (a sensitive read, recorded in the audit trail).",
    ),
)


@strawberry.input(description="A question of the FAQ, and whom it is for.")
@documented(FaqEntry)
class FaqEntryInput:
    question: str
    answer: str = ""
    audience: Audience = Audience.CUSTOMER
    """Whom the question is for: customers, or the company itself."""


@strawberry.input(description="The next revision of a product's PR/FAQ.")
@documented(PrfaqContent, RevisionMeta)
class SavePrfaqRevisionInput:
    product: str = strawberry.field(description="The product's slug")
    expected_version: int | None = strawberry.UNSET
    headline: str
    subheading: str = ""
    body: str = ""
    """The press release itself, in plain paragraphs."""
    faq: list[FaqEntryInput] = strawberry.field(default_factory=list)
    change_note: str = ""


@strawberry.input(description="An answer to a template question, or why it does not apply.")
@documented(SecurityAnswer, TemplateQuestion)
class SecurityAnswerInput:
    key: str
    answer: str = ""
    not_applicable: bool = False
    reason: str = ""
    """Why the question does not apply; needed with `notApplicable`."""


@strawberry.input(description="The next revision of a product's security FAQ.")
@documented(SecurityFaqContent, RevisionMeta)
class SaveSecurityFaqRevisionInput:
    product: str = strawberry.field(description="The product's slug")
    expected_version: int | None = strawberry.UNSET
    answers: list[SecurityAnswerInput] = strawberry.field(default_factory=list)
    change_note: str = ""


@strawberry.input(description="One review step on a document's latest revision.")
@documented(ReviewCreate)
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


def _mutations(face: Face, kind: DocumentKind, save: type, create: type) -> tuple[Any, Any]:
    # Saving a revision and taking a review step, alike for both kinds of document.
    name = service.NAMES[kind]
    steps = (
        (save, service.save_revision, create, f"Save the next revision of the {name}."),
        (
            ReviewDocumentInput,
            service.review,
            ReviewCreate,
            f"Submit, approve or send back the {name}'s latest revision.",
        ),
    )
    first, second = (
        face.mutation(given, partial(action, kind=kind), text, key=["product"], data=schema)
        for given, action, schema, text in steps
    )
    return first, second


@strawberry.type
class DocumentsMutation:
    save_prfaq_revision, review_prfaq = _mutations(
        PRFAQ, DocumentKind.PRFAQ, SavePrfaqRevisionInput, PrfaqRevisionCreate
    )
    save_security_faq_revision, review_security_faq = _mutations(
        SECURITY_FAQ,
        DocumentKind.SECURITY_FAQ,
        SaveSecurityFaqRevisionInput,
        SecurityFaqRevisionCreate,
    )
