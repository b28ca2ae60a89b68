"""REST face of a product's documents: /api/v1/products/{slug}/prfaq and …/security-faq, each
with its revisions, diffs, review and Markdown export; and the org-wide settings they answer to,
/api/v1/security-faq-template and /api/v1/guidelines/prfaq-scoring.

The two documents have the same routes, built once here for each (`document_routes`)."""

from collections.abc import Callable
from typing import Annotated, Any

from litestar import Request, Response, Router, get, post, put
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody, Parameter

from api.core.access import PrincipalDep
from api.core.db import WRITE_INTENT_OPT, SessionDep
from api.core.pagination import Page
from api.core.resource import applied, endpoint
from api.core.rest import (
    READ_PROBLEMS,
    UPDATE_PROBLEMS,
    IfMatch,
    PagingDep,
    ProductSlug,
    RevisionNumber,
    absent_or,
    guarded,
    list_route,
    location,
    problems,
    versioned,
)
from api.core.writes import etag
from api.documents import service, settings, views
from api.documents.models import DocumentKind
from api.documents.policy import DOCUMENT_SETTINGS
from api.documents.schemas import (
    PrfaqRead,
    PrfaqRevisionCreate,
    PrfaqRevisionRead,
    ReviewCreate,
    RevisionDiff,
    ScoringRulesUpdate,
    SecurityFaqRead,
    SecurityFaqRevisionCreate,
    SecurityFaqRevisionRead,
    TemplateRead,
    TemplateUpdate,
)
from api.documents.scoring import ScoringRules

Number = Annotated[int, Parameter(ge=1, le=1_000_000, description="The revision's number")]
Against = Annotated[
    int | None,
    Parameter(
        ge=0,
        le=1_000_000,
        description="The revision to compare with: the one before by default; 0 is the empty "
        "document",
        schema_extra=absent_or("integer", minimum=0, maximum=1_000_000),
    ),
]


async def _read(session: Any, view: service.DocumentView) -> Any:
    if view.kind == DocumentKind.PRFAQ:
        return views.prfaq_read(view)
    return views.security_read(view, (await settings.load_template(session)).questions)


def _answer(body: Any, view: service.DocumentView) -> Response[Any]:
    headers = {"ETag": etag(view.document)} if view.document else {}
    return Response(body, headers=headers)


def document_routes(
    kind: DocumentKind,
    segment: str,
    read: type,
    revision_read: type,
    revision_create: type,
    show: Callable[[Any], Any],
    *,
    writes_on_read: bool,
) -> Router:
    """The routes of one kind of document, under /products/{slug}/`segment`."""
    policy = service.POLICIES[kind]
    name = service.NAMES[kind]
    op = "Prfaq" if kind == DocumentKind.PRFAQ else "SecurityFaq"
    reading: dict[str, Any] = {"opt": {WRITE_INTENT_OPT: True}} if writes_on_read else {}
    key = {"session": SessionDep, "principal": PrincipalDep, "slug": ProductSlug}

    async def get_document(session: Any, principal: Any, slug: str) -> Response[Any]:
        view = await service.read_document(session, slug, kind, principal=principal)
        return _answer(await _read(session, view), view)

    async def list_revisions(session: Any, principal: Any, slug: str, paging: Any) -> Any:
        window = await service.list_revisions(
            session, slug, kind, principal=principal, paging=paging
        )
        return window.page(show)

    async def save(
        request: Any, session: Any, principal: Any, slug: str, data: Any, if_match: Any
    ) -> Any:
        view = await service.save_revision(
            session, slug, kind, data=data, if_match=if_match, principal=principal
        )
        assert view.document is not None
        assert view.latest is not None
        where = location(request, f"get{op}Revision", slug=slug, number=view.latest.number)
        return versioned(show(view.latest), view.document, created_at=where)

    async def get_revision(session: Any, principal: Any, slug: str, number: int) -> Any:
        return show(await service.get_revision(session, slug, kind, number, principal=principal))

    async def diff(
        session: Any, principal: Any, slug: str, number: int, against: int | None
    ) -> Any:
        before = number - 1 if against is None else against
        wanted = [number, before] if before else [number]
        new, *old = await service.get_revisions(session, slug, kind, wanted, principal=principal)
        return views.diff(kind, new, old[0] if old else None)

    async def review(session: Any, principal: Any, slug: str, data: Any, if_match: Any) -> Any:
        view = await service.review(
            session, slug, kind, data=data, if_match=if_match, principal=principal
        )
        return _answer(await _read(session, view), view)

    async def export(session: Any, principal: Any, slug: str) -> Response[str]:
        view = await service.read_document(session, slug, kind, principal=principal)
        questions = (await settings.load_template(session)).questions
        return Response(views.markdown(view, questions), media_type="text/markdown; charset=utf-8")

    body = applied(JSONBody, revision_create)
    handlers = [
        guarded(
            get,
            f"/{segment}",
            f"get{op}",
            policy,
            "read",
            summary=f"A product's {name}",
            responses=READ_PROBLEMS,
            **reading,
        )(
            endpoint(
                f"get_{kind.value}",
                f"The {name}: its review status, latest revision and last approved one.",
                key,
                applied(Response, read),
                get_document,
            )
        ),
        list_route(
            f"list{op}Revisions",
            policy,
            path=f"/{segment}/revisions",
            summary=f"The {name}'s revisions",
            responses=READ_PROBLEMS,
            **reading,
        )(
            endpoint(
                f"list_{kind.value}_revisions",
                "Every revision, oldest first.",
                {**key, "paging": PagingDep},
                applied(Page, revision_read),
                list_revisions,
            )
        ),
        guarded(
            post,
            f"/{segment}/revisions",
            f"save{op}Revision",
            policy,
            "write",
            summary=f"Save a {name} revision",
            responses=problems(404, 409, 412, 413, 415, 422),
        )(
            endpoint(
                f"save_{kind.value}_revision",
                "Save the next revision; it starts a new review.",
                {"request": Request[Any, Any, Any], **key, "data": body, "if_match": IfMatch},
                revision_read,
                save,
                defaults={"if_match": None},
            )
        ),
        guarded(
            get,
            f"/{segment}/revisions/{{number:int}}",
            f"get{op}Revision",
            policy,
            "read",
            summary=f"One {name} revision",
            responses=READ_PROBLEMS,
            name=f"get{op}Revision",
            **reading,
        )(
            endpoint(
                f"get_{kind.value}_revision",
                "One revision, by number.",
                {**key, "number": RevisionNumber},
                revision_read,
                get_revision,
            )
        ),
        guarded(
            get,
            f"/{segment}/revisions/{{number:int}}/diff",
            f"diff{op}Revisions",
            policy,
            "read",
            summary=f"Compare two {name} revisions",
            responses=READ_PROBLEMS,
            **reading,
        )(
            endpoint(
                f"diff_{kind.value}_revisions",
                "The revision against another, section by section.",
                {**key, "number": RevisionNumber, "against": Against},
                RevisionDiff,
                diff,
                defaults={"against": None},
            )
        ),
        guarded(
            post,
            f"/{segment}/review",
            f"review{op}",
            policy,
            "write",
            summary=f"Review the {name}",
            responses=UPDATE_PROBLEMS,
            status_code=200,
        )(
            endpoint(
                f"review_{kind.value}",
                "Submit the latest revision, approve it or ask for changes.",
                {**key, "data": JSONBody[ReviewCreate], "if_match": IfMatch},
                applied(Response, read),
                review,
                defaults={"if_match": None},
            )
        ),
        guarded(
            get,
            f"/{segment}.md",
            f"export{op}",
            policy,
            "read",
            summary=f"The {name} as Markdown",
            responses=READ_PROBLEMS,
            media_type="text/markdown",
            **reading,
        )(
            endpoint(
                f"export_{kind.value}",
                "The latest revision as one Markdown document.",
                key,
                Response[str],
                export,
            )
        ),
    ]
    return Router("/products/{slug:str}", route_handlers=handlers, tags=["documents"])


PRFAQ_ROUTES = document_routes(
    DocumentKind.PRFAQ,
    "prfaq",
    PrfaqRead,
    PrfaqRevisionRead,
    PrfaqRevisionCreate,
    views.prfaq_revision,
    writes_on_read=False,
)
SECURITY_FAQ_ROUTES = document_routes(
    DocumentKind.SECURITY_FAQ,
    "security-faq",
    SecurityFaqRead,
    SecurityFaqRevisionRead,
    SecurityFaqRevisionCreate,
    views.security_revision,
    writes_on_read=True,
)


def _setting(
    method: Any, path: str, operation_id: str, verb: str, summary: str
) -> HTTPRouteHandler:
    # An org-wide setting's route: read by every role acting for a person, set by admins.
    responses = problems() if verb == "read" else problems(413, 415, 422)
    return guarded(
        method, path, operation_id, DOCUMENT_SETTINGS, verb, summary=summary, responses=responses
    )


def _template(template: settings.Template) -> TemplateRead:
    return TemplateRead(version=template.version, questions=template.questions)


@_setting(
    get, "/security-faq-template", "getSecurityFaqTemplate", "read", "The security FAQ template"
)
async def get_template(session: SessionDep) -> TemplateRead:
    """The questions every security FAQ answers, and for which classifications each is required."""
    return _template(await settings.load_template(session))


@_setting(
    put,
    "/security-faq-template",
    "setSecurityFaqTemplate",
    "manage",
    "Replace the security FAQ template",
)
async def set_template(
    session: SessionDep, principal: PrincipalDep, data: JSONBody[TemplateUpdate]
) -> TemplateRead:
    """Save a new version of the template; revisions keep the version they were saved under.
    Admins only."""
    return _template(await settings.set_template(session, data=data, principal=principal))


@_setting(get, "/guidelines/prfaq-scoring", "getPrfaqScoring", "read", "How PR/FAQs are scored")
async def get_scoring(session: SessionDep) -> ScoringRules:
    """The word limit, the plain-language thresholds, the longest sentence and the jargon list."""
    return await settings.load_rules(session)


@_setting(
    put, "/guidelines/prfaq-scoring", "setPrfaqScoring", "manage", "Set how PR/FAQs are scored"
)
async def set_scoring(
    session: SessionDep, principal: PrincipalDep, data: JSONBody[ScoringRulesUpdate]
) -> ScoringRules:
    """Replace the scoring rules; revisions already saved keep their scores. Admins only."""
    return await settings.set_rules(session, data=data, principal=principal)


SETTINGS_ROUTES = Router(
    "/", route_handlers=[get_template, set_template, get_scoring, set_scoring], tags=["documents"]
)
