"""The demo portfolio's PR/FAQs and security FAQs, written from each product's own name and
summary and walked to the state its stage needs (or the one the portfolio names), through the
same services the API uses: a team member writes and submits, a security reviewer approves."""

from sqlalchemy.ext.asyncio import AsyncSession

from api.core.access import Principal, Role
from api.demo.data import DemoProduct, DocumentState
from api.documents.models import DocumentKind
from api.documents.schemas import PrfaqRevisionCreate, ReviewCreate, SecurityFaqRevisionCreate
from api.documents.service import review, save_revision
from api.documents.settings import load_template
from api.products.models import STAGE_ORDER, Stage

REVIEWER = Principal(name="demo-security-reviewer", role=Role.SECURITY_REVIEWER)

# Plain words pass; this one is what the plain-language score is there to catch.
_DENSE = (
    "Leveraging a best-of-breed, cloud-native event-streaming paradigm, the platform "
    "operationalizes synergistic, enterprise-grade ledger reconciliation capabilities, "
    "thereby facilitating holistic, mission-critical observability across heterogeneous "
    "downstream consumption architectures, notwithstanding considerable organizational "
    "interdependencies."
)


def _prfaq(product: DemoProduct, *, dense: bool) -> PrfaqRevisionCreate:
    body = (
        f"Today we open {product.name} to every customer. {product.summary} "
        "It is quick to start and free to try. Customers asked us for this, and we built it "
        "with them. You can turn it on from your settings page today."
    )
    return PrfaqRevisionCreate.model_validate(
        {
            "headline": f"{product.name}: {product.summary.rstrip('.')}",
            "subheading": "Less waiting, fewer steps, and nothing new to learn.",
            "body": _DENSE if dense else body,
            "faq": [
                {"question": f"What is {product.name}?", "answer": product.summary},
                {"question": "What does it cost?", "answer": "Nothing extra."},
                {
                    "question": "How will we know it works?",
                    "answer": "Fewer support tickets and more customers finishing the task.",
                    "audience": "internal",
                },
            ],
            "change_note": "First draft with the team",
        }
    )


async def _security_faq(session: AsyncSession, *, complete: bool) -> SecurityFaqRevisionCreate:
    questions = (await load_template(session)).questions
    answered = questions if complete else questions[:3]
    answers = [
        {"key": question.key, "answer": f"Our answer: {question.guidance}"} for question in answered
    ]
    return SecurityFaqRevisionCreate.model_validate({"answers": answers})


def states(product: DemoProduct) -> dict[DocumentKind, DocumentState | None]:
    """Where each document of `product` ends: its stage's needs, unless the portfolio says."""
    reached = STAGE_ORDER.index(product.stage)
    prfaq: DocumentState | None = (
        "approved" if reached >= STAGE_ORDER.index(Stage.APPROVED) else None
    )
    security: DocumentState | None = (
        "approved" if reached >= STAGE_ORDER.index(Stage.BUILDING) else None
    )
    return {
        DocumentKind.PRFAQ: product.prfaq or prfaq,
        DocumentKind.SECURITY_FAQ: product.security_faq or security,
    }


async def write_documents(
    session: AsyncSession, product: DemoProduct, author: Principal, *, gating: Stage | None
) -> None:
    """Approve the documents that gate the move into `gating`; with None (once the product has
    reached its stage), bring the others to their unapproved state."""
    for kind, state in states(product).items():
        gate = Stage.APPROVED if kind == DocumentKind.PRFAQ else Stage.BUILDING
        approved = state is not None and state.startswith("approved")
        if state is None or (approved if gating is None else gate != gating or not approved):
            continue
        if kind == DocumentKind.PRFAQ:
            data: PrfaqRevisionCreate | SecurityFaqRevisionCreate = _prfaq(
                product, dense=state == "approved_with_override"
            )
        else:
            data = await _security_faq(session, complete=state != "incomplete")
        view = await save_revision(
            session, product.slug, kind, data=data, if_match=None, principal=author
        )
        assert view.latest is not None
        number = view.latest.number
        if state in ("draft", "incomplete"):
            continue
        step = ReviewCreate.model_validate({"action": "submit", "revision": number})
        await review(session, product.slug, kind, data=step, if_match=None, principal=author)
        if state == "in_review":
            continue
        decision = {
            "changes_requested": {"action": "request_changes", "comment": "Say who it is for."},
            "approved": {"action": "approve", "comment": "Clear and complete."},
            "approved_with_override": {
                "action": "approve",
                "comment": "Dense, but the audience is data engineers.",
                "override_reason": "Written for data engineers, who use these words daily.",
            },
        }[state]
        step = ReviewCreate.model_validate({**decision, "revision": number})
        await review(session, product.slug, kind, data=step, if_match=None, principal=REVIEWER)
