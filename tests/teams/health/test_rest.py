"""The team-size guideline, size exceptions and roster health through REST."""

import asyncio
import uuid
from typing import Any

import pytest
from litestar import Litestar

from api.core.access import Role
from tests.factories import add_member, create_person, create_team
from tests.helpers import API, Client, assert_problem, bearer, issue_token, list_all
from tests.teams.health.factories import (
    JUSTIFICATION,
    codes,
    days_ago,
    grant,
    health,
    insert_exception,
    moment,
    seed_staffed_teams,
    size_codes,
    staff,
)

GUIDELINE = f"{API}/guidelines/team-size"
DEFAULTS = {"minimum": 3, "recommended_min": 5, "recommended_max": 8, "acceptable_max": 10}


def numbers(guideline: dict[str, Any]) -> dict[str, int]:
    """The four numbers of a guideline answer."""
    return {name: guideline[name] for name in DEFAULTS}


async def role_token(
    app: Litestar, client: Client, role: Role, *, team: str | None = None
) -> dict[str, str]:
    """Headers for a token of `role`, acting as a new person (on `team`, if given)."""
    person = await create_person(client)
    if team is not None:
        await add_member(client, team, person["id"])
    return bearer(await issue_token(app, role, person_id=person["id"]))


async def current_guideline(client: Client) -> dict[str, Any]:
    """The guideline in force, which anyone may read."""
    response = await client.get(GUIDELINE)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# The guideline ------------------------------------------------------------------------------


async def test_guideline_defaults_until_an_admin_sets_it(app: Litestar, client: Client) -> None:
    viewer = bearer(await issue_token(app, Role.VIEWER))
    response = await client.get(GUIDELINE, headers=viewer)
    assert response.status_code == 200, response.text
    assert "etag" not in response.headers
    body = response.json()
    assert numbers(body) == DEFAULTS
    assert body["id"] is None
    assert body["version"] == 0
    assert body["updated_at"] is None


async def test_admin_sets_the_guideline_with_etags(client: Client) -> None:
    wanted = {"minimum": 2, "recommended_min": 4, "recommended_max": 7, "acceptable_max": 9}
    first = await client.put(GUIDELINE, json=wanted)
    assert first.status_code == 200, first.text
    assert numbers(first.json()) == wanted
    assert first.json()["version"] == 1
    assert first.json()["id"] is not None
    etag = first.headers["etag"]

    read = await client.get(GUIDELINE)
    assert read.headers["etag"] == etag
    assert numbers(read.json()) == wanted

    changed = {**wanted, "acceptable_max": 12}
    second = await client.put(GUIDELINE, json=changed, headers={"If-Match": etag})
    assert second.status_code == 200, second.text
    assert second.json()["version"] == 2
    assert second.headers["etag"] != etag

    stale = await client.put(GUIDELINE, json=DEFAULTS, headers={"If-Match": etag})
    assert_problem(stale, 412)
    assert numbers(await current_guideline(client)) == changed

    events = await list_all(client, f"{API}/audit-events", record_type="team_size_guideline")
    assert [event["action"] for event in events] == ["create", "update"]
    assert events[1]["changes"] == {"acceptable_max": {"old": 9, "new": 12}}


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CONTRIBUTOR, Role.SECURITY_REVIEWER])
async def test_only_admins_put_the_guideline(app: Litestar, client: Client, role: Role) -> None:
    token = await role_token(app, client, role)
    response = await client.put(GUIDELINE, json={**DEFAULTS, "minimum": 1}, headers=token)
    assert_problem(response, 403)
    guideline = await current_guideline(client)
    assert guideline["version"] == 0
    assert numbers(guideline) == DEFAULTS


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"minimum": 6}, "recommended_min"),
        ({"recommended_min": 9}, "recommended_max"),
        ({"recommended_max": 3}, "recommended_max"),
        ({"acceptable_max": 6}, "acceptable_max"),
        ({"minimum": 0}, "minimum"),
        ({"minimum": -3}, "minimum"),
        ({"acceptable_max": 1001}, "acceptable_max"),
        ({"recommended_min": "five"}, "recommended_min"),
        ({"recommended_max": 7.5}, "recommended_max"),
        ({"acceptable_max": None}, "acceptable_max"),
    ],
)
async def test_a_bad_guideline_put_is_422_naming_the_field_and_changes_nothing(
    client: Client, change: dict[str, Any], field: str
) -> None:
    kept = {"minimum": 2, "recommended_min": 4, "recommended_max": 7, "acceptable_max": 9}
    assert (await client.put(GUIDELINE, json=kept)).status_code == 200
    response = await client.put(GUIDELINE, json={**kept, **change})
    assert_problem(response, 422, field=field)
    guideline = await current_guideline(client)
    assert numbers(guideline) == kept
    assert guideline["version"] == 1


async def test_a_guideline_missing_a_number_names_it(client: Client) -> None:
    partial = {name: value for name, value in DEFAULTS.items() if name != "recommended_max"}
    assert_problem(await client.put(GUIDELINE, json=partial), 422, field="recommended_max")
    assert (await current_guideline(client))["version"] == 0


# Warnings on an over-size add -----------------------------------------------------------------


async def test_adding_a_member_past_the_guideline_is_201_with_warnings(
    app: Litestar, client: Client
) -> None:
    team = await create_team(client)
    await staff(app, uuid.UUID(team["id"]), 10, start=days_ago(30))
    eleventh = await create_person(client)
    response = await client.post(
        f"{API}/teams/{team['slug']}/members",
        json={"person_id": eleventh["id"], "role": "engineer"},
    )
    assert response.status_code == 201, response.text
    added = response.json()
    assert added["person_id"] == eleventh["id"]
    assert "over_guideline" in codes(added["warnings"])
    (over,) = [w for w in added["warnings"] if w["code"] == "over_guideline"]
    assert "11 people" in over["message"]
    assert "10" in over["message"]
    assert (await health(client, team["slug"]))["headcount"] == 11

    # Still no hard error far past the guideline, and the warning keeps saying so.
    twelfth = await add_member(client, team["slug"], (await create_person(client))["id"])
    assert "over_guideline" in codes(twelfth["warnings"])


async def test_adding_within_the_guideline_warns_only_about_shape(client: Client) -> None:
    team = await create_team(client)
    lead = await create_person(client, home_org="product", job_family="product")
    added = await add_member(client, team["slug"], lead["id"], role="product_manager")
    assert size_codes(added["warnings"]) == {"under_minimum"}
    assert "no_product_manager" not in codes(added["warnings"])
    assert "no_security_champion" in codes(added["warnings"])


# Health fields -------------------------------------------------------------------------------


async def test_health_reports_fte_paths_orgs_families_roles_and_allocation(
    client: Client,
) -> None:
    team = await create_team(client)
    other = await create_team(client)
    pam = await create_person(client, name="Pam", home_org="product", job_family="product")
    sec = await create_person(client, name="Sec", home_org="platform", job_family="engineering")
    cal = await create_person(client, name="Cal", home_org="platform", job_family="engineering")
    await add_member(client, team["slug"], pam["id"], role="product_manager", allocation_percent=50)
    await add_member(client, team["slug"], sec["id"], role="security_champion")
    await add_member(client, team["slug"], cal["id"], allocation_percent=30)

    shape = await health(client, team["slug"])
    assert shape["team"] == team["slug"]
    assert shape["on"] == days_ago(0).isoformat()
    assert shape["headcount"] == 3
    assert shape["fte"] == pytest.approx(1.8)
    assert shape["communication_paths"] == 3
    assert shape["status"] == "acceptable"
    assert shape["limit"] == 10
    assert shape["home_orgs"] == ["platform", "product"]
    assert shape["job_families"] == [
        {"job_family": "engineering", "count": 2},
        {"job_family": "product", "count": 1},
    ]
    assert shape["roles"] == [
        {"role": "engineer", "count": 1},
        {"role": "product_manager", "count": 1},
        {"role": "security_champion", "count": 1},
    ]
    assert shape["has_product_manager"] is True
    assert shape["has_security_champion"] is True
    assert shape["over_allocated_members"] == []
    assert shape["size_exception"] is None
    assert numbers(shape["guideline"]) == DEFAULTS
    assert codes(shape["warnings"]) == {"below_recommended"}

    dana = await create_person(client, name="Dana", home_org="platform")
    await add_member(client, team["slug"], dana["id"], allocation_percent=70)
    added = await add_member(client, other["slug"], dana["id"], allocation_percent=70)
    stretched = [{"person_id": dana["id"], "name": "Dana", "total_allocation_percent": 140}]
    assert "member_over_allocated" in codes(added["warnings"])

    shape = await health(client, team["slug"])
    assert shape["headcount"] == 4
    assert shape["fte"] == pytest.approx(2.5)
    assert shape["communication_paths"] == 6
    assert shape["over_allocated_members"] == stretched
    assert codes(shape["warnings"]) == {"below_recommended", "member_over_allocated"}
    (warning,) = [w for w in shape["warnings"] if w["code"] == "member_over_allocated"]
    assert "Dana" in warning["message"]
    assert "140%" in warning["message"]

    lone = await health(client, other["slug"])
    assert lone["headcount"] == 1
    assert lone["fte"] == pytest.approx(0.7)
    assert lone["communication_paths"] == 0
    assert lone["status"] == "under"
    assert lone["over_allocated_members"] == stretched
    assert lone["has_product_manager"] is False
    assert lone["has_security_champion"] is False
    assert codes(lone["warnings"]) == {
        "under_minimum",
        "no_product_manager",
        "no_security_champion",
        "member_over_allocated",
    }

    # A second person from the same org makes the team one silo.
    await add_member(client, other["slug"], (await create_person(client))["id"])
    assert "single_home_org" in codes((await health(client, other["slug"]))["warnings"])


async def test_an_empty_team_is_under_without_role_warnings(client: Client) -> None:
    team = await create_team(client)
    shape = await health(client, team["slug"])
    assert (shape["headcount"], shape["fte"], shape["communication_paths"]) == (0, 0, 0)
    assert shape["status"] == "under"
    assert shape["home_orgs"] == []
    assert codes(shape["warnings"]) == {"under_minimum"}


async def test_health_of_an_unknown_team_is_404(client: Client) -> None:
    assert_problem(await client.get(f"{API}/teams/no-such-team/health"), 404)
    assert_problem(await client.get(f"{API}/teams/no-such-team/health/history"), 404)
    assert_problem(await client.get(f"{API}/teams/no-such-team/size-exception"), 404)


# The exception lifecycle ------------------------------------------------------------------------


async def test_exception_lifecycle_is_granted_replaced_withdrawn_and_audited(
    app: Litestar, client: Client
) -> None:
    (team,) = await seed_staffed_teams(app, [11])
    path = f"{API}/teams/{team.slug}/size-exception"
    assert_problem(await client.get(path), 404)
    assert (await health(client, team.slug))["status"] == "over"

    granted = await client.put(path, json={"max_size": 12, "justification": JUSTIFICATION})
    assert granted.status_code == 200, granted.text
    first = granted.json()
    assert first["team"] == team.slug
    assert first["max_size"] == 12
    assert first["justification"] == JUSTIFICATION
    assert first["approved_by"] == "test-admin"
    assert first["expires_at"] is None
    assert first["withdrawn_at"] is None
    assert first["active"] is True
    first_etag = granted.headers["etag"]

    read = await client.get(path)
    assert read.status_code == 200, read.text
    assert read.json() == first
    assert read.headers["etag"] == first_etag

    shape = await health(client, team.slug)
    assert shape["status"] == "over_with_exception"
    assert shape["limit"] == 12
    assert shape["size_exception"] == first
    assert size_codes(shape["warnings"]) == {
        "over_guideline_with_exception",
        "many_communication_paths",
    }
    (why,) = [w for w in shape["warnings"] if w["code"] == "over_guideline_with_exception"]
    assert JUSTIFICATION in why["message"]
    assert "test-admin" in why["message"]

    # Replacing it is conditional on the one in force; the old one stays, withdrawn.
    until = moment(30).replace(microsecond=0)
    body = {"max_size": 14, "justification": JUSTIFICATION, "expires_at": until.isoformat()}
    stale = await client.put(path, json=body, headers={"If-Match": f'"{first["id"]}:7"'})
    assert_problem(stale, 412)
    assert (await client.get(path)).json() == first
    replaced = await client.put(path, json=body, headers={"If-Match": first_etag})
    assert replaced.status_code == 200, replaced.text
    second = replaced.json()
    assert second["id"] != first["id"]
    assert second["max_size"] == 14
    assert second["active"] is True
    assert second["expires_at"].startswith(until.strftime("%Y-%m-%dT%H:%M:%S"))
    assert (await client.get(path)).json() == second
    shape = await health(client, team.slug)
    assert (shape["status"], shape["limit"]) == ("over_with_exception", 14)
    (why,) = [w for w in shape["warnings"] if w["code"] == "over_guideline_with_exception"]
    assert f"until {until:%Y-%m-%d}" in why["message"]

    withdrawn = await client.delete(path, headers={"If-Match": replaced.headers["etag"]})
    assert withdrawn.status_code == 204, withdrawn.text
    assert_problem(await client.get(path), 404)
    assert_problem(await client.delete(path), 404)
    shape = await health(client, team.slug)
    assert (shape["status"], shape["limit"], shape["size_exception"]) == ("over", 10, None)
    assert "over_guideline" in codes(shape["warnings"])

    trail = await list_all(client, f"{API}/audit-events", record_type="team_size_exception")
    # Replacing writes the new exception and withdraws the old in one flush, in either order.
    assert [(event["action"], event["record_id"]) for event in trail[:1] + trail[3:]] == [
        ("create", first["id"]),
        ("withdraw", second["id"]),
    ]
    assert {(event["action"], event["record_id"]) for event in trail[1:3]} == {
        ("withdraw", first["id"]),
        ("create", second["id"]),
    }
    assert {(event["parent_type"], event["parent_id"]) for event in trail} == {
        ("team", str(team.id))
    }
    assert {event["actor"] for event in trail} == {"test-admin"}
    assert trail[0]["changes"]["max_size"] == {"old": None, "new": 12}
    assert trail[0]["changes"]["justification"]["new"] == JUSTIFICATION
    (replaced_event,) = [
        e for e in trail if e["action"] == "withdraw" and e["record_id"] == first["id"]
    ]
    assert replaced_event["changes"]["withdrawn_at"]["old"] is None
    assert replaced_event["changes"]["withdrawn_at"]["new"] is not None

    history = await list_all(client, f"{API}/teams/{team.slug}/history")
    assert [
        (event["action"], event["record_id"])
        for event in history
        if event["record_type"] == "team_size_exception"
    ] == [(event["action"], event["record_id"]) for event in trail]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"justification": "too short"}, "justification"),
        ({"justification": "   padded    "}, "justification"),
        ({"justification": None}, "justification"),
        ({"justification": "x" * 2001}, "justification"),
        ({"max_size": 10}, "max_size"),
        ({"max_size": 3}, "max_size"),
        ({"max_size": 0}, "max_size"),
        ({"max_size": 1001}, "max_size"),
        ({"max_size": "twelve"}, "max_size"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "next week"}, "expires_at"),
    ],
)
async def test_a_bad_exception_put_is_422_naming_the_field_and_changes_nothing(
    app: Litestar, client: Client, change: dict[str, Any], field: str
) -> None:
    (team,) = await seed_staffed_teams(app, [11])
    path = f"{API}/teams/{team.slug}/size-exception"
    body = {"max_size": 12, "justification": JUSTIFICATION, **change}
    assert_problem(await client.put(path, json=body), 422, field=field)
    assert_problem(await client.get(path), 404)
    assert (await health(client, team.slug))["status"] == "over"
    assert await list_all(client, f"{API}/audit-events", record_type="team_size_exception") == []


async def test_an_exception_without_justification_names_it(app: Litestar, client: Client) -> None:
    (team,) = await seed_staffed_teams(app, [11])
    path = f"{API}/teams/{team.slug}/size-exception"
    assert_problem(await client.put(path, json={"max_size": 12}), 422, field="justification")
    assert_problem(await client.get(path), 404)


async def test_max_size_follows_the_guideline_in_force(app: Litestar, client: Client) -> None:
    (team,) = await seed_staffed_teams(app, [8])
    guideline = {"minimum": 2, "recommended_min": 3, "recommended_max": 4, "acceptable_max": 6}
    assert (await client.put(GUIDELINE, json=guideline)).status_code == 200
    path = f"{API}/teams/{team.slug}/size-exception"
    assert_problem(
        await client.put(path, json={"max_size": 6, "justification": JUSTIFICATION}),
        422,
        field="max_size",
    )
    await grant(client, team.slug, max_size=7)
    assert (await health(client, team.slug))["status"] == "over"
    await grant(client, team.slug, max_size=8)
    assert (await health(client, team.slug))["status"] == "over_with_exception"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CONTRIBUTOR, Role.SECURITY_REVIEWER])
async def test_only_admins_grant_and_withdraw_exceptions(
    app: Litestar, client: Client, role: Role
) -> None:
    (team,) = await seed_staffed_teams(app, [11])
    path = f"{API}/teams/{team.slug}/size-exception"
    # Even a member of the team, who may change its roster, may not grant it an exception.
    token = await role_token(app, client, role, team=team.slug)
    body = {"max_size": 12, "justification": JUSTIFICATION}
    assert_problem(await client.put(path, json=body, headers=token), 403)
    assert_problem(await client.get(path), 404)

    granted = await grant(client, team.slug)
    assert_problem(await client.delete(path, headers=token), 403)
    read = await client.get(path, headers=token)
    assert read.status_code == 200, read.text
    assert read.json() == granted
    assert (await health(client, team.slug))["status"] == "over_with_exception"


async def test_archived_team_gets_no_exception(app: Litestar, client: Client) -> None:
    team = await create_team(client)
    assert (await client.delete(f"{API}/teams/{team['slug']}")).status_code == 204
    response = await client.put(
        f"{API}/teams/{team['slug']}/size-exception",
        json={"max_size": 12, "justification": JUSTIFICATION},
    )
    assert_problem(response, 409)


async def test_an_expired_exception_no_longer_applies(app: Litestar, client: Client) -> None:
    (team,) = await seed_staffed_teams(app, [11], start=days_ago(60))
    await insert_exception(
        app, team.id, max_size=12, granted_at=moment(-30), expires_at=moment(-10)
    )
    path = f"{API}/teams/{team.slug}/size-exception"

    assert_problem(await client.get(path), 404)
    today = await health(client, team.slug)
    assert (today["status"], today["limit"], today["size_exception"]) == ("over", 10, None)
    assert "over_guideline" in codes(today["warnings"])

    during = await health(client, team.slug, at=days_ago(20).isoformat())
    assert (during["headcount"], during["status"], during["limit"]) == (
        11,
        "over_with_exception",
        12,
    )
    assert during["size_exception"]["max_size"] == 12
    assert during["size_exception"]["active"] is False
    assert "over_guideline_with_exception" in codes(during["warnings"])
    before = await health(client, team.slug, at=days_ago(40).isoformat())
    assert before["status"] == "over"
    after = await health(client, team.slug, at=days_ago(5).isoformat())
    assert after["status"] == "over"

    response = await client.get(f"{API}/teams/{team.slug}/health/history")
    assert response.status_code == 200, response.text
    assert [(p["on"], p["headcount"], p["status"], p["limit"]) for p in response.json()] == [
        (days_ago(60).isoformat(), 11, "over", 10),
        (days_ago(30).isoformat(), 11, "over_with_exception", 12),
        (days_ago(10).isoformat(), 11, "over", 10),
    ]

    # The expired exception is no obstacle to a new one.
    granted = await grant(client, team.slug, max_size=11)
    assert (await client.get(path)).json() == granted
    assert (await health(client, team.slug))["status"] == "over_with_exception"


async def test_an_exception_that_expires_later_applies_now(app: Litestar, client: Client) -> None:
    (team,) = await seed_staffed_teams(app, [12])
    await insert_exception(app, team.id, max_size=12, granted_at=moment(-3), expires_at=moment(1))
    shape = await health(client, team.slug)
    assert shape["status"] == "over_with_exception"
    assert shape["size_exception"]["active"] is True


async def test_concurrent_grants_leave_one_exception_in_force(
    app: Litestar, client: Client
) -> None:
    # Concurrent grants must serialise on the team: on PostgreSQL each one otherwise reads "no
    # exception in force" and inserts its own, leaving several in force at once.
    (team,) = await seed_staffed_teams(app, [13])
    path = f"{API}/teams/{team.slug}/size-exception"
    responses = await asyncio.gather(
        *(
            client.put(path, json={"max_size": size, "justification": JUSTIFICATION})
            for size in (16, 12, 14, 13, 15)
        )
    )
    assert all(response.status_code in {200, 409, 412} for response in responses), responses

    # Whichever grant won, the team's health and the list filter tell the same story ...
    shape = await health(client, team.slug)
    listed = await list_all(client, f"{API}/teams", health=shape["status"])
    assert [item["slug"] for item in listed] == [team.slug], shape["status"]
    # ... and one withdrawal leaves the team without an exception.
    assert (await client.delete(path)).status_code == 204
    assert_problem(await client.get(path), 404)
    assert (await health(client, team.slug))["status"] == "over"


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
