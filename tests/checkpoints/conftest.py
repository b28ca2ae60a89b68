"""The checkpoints' callers: the admin (the `client` fixture), a security reviewer, a viewer, a
contributor on the product's team, and a `ci` token for the product; and a product that has
passed its document gates, ready to be tested."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import update

from api.checkpoints.models import Checkpoint, Finding, Waiver
from api.core.access import Role
from api.core.db import utcnow
from api.products.models import Product
from tests.factories import add_member, create_person, create_product, pass_document_gates, unique
from tests.helpers import API, Client, bearer, issue_token, seeding

KINDS = ["resiliency", "durability", "security_posture", "appsec_review", "operational_readiness"]
AUTOMATIC = ["resiliency", "durability", "operational_readiness"]
REVIEWED = ["security_posture", "appsec_review"]


@dataclass
class Callers:
    """Headers for each role."""

    reviewer: dict[str, str]
    viewer: dict[str, str]
    contributor: dict[str, str]
    ci: dict[str, str]
    other_ci: dict[str, str]


@pytest.fixture
async def product(app: Litestar, client: Client) -> dict[str, Any]:
    """An internal product at `building`, its PR/FAQ and security FAQ approved."""
    made = await create_product(client, data_classification="internal")
    await pass_document_gates(app, client, made["slug"])
    for stage in ("prfaq_review", "approved", "building"):
        moved = await client.patch(f"{API}/products/{made['slug']}", json={"stage": stage})
        assert moved.status_code == 200, moved.text
    return dict(moved.json())


@pytest.fixture
async def callers(app: Litestar, client: Client, product: dict[str, Any]) -> Callers:
    """A caller of each role; the contributor is on the product's team, the ci token lists it."""
    reviewer = await create_person(client, job_family="security")
    viewer = await create_person(client)
    contributor = await create_person(client)
    await add_member(client, product["team"], contributor["id"])
    other = await create_product(client)

    async def token(role: Role, **options: Any) -> dict[str, str]:
        return bearer(await issue_token(app, role, name=unique(role.value), **options))

    return Callers(
        reviewer=await token(Role.SECURITY_REVIEWER, person_id=reviewer["id"]),
        viewer=await token(Role.VIEWER, person_id=viewer["id"]),
        contributor=await token(Role.CONTRIBUTOR, person_id=contributor["id"]),
        ci=await token(Role.CI, products=[product["slug"]]),
        other_ci=await token(Role.CI, products=[other["slug"]]),
    )


def at(product: dict[str, Any], *parts: str) -> str:
    """A path under the product."""
    return "/".join([f"{API}/products/{product['slug']}", *parts])


async def post_result(
    client: Client,
    product: dict[str, Any],
    kind: str,
    outcome: str = "passed",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Post a result and return it."""
    response = await client.post(
        at(product, "checkpoints", kind, "results"),
        json={"outcome": outcome, **fields},
        headers=headers or {},
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def pass_all(client: Client, product: dict[str, Any], callers: Callers) -> None:
    """Pass every checkpoint: CI's results, and the reviewer's sign-off where one decides."""
    for kind in KINDS:
        result = await post_result(client, product, kind, headers=callers.ci)
        if kind in REVIEWED:
            signed = await client.patch(
                at(product, "checkpoints", kind),
                json={"status": "passed", "comment": "Looks good", "evidence": [result["id"]]},
                headers=callers.reviewer,
            )
            assert signed.status_code == 200, signed.text


async def readiness(client: Client, product: dict[str, Any]) -> dict[str, Any]:
    """The product's readiness answer."""
    response = await client.get(at(product, "readiness"))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def codes(answer: dict[str, Any], part: str = "blockers") -> set[str]:
    """The codes of a readiness answer's blockers (or warnings)."""
    return {item["code"] for item in answer[part]}


async def backdate(app: Litestar, model: Any, days: int, column: str, **where: Any) -> None:
    """Move a timestamp `days` into the past, as time passing would (tests cannot wait)."""
    async with seeding(app) as session:
        statement = update(model).values({column: utcnow() - timedelta(days=days)})
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        await session.execute(statement)
        await session.commit()


__all__ = ["Checkpoint", "Finding", "Product", "Waiver"]
