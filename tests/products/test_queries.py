"""Product lists and histories run the same SQL statements for 10 rows as for 200."""

import uuid

from litestar import Litestar

from tests.factories import (
    create_product,
    seed_changes,
    seed_members,
    seed_people,
    seed_products,
    seed_teams,
)
from tests.graphql import gql_data
from tests.helpers import API, Client, app_engine, count_statements, list_statements


async def _seed_across_teams(app: Litestar, teams: list[uuid.UUID], count: int) -> None:
    # Spread over several teams, so a per-row lookup of the owning team would show.
    for index, team_id in enumerate(teams):
        share = count // len(teams) + (1 if index < count % len(teams) else 0)
        await seed_products(app, team_id, share)


async def test_product_list_statements_do_not_grow_with_rows(app: Litestar, client: Client) -> None:
    engine = app_engine(app)
    teams = await seed_teams(app, 5)
    await _seed_across_teams(app, teams, 10)
    few = await list_statements(client, engine, f"{API}/products", expect_items=10)
    await _seed_across_teams(app, teams, 190)
    many = await list_statements(client, engine, f"{API}/products", expect_items=200)
    assert few == many
    filtered = await list_statements(
        client, engine, f"{API}/products", expect_items=200, org="platform", stage="idea"
    )
    assert filtered == few
    assert few <= 3


async def test_change_history_statements_do_not_grow_with_rows(
    app: Litestar, client: Client
) -> None:
    engine = app_engine(app)
    product = await create_product(client)
    path = f"{API}/products/{product['slug']}/changes"
    product_id = uuid.UUID(product["id"])
    await seed_changes(app, product_id, 9)  # plus the change that created it at `idea`
    few = await list_statements(client, engine, path, expect_items=10)
    await seed_changes(app, product_id, 190)
    many = await list_statements(client, engine, path, expect_items=200)
    assert few == many
    assert few <= 4


PORTFOLIO = """
query Portfolio($first: Int!) {
  products(first: $first) {
    edges { node { slug team { slug members { role person { email } } } } }
  }
}
"""


async def _portfolio_statements(app: Litestar, client: Client, first: int) -> int:
    await gql_data(client, PORTFOLIO, first=first)  # warm connections and caches
    with count_statements(app_engine(app)) as counter:
        data = await gql_data(client, PORTFOLIO, first=first)
    edges = data["products"]["edges"]
    assert len(edges) == first
    assert all(len(edge["node"]["team"]["members"]) == 3 for edge in edges)
    return counter.count


async def test_graphql_product_page_statements_do_not_grow_with_rows(
    app: Litestar, client: Client
) -> None:
    teams = await seed_teams(app, 5)
    people = await seed_people(app, 3 * len(teams))
    for index, team_id in enumerate(teams):
        await seed_members(app, team_id, people[3 * index : 3 * index + 3])
    await _seed_across_teams(app, teams, 10)
    few = await _portfolio_statements(app, client, 10)
    await _seed_across_teams(app, teams, 190)
    many = await _portfolio_statements(app, client, 200)
    assert few == many
    # The page of products (their teams joined) and the teams' rosters (their people joined).
    assert few <= 2
