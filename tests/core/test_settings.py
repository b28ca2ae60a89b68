"""Input rules pinned after review: unconditional write collisions, archived people, membership
conflicts, strict body types, settings validation and Unicode-aware search."""

import asyncio
import os
import subprocess
import sys
from datetime import date, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from api.cli import main
from api.core.config import Settings, get_settings
from tests.factories import add_member, create_person, create_product, create_team
from tests.graphql import gql_error
from tests.helpers import API, Client, assert_problem, list_all

PRODUCTS = f"{API}/products"
TODAY = date.today


# Unconditional writes that collide -----------------------------------------------------------


async def test_concurrent_unconditional_patches_are_200_or_409_never_412(
    client: Client, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip(
            "SQLite serialises every writer behind one lock, so two writes never collide; "
            "run with PIZZABOX_TEST_DATABASE_URL=postgresql+asyncpg://… to test the race"
        )
    product = await create_product(client, name="Original")
    path = f"{PRODUCTS}/{product['slug']}"
    version = product["version"]
    for round_number in range(6):
        names = [f"Writer A{round_number}", f"Writer B{round_number}"]
        # No If-Match: neither writer asked for a precondition, so none can fail.
        responses = await asyncio.gather(*(client.patch(path, json={"name": n}) for n in names))
        statuses = [response.status_code for response in responses]
        assert all(status in (200, 409) for status in statuses), [r.text for r in responses]
        assert 200 in statuses, [r.text for r in responses]
        for response in responses:
            if response.status_code == 409:
                problem = assert_problem(response, 409)
                assert "changed by someone else" in problem["detail"], problem
        winners = [r.json() for r in responses if r.status_code == 200]
        version += len(winners)
        final = (await client.get(path)).json()
        assert final["version"] == version
        assert final["name"] in {winner["name"] for winner in winners}
        assert max(winner["version"] for winner in winners) == version


async def test_sequential_unconditional_patches_both_succeed(client: Client) -> None:
    product = await create_product(client, name="Original")
    path = f"{PRODUCTS}/{product['slug']}"
    first = await client.patch(path, json={"name": "First"})
    second = await client.patch(path, json={"name": "Second"})
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    final = (await client.get(path)).json()
    assert final["name"] == "Second"
    assert final["version"] == product["version"] + 2


# Archived people cannot change ----------------------------------------------------------------


async def test_an_archived_person_cannot_be_changed(client: Client) -> None:
    person = await create_person(client, name="Archie Ved")
    path = f"{API}/people/{person['id']}"
    assert (await client.delete(path)).status_code == 204
    archived = await client.get(path)
    assert archived.status_code == 200, archived.text
    before = archived.json()
    assert before["archived_at"] is not None

    assert_problem(await client.patch(path, json={"name": "Back Again"}), 409)
    # A current If-Match does not make it acceptable, and is not reported as stale.
    conditional = await client.patch(
        path, json={"name": "Back Again"}, headers={"If-Match": archived.headers["etag"]}
    )
    assert_problem(conditional, 409)

    error = await gql_error(
        client,
        'mutation($id: UUID!) { updatePerson(input: {id: $id, name: "Back Again"}) { name } }',
        "CONFLICT",
        id=person["id"],
    )
    assert "archived" in error["message"], error
    after = (await client.get(path)).json()
    assert after == before


# Membership conflicts name the existing stint -------------------------------------------------


async def test_a_membership_conflict_names_the_existing_stint_start(client: Client) -> None:
    team = await create_team(client)
    person = await create_person(client)
    started = TODAY() - timedelta(days=30)
    await add_member(client, team["slug"], person["id"], start_date=started.isoformat())

    again = await client.post(
        f"{API}/teams/{team['slug']}/members", json={"person_id": person["id"], "role": "engineer"}
    )
    problem = assert_problem(again, 409, field="person_id")
    assert started.isoformat() in problem["detail"], problem
    # The stint the caller asked for (today) is not what the message reports.
    assert TODAY().isoformat() not in problem["detail"], problem
    members = await list_all(client, f"{API}/teams/{team['slug']}/members")
    assert len(members) == 1


# Strict body types ----------------------------------------------------------------------------


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


@pytest.mark.parametrize("value", [0, 1767225600, "2027-01-15T00:00:00Z"])
async def test_a_launch_date_must_be_a_date(client: Client, value: Any) -> None:
    product = await create_product(client)
    path = f"{PRODUCTS}/{product['slug']}"
    refused = await client.patch(path, json={"target_launch_date": value})
    assert_problem(refused, 422, field="target_launch_date")
    assert (await client.get(path)).json() == product
    team = await create_team(client)
    body = {
        "slug": "dated",
        "name": "Dated",
        "team": team["slug"],
        "data_classification": "internal",
        "target_launch_date": value,
    }
    assert_problem(await client.post(PRODUCTS, json=body), 422, field="target_launch_date")
    assert (await client.get(f"{PRODUCTS}/dated")).status_code == 404


# 3.0 is an integer to JSON Schema, and so to the API; 3.5 is not.
@pytest.mark.parametrize("minimum", ["3", 3.5, True])
async def test_guideline_numbers_must_be_json_integers(client: Client, minimum: Any) -> None:
    path = f"{API}/guidelines/team-size"
    before = (await client.get(path)).json()
    body = {"minimum": minimum, "recommended_min": 5, "recommended_max": 8, "acceptable_max": 10}
    assert_problem(await client.put(path, json=body), 422, field="minimum")
    assert (await client.get(path)).json() == before
    ok = await client.put(path, json={**body, "minimum": 3})
    assert ok.status_code == 200, ok.text


async def test_a_size_exception_maximum_must_be_a_json_integer(client: Client) -> None:
    team = await create_team(client)
    path = f"{API}/teams/{team['slug']}/size-exception"
    body = {"max_size": "14", "justification": "A migration needs extra hands for a quarter"}
    assert_problem(await client.put(path, json=body), 422, field="max_size")
    assert_problem(await client.get(path), 404)


# Settings are validated -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("log_level", "LOUD", id="unknown log level"),
        pytest.param("database_url", "postgresql://x/y", id="synchronous driver"),
        pytest.param("database_url", "sqlite:///./pizzabox.db", id="synchronous sqlite"),
    ],
)
def test_bad_settings_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(**{field: value})  # type: ignore[arg-type]
    assert [error["loc"] for error in raised.value.errors()] == [(field,)]


def test_good_settings_are_accepted() -> None:
    settings = Settings(log_level="warning", database_url="postgresql+asyncpg://x/y")
    assert settings.log_level == "WARNING"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        pytest.param("PIZZABOX_LOG_LEVEL", "LOUD", id="log level"),
        pytest.param("PIZZABOX_DATABASE_URL", "postgresql://x/y", id="database url"),
    ],
)
def test_the_cli_names_a_bad_setting_without_a_traceback(variable: str, value: str) -> None:
    # get_settings() caches the environment it first read; this test needs it read afresh.
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["db", "current"], env={variable: value})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert variable in lines[0], result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["serve", "--port", "1"],
        ["db", "upgrade"],
        ["export-schema", "--check"],
        ["token", "create", "--name", "x", "--role", "admin"],
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_every_command_names_a_bad_setting_in_one_line(command: list[str]) -> None:
    # A fresh process, as a user runs it: nothing may read the environment while importing.
    result = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", *command],
        env={**os.environ, "PIZZABOX_LOG_LEVEL": "LOUD"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "PIZZABOX_LOG_LEVEL" in lines[0]


# Case-insensitive search beyond ASCII ---------------------------------------------------------


async def test_people_search_folds_non_ascii_case(client: Client) -> None:
    zoe = await create_person(client, name="Zoë Ångström", email="zoe@example.com")
    await create_person(client, name="Zoe Angstrom", email="plain@example.com")
    for query in ("ZOË", "ångström", "ÅNGSTRÖM", "zoë ång"):
        found = await list_all(client, f"{API}/people", q=query)
        assert [person["id"] for person in found] == [zoe["id"]], query


async def test_org_filters_fold_non_ascii_case(client: Client) -> None:
    person = await create_person(client, home_org="Ökonomie")
    await create_person(client, home_org="Okonomie")
    team = await create_team(client, org="Ökonomie")
    await create_team(client, org="Okonomie")
    product = await create_product(client, team=team["slug"])
    for org in ("ÖKONOMIE", "ökonomie", "Ökonomie"):
        people = await list_all(client, f"{API}/people", org=org)
        assert [p["id"] for p in people] == [person["id"]], org
        teams = await list_all(client, f"{API}/teams", org=org)
        assert [t["slug"] for t in teams] == [team["slug"]], org
        products = await list_all(client, PRODUCTS, org=org)
        assert [p["slug"] for p in products] == [product["slug"]], org


async def test_team_and_product_search_fold_non_ascii_case(client: Client) -> None:
    team = await create_team(client, name="Équipe Über", mission="Straße bauen")
    product = await create_product(client, team=team["slug"], name="Ölpreis Rechner")
    assert [t["slug"] for t in await list_all(client, f"{API}/teams", q="éQUIPE")] == [team["slug"]]
    assert [t["slug"] for t in await list_all(client, f"{API}/teams", q="ÜBER")] == [team["slug"]]
    assert [p["slug"] for p in await list_all(client, PRODUCTS, q="ÖLPREIS")] == [product["slug"]]
