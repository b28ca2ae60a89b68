"""The GraphQL face: `Product.checkpoints`, `Product.readiness`, the catalogue, the re-test
queue and the sign-off and waiver mutations; and readiness over 10 and 100 products costs the
same statements."""

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from sqlmodel import col, select

from api.checkpoints.schemas import ResultCreate
from api.checkpoints.service import record_result
from api.core.access import Principal, Role
from api.products.models import Product
from tests.checkpoints.conftest import Callers, at, post_result
from tests.factories import seed_products, seed_teams
from tests.graphql import gql, gql_data, gql_error
from tests.helpers import Client, app_engine, count_statements, seeding

PRODUCT = """query($slug: String!) { product(slug: $slug) {
  checkpoints { kind status required blocking signOff reviewerRole
                lastResult { outcome approaches testsRun } waiver { active } }
  readiness { ready blockers { code detail checkpoint } warnings { code } } } }"""


async def test_a_product_shows_its_checkpoints_and_readiness(
    client: Client, product: dict[str, Any], callers: Callers
) -> None:
    await post_result(
        client,
        product,
        "resiliency",
        "failed",
        headers=callers.ci,
        approaches=["negative"],
        tests_run=3,
    )
    data = await gql_data(client, PRODUCT, slug=product["slug"])
    checkpoints = {item["kind"]: item for item in data["product"]["checkpoints"]}
    assert checkpoints["resiliency"]["status"] == "FAILED"
    assert checkpoints["resiliency"]["lastResult"] == {
        "outcome": "FAILED",
        "approaches": ["NEGATIVE"],
        "testsRun": 3,
    }
    assert checkpoints["appsec_review"]["signOff"] == "REVIEWER"
    assert checkpoints["appsec_review"]["reviewerRole"] == "SECURITY_REVIEWER"
    assert checkpoints["durability"]["status"] == "NOT_STARTED"
    readiness = data["product"]["readiness"]
    assert readiness["ready"] is False
    rest = (await client.get(at(product, "readiness"))).json()
    assert [item["code"] for item in readiness["blockers"]] == [
        item["code"] for item in rest["blockers"]
    ]
    # A viewer reads readiness too.
    viewer = await gql(
        client,
        "query($slug: String!) { product(slug: $slug) { readiness { ready } } }",
        slug=product["slug"],
    )
    assert "errors" not in viewer


async def test_sign_off_and_waiver_mutations(
    client: Client, product: dict[str, Any], callers: Callers
) -> None:
    result = await post_result(client, product, "appsec_review", headers=callers.ci)
    mutation = """mutation($input: SignOffCheckpointInput!) { signOffCheckpoint(input: $input) {
      kind status decidedBy evidence } }"""
    signed = {
        "product": product["slug"],
        "kind": "appsec_review",
        "status": "PASSED",
        "comment": "Clean",
        "evidence": [result["id"]],
    }
    # The admin is not the kind's reviewer role.
    await gql_error(client, mutation, "FORBIDDEN", input=signed)
    client.headers.update(callers.reviewer)
    try:
        data = await gql_data(client, mutation, input=signed)
        assert data["signOffCheckpoint"]["status"] == "PASSED"
        assert data["signOffCheckpoint"]["evidence"] == [result["id"]]
        await gql_error(client, mutation, "BAD_USER_INPUT", input={**signed, "evidence": []})
        waive = """mutation($input: WaiveCheckpointInput!) { waiveCheckpoint(input: $input) {
          status waiver { active justification } } }"""
        expires = (datetime.now(UTC) + timedelta(days=200)).isoformat()
        body = {
            "product": product["slug"],
            "kind": "security_posture",
            "justification": "Pen test booked",
            "expiresAt": expires,
        }
        await gql_error(client, waive, "BAD_USER_INPUT", input=body)
        body["expiresAt"] = (datetime.now(UTC) + timedelta(days=20)).isoformat()
        waived = await gql_data(client, waive, input=body)
        assert waived["waiveCheckpoint"]["status"] == "WAIVED"
        assert waived["waiveCheckpoint"]["waiver"]["active"] is True
    finally:
        for name in callers.reviewer:
            client.headers.pop(name, None)


async def test_the_catalogue_and_the_retest_queue(client: Client) -> None:
    data = await gql_data(
        client,
        "{ checkpointKinds { key signOff blocking retestIntervalDays } "
        "retestQueue(first: 5) { edges { node { product kind } } pageInfo { hasNextPage } } }",
    )
    assert [kind["key"] for kind in data["checkpointKinds"]][:2] == ["resiliency", "durability"]
    assert data["retestQueue"]["edges"] == []


SEED = Principal(name="seed", role=Role.ADMIN)
MANY = """{ products(first: 200) { edges { node { slug
  readiness { ready blockers { code } warnings { code } }
  checkpoints { kind status lastResult { outcome } waiver { active } } } } } }"""


async def _seed(app: Litestar, count: int) -> None:
    (team,) = await seed_teams(app, 1)
    ids = await seed_products(app, team, count)
    async with seeding(app) as session:
        products = await session.scalars(select(Product).where(col(Product.id).in_(ids)))
        for product in products:
            for kind in ("resiliency", "appsec_review"):
                await record_result(
                    session,
                    product.slug,
                    kind,
                    data=ResultCreate.model_validate({"outcome": "passed"}),
                    principal=SEED,
                )
        await session.commit()


async def _statements(app: Litestar, client: Client, expected: int) -> int:
    await client.post("/graphql", json={"query": MANY})
    with count_statements(app_engine(app)) as counter:
        response = await client.post("/graphql", json={"query": MANY})
    body = response.json()
    assert "errors" not in body, body
    edges = body["data"]["products"]["edges"]
    assert len(edges) == expected
    assert all(
        {item["kind"]: item["status"] for item in edge["node"]["checkpoints"]}["resiliency"]
        == "PASSED"
        for edge in edges
    )
    return counter.count


async def test_readiness_costs_no_query_per_product(app: Litestar, client: Client) -> None:
    await _seed(app, 10)
    few = await _statements(app, client, 10)
    await _seed(app, 90)
    many = await _statements(app, client, 100)
    assert few == many


async def test_the_retest_queue_pages_through_due_checkpoints(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers
) -> None:
    from tests.checkpoints.conftest import pass_all

    await pass_all(client, product, callers)
    for stage in ("launch_review", "launched"):
        moved = await client.patch(f"/api/v1/products/{product['slug']}", json={"stage": stage})
        assert moved.status_code == 200, moved.text
    query = """query($after: String) { retestQueue(dueBefore: "2999-01-01T00:00:00Z", first: 3,
      after: $after) { edges { node { product kind status retestDueAt } }
      pageInfo { hasNextPage endCursor } } }"""
    first = (await gql_data(client, query))["retestQueue"]
    assert len(first["edges"]) == 3
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await gql_data(client, query, after=first["pageInfo"]["endCursor"]))["retestQueue"]
    kinds = [edge["node"]["kind"] for edge in first["edges"] + rest["edges"]]
    assert sorted(kinds) == ["appsec_review", "durability", "resiliency", "security_posture"]
    assert rest["pageInfo"]["hasNextPage"] is False
