"""What every list shares: bounded pages, cursors that belong to one list, one value per filter,
and case-insensitive search beyond ASCII."""

from tests.factories import create_product, create_team
from tests.helpers import API, Client, assert_problem


async def _list_paths(client: Client) -> list[str]:
    team = await create_team(client)
    product = await create_product(client, team=team["slug"])
    return [
        f"{API}/people",
        f"{API}/teams",
        f"{API}/teams/{team['slug']}/members",
        f"{API}/products",
        f"{API}/products/{product['slug']}/changes",
    ]


async def test_every_list_bounds_its_limit(client: Client) -> None:
    for path in await _list_paths(client):
        for limit in ("0", "201"):
            response = await client.get(path, params={"limit": limit})
            assert_problem(response, (400, 422), field="limit")
        assert (await client.get(path, params={"limit": "200"})).status_code == 200


async def test_every_list_refuses_a_cursor_it_did_not_issue(client: Client) -> None:
    for path in await _list_paths(client):
        response = await client.get(path, params={"cursor": "not-a-cursor"})
        assert_problem(response, 400, field="cursor")
