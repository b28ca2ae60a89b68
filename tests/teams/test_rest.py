"""Teams over REST: create, read, change, archive, list filters and pagination, bad input."""

from tests.factories import add_member, create_person, create_product, create_team
from tests.helpers import API, Client, assert_problem, list_all

TEAMS = f"{API}/teams"


async def _slugs(client: Client, **params: object) -> set[str]:
    return {team["slug"] for team in await list_all(client, TEAMS, **params)}


async def test_create_returns_the_record_with_location(client: Client) -> None:
    body = {"slug": "payments", "name": "Payments", "mission": "Move money", "org": "commerce"}
    response = await client.post(TEAMS, json=body)
    assert response.status_code == 201, response.text
    team = response.json()
    assert {k: team[k] for k in body} == body
    assert team["version"] == 1
    assert team["archived_at"] is None
    assert {"id", "created_at", "updated_at"} <= set(team)
    assert response.headers["location"] == f"{TEAMS}/payments"
    fetched = await client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == team
    assert fetched.headers["etag"]


async def test_mission_is_optional(client: Client) -> None:
    response = await client.post(TEAMS, json={"slug": "quiet", "name": "Quiet", "org": "x"})
    assert response.status_code == 201, response.text
    assert response.json()["mission"] == ""


async def test_patch_bumps_the_version_and_keeps_the_slug(client: Client) -> None:
    team = await create_team(client, name="Old name")
    response = await client.patch(f"{TEAMS}/{team['slug']}", json={"name": "New name"})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["name"] == "New name"
    assert changed["mission"] == team["mission"]
    assert changed["version"] == team["version"] + 1
    assert (await client.get(f"{TEAMS}/{team['slug']}")).json() == changed


async def test_slug_cannot_be_changed(client: Client) -> None:
    team = await create_team(client)
    response = await client.patch(f"{TEAMS}/{team['slug']}", json={"slug": "elsewhere"})
    assert_problem(response, 422, field="slug")
    assert (await client.get(f"{TEAMS}/{team['slug']}")).json() == team
    assert_problem(await client.get(f"{TEAMS}/elsewhere"), 404)


async def test_a_stale_if_match_on_a_team_is_412_and_changes_nothing(client: Client) -> None:
    team = await create_team(client, name="First")
    path = f"{TEAMS}/{team['slug']}"
    stale = (await client.get(path)).headers["etag"]
    await client.patch(path, json={"name": "Second"})
    response = await client.patch(path, json={"name": "Third"}, headers={"If-Match": stale})
    assert_problem(response, 412)
    assert (await client.get(path)).json()["name"] == "Second"
    assert_problem(await client.delete(path, headers={"If-Match": stale}), 412)
    assert (await client.get(path)).json()["archived_at"] is None


async def test_archive_hides_from_list_and_keeps_the_record(client: Client) -> None:
    kept = await create_team(client)
    gone = await create_team(client)
    assert (await client.delete(f"{TEAMS}/{gone['slug']}")).status_code == 204
    assert await _slugs(client) == {kept["slug"]}
    assert await _slugs(client, include_archived="true") == {kept["slug"], gone["slug"]}
    fetched = await client.get(f"{TEAMS}/{gone['slug']}")
    assert fetched.status_code == 200
    assert fetched.json()["archived_at"] is not None


async def test_archived_team_cannot_change(client: Client) -> None:
    team = await create_team(client)
    await client.delete(f"{TEAMS}/{team['slug']}")
    response = await client.patch(f"{TEAMS}/{team['slug']}", json={"name": "Zombie"})
    assert_problem(response, 409)
    assert (await client.get(f"{TEAMS}/{team['slug']}")).json()["name"] == team["name"]


async def test_team_that_owns_live_products_cannot_be_archived(client: Client) -> None:
    team = await create_team(client)
    await create_product(client, team=team["slug"])
    assert_problem(await client.delete(f"{TEAMS}/{team['slug']}"), 409)
    assert await _slugs(client) == {team["slug"]}


async def test_archiving_a_team_ends_its_memberships(client: Client) -> None:
    team = await create_team(client)
    person = await create_person(client)
    await add_member(client, team["slug"], person["id"])
    assert (await client.delete(f"{TEAMS}/{team['slug']}")).status_code == 204
    current = await list_all(client, f"{TEAMS}/{team['slug']}/members")
    assert current == []
    history = await list_all(client, f"{TEAMS}/{team['slug']}/members", include_ended="true")
    assert [m["person_id"] for m in history] == [person["id"]]
    assert history[0]["end_date"] is not None


async def test_list_filters_by_org_and_text(client: Client) -> None:
    search = await create_team(
        client, slug="search", name="Search", mission="Find things", org="Discovery"
    )
    ads = await create_team(client, slug="ads", name="Ads", mission="Sell space", org="revenue")
    feeds = await create_team(
        client, slug="feeds", name="Feeds", mission="Rank posts", org="discovery"
    )
    assert await _slugs(client, org="DISCOVERY") == {search["slug"], feeds["slug"]}
    assert await _slugs(client, org="revenue") == {ads["slug"]}
    assert await _slugs(client, q="find") == {search["slug"]}
    assert await _slugs(client, q="ADS") == {ads["slug"]}
    assert await _slugs(client, q="rank", org="discovery") == {feeds["slug"]}
    assert await _slugs(client, q="_") == set()


async def test_pagination_walks_every_team_once(client: Client) -> None:
    created = [(await create_team(client))["slug"] for _ in range(5)]
    seen = [team["slug"] for team in await list_all(client, TEAMS, limit="2")]
    assert seen == created
    first = (await client.get(TEAMS, params={"limit": "2"})).json()
    assert len(first["items"]) == 2
    last = (await client.get(TEAMS, params={"limit": "5"})).json()
    assert last["next_cursor"] is None


async def test_missing_and_malformed_team_fields_are_422(client: Client) -> None:
    good = {"slug": "good-slug", "name": "Good", "org": "x"}
    no_slug = {"name": "No slug", "org": "x"}
    assert_problem(await client.post(TEAMS, json=no_slug), 422, field="slug")
    for value in ["Bad Slug", "UPPER", "-leading", "a", "x" * 64, "under_score"]:
        assert_problem(await client.post(TEAMS, json={**good, "slug": value}), 422, field="slug")
    assert_problem(await client.post(TEAMS, json={**good, "org": ""}), 422, field="org")
    assert_problem(await client.post(TEAMS, json={**good, "colour": "red"}), 422, field="colour")
    assert await list_all(client, TEAMS, include_archived="true") == []


async def test_a_duplicate_team_slug_is_409(client: Client) -> None:
    team = await create_team(client, name="Original")
    body = {"slug": team["slug"], "name": "Copy", "org": "x"}
    assert_problem(await client.post(TEAMS, json=body), 409, field="slug")
    teams = await list_all(client, TEAMS, include_archived="true")
    assert [t["name"] for t in teams] == ["Original"]


async def test_duplicate_slug_of_an_archived_team_is_409(client: Client) -> None:
    team = await create_team(client)
    await client.delete(f"{TEAMS}/{team['slug']}")
    body = {"slug": team["slug"], "name": "Copy", "org": "x"}
    assert_problem(await client.post(TEAMS, json=body), 409, field="slug")


async def test_unknown_team_is_404(client: Client) -> None:
    assert_problem(await client.get(f"{TEAMS}/no-such-team"), 404)
    assert_problem(await client.patch(f"{TEAMS}/no-such-team", json={"name": "x"}), 404)
    assert_problem(await client.delete(f"{TEAMS}/no-such-team"), 404)
    assert_problem(await client.get(f"{TEAMS}/no-such-team/members"), 404)
