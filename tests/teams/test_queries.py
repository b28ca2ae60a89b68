"""Team lists and rosters run the same SQL statements for 10 rows as for 200."""

import uuid

from litestar import Litestar

from tests.factories import create_team, seed_members, seed_people, seed_teams
from tests.helpers import API, Client, app_engine, list_statements


async def test_team_list_statements_do_not_grow_with_rows(app: Litestar, client: Client) -> None:
    engine = app_engine(app)
    await seed_teams(app, 10)
    few = await list_statements(client, engine, f"{API}/teams", expect_items=10)
    await seed_teams(app, 190)
    many = await list_statements(client, engine, f"{API}/teams", expect_items=200)
    assert few == many
    assert few <= 3


async def test_roster_statements_do_not_grow_with_members(app: Litestar, client: Client) -> None:
    engine = app_engine(app)
    team = await create_team(client)
    path = f"{API}/teams/{team['slug']}/members"
    team_id = uuid.UUID(team["id"])

    await seed_members(app, team_id, await seed_people(app, 10))
    few = await list_statements(client, engine, path, expect_items=10)
    history = await list_statements(client, engine, path, expect_items=10, include_ended="true")
    await seed_members(app, team_id, await seed_people(app, 190))
    many = await list_statements(client, engine, path, expect_items=200)
    assert few == many
    assert history == await list_statements(
        client, engine, path, expect_items=200, include_ended="true"
    )
    assert few == await list_statements(client, engine, path, expect_items=200, at="2025-01-01")
    assert few <= 4
