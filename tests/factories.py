"""Small factories that create records through the REST API, as a client would."""

import itertools
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from litestar import Litestar
from sqlmodel import SQLModel

from api.core.access import Role
from api.people.models import JobFamily, Person
from api.products.models import DataClassification, Product, ProductChange, TrackedField
from api.teams.models import Membership, Team, TeamRole
from tests.helpers import API, Client, bearer, issue_token, seeding

_sequence = itertools.count(1)


def unique(prefix: str) -> str:
    """A slug-safe value no other factory call returns."""
    return f"{prefix}-{next(_sequence)}"


async def create_person(client: Client, **fields: Any) -> dict[str, Any]:
    """A new person; fields override the defaults."""
    handle = unique("person")
    body = {
        "email": f"{handle}@example.com",
        "name": f"Person {handle}",
        "job_family": "engineering",
        "home_org": "platform",
        **fields,
    }
    response = await client.post(f"{API}/people", json=body)
    assert response.status_code == 201, response.text
    person: dict[str, Any] = response.json()
    return person


async def create_team(client: Client, **fields: Any) -> dict[str, Any]:
    """A new team; fields override the defaults."""
    body = {"slug": unique("team"), "name": "A team", "mission": "Ship it", "org": "platform"}
    body.update(fields)
    response = await client.post(f"{API}/teams", json=body)
    assert response.status_code == 201, response.text
    team: dict[str, Any] = response.json()
    return team


async def create_product(
    client: Client, *, team: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A new product, owned by `team` (a new team when not given); fields override defaults."""
    if team is None:
        team = (await create_team(client))["slug"]
    body = {
        "slug": unique("product"),
        "name": "A product",
        "summary": "Does one thing well",
        "team": team,
        "data_classification": "internal",
        **fields,
    }
    response = await client.post(f"{API}/products", json=body)
    assert response.status_code == 201, response.text
    product: dict[str, Any] = response.json()
    return product


async def add_member(
    client: Client, team: str, person_id: str, *, role: str = "engineer", **fields: Any
) -> dict[str, Any]:
    """Put a person on a team."""
    body = {"person_id": person_id, "role": role, **fields}
    response = await client.post(f"{API}/teams/{team}/members", json=body)
    assert response.status_code == 201, response.text
    membership: dict[str, Any] = response.json()
    return membership


# Bulk seeding straight through the models, for tests that need hundreds of rows quickly
# (statement counts); everything a test asserts on still goes through HTTP.


async def seed_people(app: Litestar, count: int, *, org: str = "platform") -> list[uuid.UUID]:
    """Add `count` people in one transaction; returns their ids."""
    people = [
        Person(
            email=f"{unique('seeded')}@example.com",
            name="Seeded Person",
            job_family=JobFamily.ENGINEERING,
            home_org=org,
        )
        for _ in range(count)
    ]
    await _add_all(app, people)
    return [person.id for person in people]


async def seed_teams(app: Litestar, count: int, *, org: str = "platform") -> list[uuid.UUID]:
    """Add `count` teams in one transaction; returns their ids."""
    teams = [Team(slug=unique("seeded"), name="Seeded Team", org=org) for _ in range(count)]
    await _add_all(app, teams)
    return [team.id for team in teams]


async def seed_members(app: Litestar, team_id: uuid.UUID, person_ids: list[uuid.UUID]) -> None:
    """Put the people on the team from a past day."""
    start = date(2024, 1, 1)
    await _add_all(
        app,
        [
            Membership(
                team_id=team_id, person_id=person_id, role=TeamRole.ENGINEER, start_date=start
            )
            for person_id in person_ids
        ],
    )


async def seed_products(app: Litestar, team_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    """Add `count` products owned by the team; returns their ids."""
    products = [
        Product(
            slug=unique("seeded"),
            name="Seeded",
            team_id=team_id,
            data_classification=DataClassification.PUBLIC,
        )
        for _ in range(count)
    ]
    await _add_all(app, products)
    return [product.id for product in products]


async def seed_changes(app: Litestar, product_id: uuid.UUID, count: int) -> None:
    """Add `count` launch-date changes to the product's history."""
    await _add_all(
        app,
        [
            ProductChange(
                product_id=product_id,
                field=TrackedField.TARGET_LAUNCH_DATE,
                old_value=None,
                new_value=f"2027-01-{1 + n % 28:02d}",
                changed_by="seed",
            )
            for n in range(count)
        ],
    )


async def _add_all(app: Litestar, records: Sequence[SQLModel]) -> None:
    async with seeding(app) as session:
        session.add_all(records)
        await session.commit()


async def pass_document_gates(app: Litestar, client: Client, slug: str) -> None:
    """Give a product an approved PR/FAQ and an approved, complete security FAQ, written by the
    client's caller and approved by a security reviewer, so its stage can move past the gates."""
    person = await create_person(client, job_family="security")
    token = await issue_token(app, Role.SECURITY_REVIEWER, person_id=person["id"], name=unique("r"))
    reviewer = bearer(token)
    template = (await client.get(f"{API}/security-faq-template")).json()
    documents = {
        "prfaq": {
            "headline": "Pay with one tap",
            "body": "Buyers pay in one tap. It is fast and safe.",
            "faq": [{"question": "Is it safe?", "answer": "Yes.", "audience": "customer"}],
        },
        "security-faq": {
            "answers": [
                {"key": question["key"], "answer": "Answered for the test."}
                for question in template["questions"]
            ]
        },
    }
    for document, content in documents.items():
        path = f"{API}/products/{slug}/{document}"
        saved = await client.post(f"{path}/revisions", json=content)
        assert saved.status_code == 201, saved.text
        number = saved.json()["number"]
        submitted = await client.post(
            f"{path}/review", json={"action": "submit", "revision": number}
        )
        assert submitted.status_code == 200, submitted.text
        approval = {"action": "approve", "revision": number, "override_reason": "a test product"}
        approved = await client.post(f"{path}/review", json=approval, headers=reviewer)
        assert approved.status_code == 200, approved.text


async def pass_launch_gates(app: Litestar, client: Client, slug: str) -> None:
    """Pass every launch checkpoint of a product: a passing result for each kind, posted by the
    client's caller, and a security reviewer's sign-off where the kind needs one."""
    person = await create_person(client, job_family="security")
    token = await issue_token(app, Role.SECURITY_REVIEWER, person_id=person["id"], name=unique("r"))
    reviewer = bearer(token)
    kinds = (await client.get(f"{API}/checkpoint-kinds")).json()["items"]
    for kind in kinds:
        path = f"{API}/products/{slug}/checkpoints/{kind['key']}"
        posted = await client.post(f"{path}/results", json={"outcome": "passed"})
        assert posted.status_code == 201, posted.text
        if kind["sign_off"] == "reviewer":
            decision = {"status": "passed", "comment": "ok", "evidence": [posted.json()["id"]]}
            signed = await client.patch(path, json=decision, headers=reviewer)
            assert signed.status_code == 200, signed.text
