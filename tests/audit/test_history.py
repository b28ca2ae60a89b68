"""A team's and a product's history: their events, over REST and GraphQL, kept after an archive,
at a cost that does not grow with the teams listed."""

from litestar import Litestar

from tests.audit.events import all_events, build_portfolio, ids
from tests.factories import create_team
from tests.graphql import gql_data
from tests.helpers import API, Client, app_engine, assert_problem, count_statements, list_all

HISTORIES = """
query($team: String!, $product: String!, $first: Int, $after: String) {
  team(slug: $team) {
    history(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id action recordType } }
    }
  }
  product(slug: $product) {
    history { totalCount edges { node { id action recordType changes } } }
  }
}
"""


async def test_team_and_product_history(app: Litestar, client: Client) -> None:
    portfolio = await build_portfolio(app, client)
    response = await client.delete(f"{API}/teams/atlas/members/{portfolio.member['id']}")
    assert response.status_code == 204

    team_history = await list_all(client, f"{API}/teams/atlas/history", limit=2)
    assert [(event["record_type"], event["action"]) for event in team_history] == [
        ("team", "create"),
        ("membership", "create"),
        ("membership", "update"),
        ("membership", "end"),
    ]
    assert ids(team_history) == ids(await all_events(client, record_id=portfolio.team["id"]))
    product_history = await list_all(client, f"{API}/products/globe/history")
    assert [event["action"] for event in product_history] == ["create", "update"]
    assert product_history[1]["changes"] == {
        "summary": {"old": "Does one thing well", "new": "Round"}
    }
    assert product_history[1]["actor"] == portfolio.who.actor
    assert_problem(await client.get(f"{API}/teams/nowhere/history"), 404)
    assert_problem(await client.get(f"{API}/products/nowhere/history"), 404)

    data = await gql_data(client, HISTORIES, team="atlas", product="globe", first=3)
    history = data["team"]["history"]
    assert history["totalCount"] == 4
    assert history["pageInfo"]["hasNextPage"] is True
    rest_of = await gql_data(
        client,
        HISTORIES,
        team="atlas",
        product="globe",
        first=3,
        after=history["pageInfo"]["endCursor"],
    )
    nodes = [edge["node"] for edge in history["edges"]] + [
        edge["node"] for edge in rest_of["team"]["history"]["edges"]
    ]
    assert [node["id"] for node in nodes] == ids(team_history)
    product = data["product"]["history"]
    assert [edge["node"]["id"] for edge in product["edges"]] == ids(product_history)
    assert product["totalCount"] == 2

    # An archived record keeps its history, and the archive is part of it.
    assert (await client.delete(f"{API}/products/globe")).status_code == 204
    archived = await list_all(client, f"{API}/products/globe/history")
    assert [event["action"] for event in archived] == ["create", "update", "archive"]


async def test_history_of_many_teams_costs_the_same_as_of_a_few(
    app: Litestar, client: Client
) -> None:
    query = (
        "{ teams(first: 50) { edges { node { slug history(first: 5) { totalCount edges "
        "{ node { action } } } } } } }"
    )
    engine = app_engine(app)

    async def statements(teams: int) -> int:
        for _ in range(teams):
            await create_team(client)
        await gql_data(client, query)
        with count_statements(engine) as counter:
            data = await gql_data(client, query)
        assert all(edge["node"]["history"]["totalCount"] == 1 for edge in data["teams"]["edges"])
        return counter.count

    few = await statements(2)
    many = await statements(18)
    assert many == few, f"{few} statements for 2 teams, {many} for 20"
