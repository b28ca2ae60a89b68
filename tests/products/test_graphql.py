"""Products through GraphQL, as a portal uses them."""

from typing import Any

from litestar import Litestar

from api.core.access import Principal, Role
from api.people.schemas import PersonCreate
from api.people.service import create_person
from api.products.models import DataClassification
from api.products.schemas import ProductCreate
from api.products.service import create_product
from api.teams.models import TeamRole
from api.teams.schemas import MembershipCreate, TeamCreate
from api.teams.service import add_member, create_team
from tests.factories import create_team as create_team_via_api
from tests.graphql import error_fields, gql, gql_data, gql_error
from tests.helpers import API, Client, app_engine, count_statements, seeding

CREATE = """
mutation Create($input: CreateProductInput!) {
  createProduct(input: $input) { id slug stage version dataClassification team { slug } }
}
"""
UPDATE = """
mutation Update($input: UpdateProductInput!) {
  updateProduct(input: $input) { slug stage version targetLaunchDate }
}
"""


async def _product(client: Client, team: str, slug: str = "rocket") -> dict[str, Any]:
    data = await gql_data(
        client,
        CREATE,
        input={"slug": slug, "name": "Rocket", "team": team, "dataClassification": "INTERNAL"},
    )
    product: dict[str, Any] = data["createProduct"]
    return product


async def test_create_and_read_product_with_its_team(client: Client) -> None:
    team = await create_team_via_api(client, slug="launchers", org="space")
    created = await _product(client, team["slug"])
    assert created["stage"] == "IDEA"
    assert created["version"] == 1
    assert created["team"] == {"slug": "launchers"}

    data = await gql_data(
        client,
        "query($slug: String!) { product(slug: $slug) { slug name team { slug org } } }",
        slug="rocket",
    )
    assert data["product"] == {
        "slug": "rocket",
        "name": "Rocket",
        "team": {"slug": "launchers", "org": "space"},
    }
    rest = (await client.get(f"{API}/products/rocket")).json()
    assert rest["id"] == created["id"]


async def test_stage_moves_one_step_and_history_keeps_every_change(client: Client) -> None:
    team = await create_team_via_api(client)
    await _product(client, team["slug"])

    moved = await gql_data(
        client,
        UPDATE,
        input={"slug": "rocket", "stage": "PRFAQ_REVIEW", "targetLaunchDate": "2027-03-01"},
    )
    assert moved["updateProduct"]["stage"] == "PRFAQ_REVIEW"
    await gql_data(client, UPDATE, input={"slug": "rocket", "targetLaunchDate": "2027-06-01"})

    history = await gql_data(
        client,
        '{ product(slug: "rocket") { changes(field: TARGET_LAUNCH_DATE) { oldValue newValue } } }',
    )
    assert history["product"]["changes"] == [
        {"oldValue": None, "newValue": "2027-03-01"},
        {"oldValue": "2027-03-01", "newValue": "2027-06-01"},
    ]


async def test_illegal_stage_change_is_a_conflict_and_changes_nothing(client: Client) -> None:
    team = await create_team_via_api(client)
    await _product(client, team["slug"])

    error = await gql_error(
        client, UPDATE, "CONFLICT", input={"slug": "rocket", "stage": "LAUNCHED", "name": "X"}
    )
    assert error_fields(error) == ["stage"]
    assert "prfaq_review" in error["message"]
    product = (await client.get(f"{API}/products/rocket")).json()
    assert (product["stage"], product["name"], product["version"]) == ("idea", "Rocket", 1)


async def test_unknown_team_is_bad_input_and_creates_nothing(client: Client) -> None:
    error = await gql_error(
        client,
        CREATE,
        "BAD_USER_INPUT",
        input={
            "slug": "orphan",
            "name": "Orphan",
            "team": "nobody",
            "dataClassification": "PUBLIC",
        },
    )
    assert error_fields(error) == ["team"]
    assert (await client.get(f"{API}/products/orphan")).status_code == 404


async def test_invalid_fields_are_named_in_camel_case(client: Client) -> None:
    team = await create_team_via_api(client)
    error = await gql_error(
        client,
        CREATE,
        "BAD_USER_INPUT",
        input={
            "slug": "Not A Slug",
            "name": "",
            "summary": "two\nlines",
            "team": team["slug"],
            "dataClassification": "PUBLIC",
        },
    )
    assert set(error_fields(error)) == {"slug", "name", "summary"}
    assert (await client.get(f"{API}/products")).json()["items"] == []


async def test_stale_expected_version_is_a_conflict(client: Client) -> None:
    team = await create_team_via_api(client)
    await _product(client, team["slug"])
    await gql_data(
        client, UPDATE, input={"slug": "rocket", "name": "Rocket 2", "expectedVersion": 1}
    )

    await gql_error(
        client, UPDATE, "CONFLICT", input={"slug": "rocket", "name": "Lost", "expectedVersion": 1}
    )
    assert (await client.get(f"{API}/products/rocket")).json()["name"] == "Rocket 2"


async def test_failed_mutation_leaves_nothing_while_its_neighbour_stays(client: Client) -> None:
    team = await create_team_via_api(client)
    await _product(client, team["slug"], slug="kept")
    body = await gql(
        client,
        """
        mutation($team: String!) {
          ok: createProduct(input: {slug: "fresh", name: "F", team: $team,
                                    dataClassification: PUBLIC}) { slug }
          bad: createProduct(input: {slug: "kept", name: "Dup", team: $team,
                                     dataClassification: PUBLIC}) { slug }
          archive: archiveTeam(input: {slug: $team}) { slug }
        }
        """,
        team=team["slug"],
    )
    codes = {error["path"][0]: error["extensions"]["code"] for error in body["errors"]}
    assert codes == {"bad": "CONFLICT", "archive": "CONFLICT"}
    assert body["data"]["ok"] == {"slug": "fresh"}
    slugs = [item["slug"] for item in (await client.get(f"{API}/products")).json()["items"]]
    assert sorted(slugs) == ["fresh", "kept"]
    assert (await client.get(f"{API}/teams/{team['slug']}")).json()["archived_at"] is None
    assert (await client.get(f"{API}/products/kept")).json()["name"] == "Rocket"


async def test_archive_product_hides_it_from_lists(client: Client) -> None:
    team = await create_team_via_api(client)
    await _product(client, team["slug"])
    await gql_data(client, 'mutation { archiveProduct(input: {slug: "rocket"}) { archivedAt } }')

    listed = await gql_data(client, "{ products { totalCount } }")
    assert listed["products"]["totalCount"] == 0
    everything = await gql_data(
        client, "{ products(filter: {includeArchived: true}) { edges { node { slug } } } }"
    )
    assert everything["products"]["edges"] == [{"node": {"slug": "rocket"}}]


async def test_connection_pages_filters_and_counts(client: Client) -> None:
    first_team = await create_team_via_api(client, org="payments")
    second_team = await create_team_via_api(client, org="growth")
    for number in range(5):
        await _product(client, first_team["slug"], slug=f"pay-{number}")
    await _product(client, second_team["slug"], slug="grow-0")

    query = """
    query($after: String, $filter: ProductsFilterInput) {
      products(first: 2, after: $after, filter: $filter) {
        totalCount
        edges { cursor node { slug } }
        pageInfo { hasNextPage endCursor }
      }
    }
    """
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = (await gql_data(client, query, after=after, filter={"org": "PAYMENTS"}))["products"]
        assert page["totalCount"] == 5
        seen.extend(edge["node"]["slug"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"pay-{number}" for number in range(5)]

    searched = await gql_data(
        client, '{ products(filter: {q: "GROW", stage: IDEA}) { edges { node { slug } } } }'
    )
    assert searched["products"]["edges"] == [{"node": {"slug": "grow-0"}}]


async def test_bad_cursor_and_page_size_are_bad_input(client: Client) -> None:
    error = await gql_error(client, '{ products(after: "nope") { totalCount } }', "BAD_USER_INPUT")
    assert error_fields(error) == ["cursor"]
    error = await gql_error(client, "{ products(first: 0) { totalCount } }", "BAD_USER_INPUT")
    assert error_fields(error) == ["first"]


async def _seed_portfolio(app: Litestar, products: int) -> None:
    """`products` products over teams of three members each, written through the services."""
    principal = Principal(name="seed", role=Role.ADMIN)
    async with seeding(app) as session:
        teams = max(1, products // 4)
        for team_number in range(teams):
            team = await create_team(
                session,
                data=TeamCreate(slug=f"seed-{products}-{team_number}", name="T", org="seed"),
                principal=principal,
            )
            for member in range(3):
                person = await create_person(
                    session,
                    data=PersonCreate(
                        email=f"p{products}-{team_number}-{member}@example.com",
                        name=f"Person {member}",
                        job_family="engineering",
                        home_org="seed",
                    ),
                    principal=principal,
                )
                await add_member(
                    session,
                    team.slug,
                    data=MembershipCreate(person_id=person.id, role=TeamRole.ENGINEER),
                    principal=principal,
                )
        for number in range(products):
            await create_product(
                session,
                data=ProductCreate(
                    slug=f"seed-{products}-p{number}",
                    name=f"Product {number}",
                    team=f"seed-{products}-{number % teams}",
                    data_classification=DataClassification.INTERNAL,
                ),
                principal=principal,
            )
        await session.commit()


DEEP_QUERY = """
query($first: Int!) {
  products(first: $first) {
    edges { node { slug changes { field } team { slug products { slug }
      members { role person { name teams { role team { slug } } } } } } }
  }
}
"""


async def test_statement_count_does_not_grow_with_products(app: Litestar, client: Client) -> None:
    await _seed_portfolio(app, 10)
    with count_statements(app_engine(app)) as small:
        data = await gql_data(client, DEEP_QUERY, first=10)
    assert len(data["products"]["edges"]) == 10

    await _seed_portfolio(app, 200)
    with count_statements(app_engine(app)) as large:
        data = await gql_data(client, DEEP_QUERY, first=200)
    edges = data["products"]["edges"]
    assert len(edges) == 200
    assert all(len(edge["node"]["team"]["members"]) == 3 for edge in edges)
    assert small.count == large.count, (small.statements, large.statements)
