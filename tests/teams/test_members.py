"""Rosters over REST: adding and ending memberships, and who was on a team on a given day."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.factories import add_member, create_person, create_team
from tests.helpers import API, Client, assert_problem, list_all

TEAMS = f"{API}/teams"


def _members(team: str) -> str:
    return f"{TEAMS}/{team}/members"


async def _roster(client: Client, team: str, **params: object) -> set[str]:
    return {m["person_id"] for m in await list_all(client, _members(team), **params)}


async def test_add_member_returns_the_membership(client: Client) -> None:
    team = await create_team(client)
    person = await create_person(client)
    response = await client.post(
        _members(team["slug"]),
        json={"person_id": person["id"], "role": "lead", "allocation_percent": 50},
    )
    assert response.status_code == 201, response.text
    membership = response.json()
    assert membership["team"] == team["slug"]
    assert membership["person_id"] == person["id"]
    assert membership["person"]["email"] == person["email"]
    assert membership["role"] == "lead"
    assert membership["allocation_percent"] == 50
    assert membership["start_date"] == datetime.now(UTC).date().isoformat()
    assert membership["end_date"] is None
    assert membership["version"] == 1
    assert {"id", "created_at", "updated_at"} <= set(membership)
    assert response.headers["location"] == f"{_members(team['slug'])}/{person['id']}"
    fetched = await client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json()["id"] == membership["id"]
    assert fetched.headers["etag"]


async def test_allocation_defaults_to_100(client: Client) -> None:
    team = await create_team(client)
    person = await create_person(client)
    membership = await add_member(client, team["slug"], person["id"])
    assert membership["allocation_percent"] == 100


async def test_list_shows_current_members(client: Client) -> None:
    team = await create_team(client)
    people = [await create_person(client) for _ in range(3)]
    for person in people:
        await add_member(client, team["slug"], person["id"])
    assert await _roster(client, team["slug"]) == {p["id"] for p in people}
    other = await create_team(client)
    assert await _roster(client, other["slug"]) == set()


async def test_end_membership_removes_from_current_roster_and_keeps_history(
    client: Client,
) -> None:
    team = await create_team(client)
    staying, leaving = await create_person(client), await create_person(client)
    await add_member(client, team["slug"], staying["id"])
    await add_member(client, team["slug"], leaving["id"])

    response = await client.delete(f"{_members(team['slug'])}/{leaving['id']}")
    assert response.status_code == 204
    assert await _roster(client, team["slug"]) == {staying["id"]}
    history = await list_all(client, _members(team["slug"]), include_ended="true")
    assert {m["person_id"] for m in history} == {staying["id"], leaving["id"]}
    ended = next(m for m in history if m["person_id"] == leaving["id"])
    assert ended["end_date"] is not None
    assert_problem(await client.get(f"{_members(team['slug'])}/{leaving['id']}"), 404)
    assert_problem(await client.delete(f"{_members(team['slug'])}/{leaving['id']}"), 404)


async def test_roster_on_a_past_date(client: Client) -> None:
    team = await create_team(client)
    veteran, leaver, newcomer = [await create_person(client) for _ in range(3)]
    await add_member(client, team["slug"], veteran["id"], start_date="2024-01-01")
    await add_member(client, team["slug"], leaver["id"], start_date="2024-03-01")
    recent = (datetime.now(UTC).date() - timedelta(days=10)).isoformat()
    await add_member(client, team["slug"], newcomer["id"], start_date=recent)
    assert (await client.delete(f"{_members(team['slug'])}/{leaver['id']}")).status_code == 204

    assert await _roster(client, team["slug"], at="2023-12-31") == set()
    assert await _roster(client, team["slug"], at="2024-02-01") == {veteran["id"]}
    assert await _roster(client, team["slug"], at="2024-06-01") == {veteran["id"], leaver["id"]}
    assert await _roster(client, team["slug"]) == {veteran["id"], newcomer["id"]}
    everyone = await _roster(client, team["slug"], include_ended="true")
    assert everyone == {veteran["id"], leaver["id"], newcomer["id"]}


async def test_roster_at_a_future_date_is_refused(client: Client) -> None:
    team = await create_team(client)
    future = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    assert_problem(await client.get(_members(team["slug"]), params={"at": future}), 422, field="at")
    assert_problem(
        await client.get(_members(team["slug"]), params={"at": "last tuesday"}), (400, 422)
    )


async def test_a_person_may_be_on_several_teams(client: Client) -> None:
    first, second = await create_team(client), await create_team(client)
    person = await create_person(client)
    await add_member(client, first["slug"], person["id"], allocation_percent=60)
    await add_member(client, second["slug"], person["id"], allocation_percent=40)
    assert await _roster(client, first["slug"]) == {person["id"]}
    assert await _roster(client, second["slug"]) == {person["id"]}


async def test_adding_a_current_member_again_is_409(client: Client) -> None:
    team = await create_team(client)
    person = await create_person(client)
    await add_member(client, team["slug"], person["id"])
    response = await client.post(
        _members(team["slug"]), json={"person_id": person["id"], "role": "designer"}
    )
    assert_problem(response, 409, field="person_id")
    history = await list_all(client, _members(team["slug"]), include_ended="true")
    assert [m["role"] for m in history] == ["engineer"]


async def test_rejoining_after_leaving_is_a_new_stint(client: Client) -> None:
    team = await create_team(client)
    person = await create_person(client)
    await add_member(client, team["slug"], person["id"], start_date="2024-01-01")
    await client.delete(f"{_members(team['slug'])}/{person['id']}")
    again = await add_member(client, team["slug"], person["id"], role="lead")
    assert again["role"] == "lead"
    history = await list_all(client, _members(team["slug"]), include_ended="true")
    assert len(history) == 2
    assert await _roster(client, team["slug"]) == {person["id"]}


async def test_change_role_and_allocation(client: Client) -> None:
    team = await create_team(client)
    person = await create_person(client)
    membership = await add_member(client, team["slug"], person["id"])
    path = f"{_members(team['slug'])}/{person['id']}"
    response = await client.patch(path, json={"role": "lead", "allocation_percent": 20})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["role"], changed["allocation_percent"]) == ("lead", 20)
    assert changed["version"] == membership["version"] + 1


async def test_bad_membership_input_is_refused_and_adds_nobody(client: Client) -> None:
    team = await create_team(client)
    person = await create_person(client)
    path = _members(team["slug"])
    future = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    member = {"person_id": person["id"], "role": "engineer"}
    cases = [
        ({"role": "engineer"}, "person_id"),
        ({"person_id": "not-a-uuid", "role": "engineer"}, "person_id"),
        ({"person_id": str(uuid.uuid4()), "role": "engineer"}, "person_id"),
        ({"person_id": person["id"], "role": "wizard"}, "role"),
        ({**member, "allocation_percent": 0}, "allocation_percent"),
        ({**member, "allocation_percent": 101}, "allocation_percent"),
        ({**member, "start_date": future}, "start_date"),
        ({**member, "start_date": "soon"}, "start_date"),
        ({**member, "team": "x"}, "team"),
    ]
    for body, field in cases:
        assert_problem(await client.post(path, json=body), 422, field=field)
    assert await list_all(client, path, include_ended="true") == []


async def test_archived_person_cannot_join_and_leaves_their_teams(client: Client) -> None:
    team = await create_team(client)
    person = await create_person(client)
    await add_member(client, team["slug"], person["id"])
    assert (await client.delete(f"{API}/people/{person['id']}")).status_code == 204
    assert await _roster(client, team["slug"]) == set()
    other = await create_team(client)
    response = await client.post(
        _members(other["slug"]), json={"person_id": person["id"], "role": "engineer"}
    )
    assert_problem(response, 422, field="person_id")


async def test_archived_team_takes_no_new_members(client: Client) -> None:
    team = await create_team(client)
    await client.delete(f"{TEAMS}/{team['slug']}")
    person = await create_person(client)
    response = await client.post(
        _members(team["slug"]), json={"person_id": person["id"], "role": "engineer"}
    )
    assert_problem(response, 409)
    assert await list_all(client, _members(team["slug"]), include_ended="true") == []


async def test_roster_pagination_walks_every_member_once(client: Client) -> None:
    team = await create_team(client)
    ids = []
    for _ in range(5):
        person = await create_person(client)
        ids.append((await add_member(client, team["slug"], person["id"]))["id"])
    seen = [m["id"] for m in await list_all(client, _members(team["slug"]), limit="2")]
    assert seen == ids


async def test_stale_if_match_on_a_membership_is_412(client: Client) -> None:
    team = await create_team(client)
    person = await create_person(client)
    await add_member(client, team["slug"], person["id"])
    path = f"{_members(team['slug'])}/{person['id']}"
    stale = (await client.get(path)).headers["etag"]
    assert (await client.patch(path, json={"role": "lead"})).status_code == 200
    assert_problem(
        await client.patch(path, json={"role": "other"}, headers={"If-Match": stale}), 412
    )
    assert_problem(await client.delete(path, headers={"If-Match": stale}), 412)
    current = (await client.get(path)).json()
    assert (current["role"], current["end_date"]) == ("lead", None)


async def test_a_membership_conflict_names_the_existing_stint_start(client: Client) -> None:
    team = await create_team(client)
    person = await create_person(client)
    started = date.today() - timedelta(days=30)
    await add_member(client, team["slug"], person["id"], start_date=started.isoformat())

    again = await client.post(
        f"{API}/teams/{team['slug']}/members", json={"person_id": person["id"], "role": "engineer"}
    )
    problem = assert_problem(again, 409, field="person_id")
    assert started.isoformat() in problem["detail"], problem
    # The stint the caller asked for (today) is not what the message reports.
    assert date.today().isoformat() not in problem["detail"], problem
    members = await list_all(client, f"{API}/teams/{team['slug']}/members")
    assert len(members) == 1


@pytest.mark.parametrize(
    "allocation",
    [
        pytest.param(True, id="true"),
        pytest.param("50", id="string"),
        pytest.param(50.5, id="fraction"),
    ],
)
async def test_an_allocation_must_be_a_json_integer(client: Client, allocation: Any) -> None:
    """JSON Schema's integers only: 50.0 counts (it is one), true, "50" and 50.5 do not."""
    team = await create_team(client)
    person = await create_person(client)
    path = f"{API}/teams/{team['slug']}/members"
    body = {"person_id": person["id"], "role": "engineer", "allocation_percent": allocation}
    assert_problem(await client.post(path, json=body), 422, field="allocation_percent")
    assert await list_all(client, path) == []
    # The same rule holds when changing a membership.
    await add_member(client, team["slug"], person["id"], allocation_percent=50)
    changed = await client.patch(f"{path}/{person['id']}", json={"allocation_percent": allocation})
    assert_problem(changed, 422, field="allocation_percent")
    (member,) = await list_all(client, path)
    assert member["allocation_percent"] == 50


async def test_a_start_date_must_be_a_date_not_a_timestamp(client: Client) -> None:
    team = await create_team(client)
    person = await create_person(client)
    path = f"{API}/teams/{team['slug']}/members"
    body = {"person_id": person["id"], "role": "engineer", "start_date": "2025-01-15T00:00:00Z"}
    assert_problem(await client.post(path, json=body), 422, field="start_date")
    assert await list_all(client, path) == []
    ok = await client.post(path, json={**body, "start_date": "2025-01-15"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["start_date"] == "2025-01-15"
