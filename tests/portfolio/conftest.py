"""A portfolio built for the tests, whose every figure is known by construction.

Teams: `alpha` (org north, 6 people: recommended), `beta` (south, 9: acceptable) and `gamma`
(south, 11, no exception: over). Products (slug: team, stage, classification, target):

- `ready-one`: alpha, launch_review, public, in 10 days. Documents approved and complete; its
  three required kinds passed. Ready. Slipped once by 5 days.
- `blocked-two`: alpha, building, internal, in 60 days. PR/FAQ approved, security FAQ a draft
  with no answers; resiliency failed, durability never started, security posture in review
  (a result, no decision); findings: an open critical (1 day old), an open high (40 days old:
  overdue) and a fixed low. Slipped twice (10 and 20 days) and moved earlier once.
- `launched-three`: beta, launched, public. Documents approved; resiliency passed 100 days ago
  (stale: re-test overdue), durability failed under a waiver ending in 5 days, security
  posture passed a week ago.
- `idea-four`: beta, idea, confidential, no target; nothing written or tested.
- `retired-five`: beta, retired, public; nothing (left out of readiness).
- `expired-six`: alpha, launch_review, public, in 100 days. Documents approved; resiliency and
  security posture passed; durability failed and its waiver expired yesterday.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from sqlmodel import SQLModel

from api.checkpoints.models import (
    Checkpoint,
    Decision,
    Finding,
    FindingStatus,
    Outcome,
    Severity,
    Waiver,
)
from api.core.access import Role
from api.core.db import utcnow
from api.documents.models import Document, DocumentKind, DocumentRevision, ReviewStatus
from api.documents.template import DEFAULT_QUESTIONS
from api.people.models import JobFamily, Person
from api.products.models import (
    DataClassification,
    Product,
    ProductChange,
    Stage,
    TrackedField,
)
from api.teams.models import Membership, Team, TeamRole
from tests.factories import unique
from tests.helpers import Client, bearer, issue_token, seeding


@dataclass
class Built:
    """The built portfolio: its products' ids by slug, and the day it was built."""

    products: dict[str, uuid.UUID]
    today: date


def _document(
    product: Product, kind: DocumentKind, status: ReviewStatus, answers: list[Any] | None = None
) -> list[SQLModel]:
    document = Document(product_id=product.id, kind=kind, status=status, latest_revision=1)
    content: dict[str, Any] = (
        {"headline": "A headline"} if kind == DocumentKind.PRFAQ else {"answers": answers or []}
    )
    revision = DocumentRevision(
        document_id=document.id, number=1, author="test", content=content, assessment={}
    )
    return [document, revision]


def _approved_documents(product: Product) -> list[SQLModel]:
    answers = [{"key": question.key, "answer": "Yes."} for question in DEFAULT_QUESTIONS]
    return [
        *_document(product, DocumentKind.PRFAQ, ReviewStatus.APPROVED),
        *_document(product, DocumentKind.SECURITY_FAQ, ReviewStatus.APPROVED, answers),
    ]


def _passed(product: Product, kind: str, at: datetime, *, reviewed: bool = False) -> Checkpoint:
    return Checkpoint(
        product_id=product.id,
        kind=kind,
        last_outcome=Outcome.PASSED,
        last_result_at=at,
        results_count=1,
        decision=Decision.PASSED if reviewed else None,
        decided_by="reviewer@example.com" if reviewed else None,
        decided_at=at if reviewed else None,
        last_passed_at=at,
    )


def _failed(product: Product, kind: str, at: datetime) -> Checkpoint:
    return Checkpoint(
        product_id=product.id,
        kind=kind,
        last_outcome=Outcome.FAILED,
        last_result_at=at,
        results_count=1,
    )


def _finding(product: Product, severity: Severity, opened: datetime, **fields: Any) -> Finding:
    return Finding(
        product_id=product.id,
        kind="appsec_review",
        tool="scanner",
        fingerprint=unique("fp"),
        title=f"A {severity.value} finding",
        severity=severity,
        opened_at=opened,
        last_seen_at=opened,
        updated_by="scanner",
        **fields,
    )


def _slip(product: Product, old: str, new: str) -> ProductChange:
    return ProductChange(
        product_id=product.id,
        field=TrackedField.TARGET_LAUNCH_DATE,
        old_value=old,
        new_value=new,
        changed_by="test",
    )


@pytest.fixture
async def built(app: Litestar, client: Client) -> Built:
    """The portfolio described above, written behind the API."""
    now = utcnow()
    today = now.date()
    teams = {
        "alpha": Team(slug="alpha", name="Alpha Team", org="north"),
        "beta": Team(slug="beta", name="Beta Team", org="south"),
        "gamma": Team(slug="gamma", name="Gamma Team", org="south"),
    }
    sizes = {"alpha": 6, "beta": 9, "gamma": 11}
    people: list[SQLModel] = []
    members: list[SQLModel] = []
    for slug, size in sizes.items():
        for _ in range(size):
            person = Person(
                email=f"{unique('member')}@example.com",
                name="Member",
                job_family=JobFamily.ENGINEERING,
                home_org="north",
            )
            people.append(person)
            members.append(
                Membership(
                    team_id=teams[slug].id,
                    person_id=person.id,
                    role=TeamRole.ENGINEER,
                    start_date=date(2024, 1, 1),
                )
            )

    def product(
        slug: str,
        team: str,
        stage: Stage,
        classification: DataClassification,
        due_in: int | None,
    ) -> Product:
        return Product(
            slug=slug,
            name=slug.replace("-", " ").title(),
            team_id=teams[team].id,
            stage=stage,
            data_classification=classification,
            target_launch_date=today + timedelta(days=due_in) if due_in is not None else None,
        )

    public, internal = DataClassification.PUBLIC, DataClassification.INTERNAL
    one = product("ready-one", "alpha", Stage.LAUNCH_REVIEW, public, 10)
    two = product("blocked-two", "alpha", Stage.BUILDING, internal, 60)
    three = product("launched-three", "beta", Stage.LAUNCHED, public, -30)
    four = product("idea-four", "beta", Stage.IDEA, DataClassification.CONFIDENTIAL, None)
    five = product("retired-five", "beta", Stage.RETIRED, public, None)
    six = product("expired-six", "alpha", Stage.LAUNCH_REVIEW, public, 100)
    products = [one, two, three, four, five, six]

    day = timedelta(days=1)
    in_review = Checkpoint(
        product_id=two.id, kind="security_posture", last_outcome=Outcome.PASSED, results_count=1
    )
    durability_three = _failed(three, "durability", now - 3 * day)
    durability_six = _failed(six, "durability", now - 20 * day)
    checkpoints = [
        _passed(one, "resiliency", now - day),
        _passed(one, "durability", now - day),
        _passed(one, "security_posture", now - day, reviewed=True),
        _failed(two, "resiliency", now - day),
        in_review,
        _passed(three, "resiliency", now - 100 * day),
        durability_three,
        _passed(three, "security_posture", now - 7 * day, reviewed=True),
        _passed(six, "resiliency", now - day),
        durability_six,
        _passed(six, "security_posture", now - day, reviewed=True),
    ]
    waivers = [
        Waiver(
            checkpoint_id=durability_three.id,
            justification="Restore test booked",
            approved_by="reviewer@example.com",
            expires_at=now + 5 * day,
        ),
        Waiver(
            checkpoint_id=durability_six.id,
            justification="Was to be fixed",
            approved_by="reviewer@example.com",
            expires_at=now - day,
        ),
    ]
    findings = [
        _finding(two, Severity.CRITICAL, now - day),
        _finding(two, Severity.HIGH, now - 40 * day),
        _finding(two, Severity.LOW, now - 200 * day, status=FindingStatus.FIXED, fixed_at=now),
    ]
    documents: list[SQLModel] = [
        *_approved_documents(one),
        *_document(two, DocumentKind.PRFAQ, ReviewStatus.APPROVED),
        *_document(two, DocumentKind.SECURITY_FAQ, ReviewStatus.DRAFT, []),
        *_approved_documents(three),
        *_approved_documents(six),
    ]
    slips = [
        _slip(one, "2027-01-01", "2027-01-06"),
        _slip(two, "2027-01-01", "2027-01-11"),
        _slip(two, "2027-01-11", "2027-01-31"),
        _slip(two, "2027-01-31", "2027-01-20"),  # earlier: not a slip
    ]
    async with seeding(app) as session:
        for batch in (
            list(teams.values()),
            people,
            members,
            products,
            checkpoints,
            waivers,
            findings,
            documents,
            slips,
        ):
            session.add_all(batch)
            await session.flush()
        await session.commit()
    return Built({item.slug: item.id for item in products}, today)


@pytest.fixture
async def viewer(app: Litestar, client: Client) -> dict[str, str]:
    """A viewer's headers."""
    return bearer(await issue_token(app, Role.VIEWER, name=unique("viewer")))


@pytest.fixture
async def contributor(app: Litestar, client: Client) -> dict[str, str]:
    """A contributor's headers (on no team)."""
    return bearer(await issue_token(app, Role.CONTRIBUTOR, name=unique("contributor")))
