"""The team-size guideline, size exceptions and roster health through GraphQL."""

import uuid
from typing import Any

import pytest
from litestar import Litestar

from api.core.access import Role
from tests.factories import add_member, create_person, create_team
from tests.graphql import error_fields, gql, gql_data, gql_error
from tests.helpers import API, Client, bearer, issue_token, list_all
from tests.teams.health.factories import (
    JUSTIFICATION,
    days_ago,
    insert_exception,
    moment,
    seed_staffed_teams,
    staff,
)

GUIDELINE = (
    "{ teamSizeGuideline { id version minimum recommendedMin recommendedMax acceptableMax } }"
)
SET_GUIDELINE = """
mutation($input: SetTeamSizeGuidelineInput!) {
  setTeamSizeGuideline(input: $input) {
    version minimum recommendedMin recommendedMax acceptableMax
  }
}
"""
GRANT = """
mutation($input: GrantTeamSizeExceptionInput!) {
  grantTeamSizeException(input: $input) {
    id team maxSize justification approvedBy expiresAt withdrawnAt active version
  }
}
"""
WITHDRAW = """
mutation($team: String!) {
  withdrawTeamSizeException(input: {team: $team}) { id withdrawnAt active }
}
"""
HEALTH = """
query($slug: String!, $at: Date) {
  team(slug: $slug) {
    health(at: $at) {
      on headcount fte status limit communicationPaths homeOrgs
      jobFamilies { jobFamily count }
      roles { role count }
      hasProductManager hasSecurityChampion
      overAllocatedMembers { personId name totalAllocationPercent }
      sizeException { maxSize approvedBy active }
      guideline { acceptableMax }
      warnings { code message }
    }
  }
}
"""
DEFAULTS = {"minimum": 3, "recommendedMin": 5, "recommendedMax": 8, "acceptableMax": 10}


async def gql_as(
    client: Client, headers: dict[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    """Run a GraphQL document with another caller's token."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def team_health(client: Client, slug: str, at: str | None = None) -> dict[str, Any]:
    """A team's health through GraphQL."""
    data = await gql_data(client, HEALTH, slug=slug, at=at)
    health: dict[str, Any] = data["team"]["health"]
    return health


def codes(health: dict[str, Any]) -> set[str]:
    """The warning codes of a health answer."""
    return {warning["code"] for warning in health["warnings"]}


# The guideline ------------------------------------------------------------------------------


async def test_guideline_defaults_then_admin_sets_it(client: Client) -> None:
    data = await gql_data(client, GUIDELINE)
    assert data["teamSizeGuideline"] == {"id": None, "version": 0, **DEFAULTS}

    wanted = {"minimum": 2, "recommendedMin": 4, "recommendedMax": 6, "acceptableMax": 9}
    data = await gql_data(client, SET_GUIDELINE, input=wanted)
    assert data["setTeamSizeGuideline"] == {"version": 1, **wanted}
    changed = {**wanted, "acceptableMax": 11, "expectedVersion": 1}
    data = await gql_data(client, SET_GUIDELINE, input=changed)
    assert data["setTeamSizeGuideline"]["version"] == 2

    await gql_error(client, SET_GUIDELINE, "CONFLICT", input={**wanted, "expectedVersion": 1})
    data = await gql_data(client, GUIDELINE)
    assert data["teamSizeGuideline"]["version"] == 2
    assert data["teamSizeGuideline"]["acceptableMax"] == 11


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"minimum": 6}, "recommendedMin"),
        ({"recommendedMax": 4}, "recommendedMax"),
        ({"acceptableMax": 7}, "acceptableMax"),
        ({"minimum": 0}, "minimum"),
        ({"acceptableMax": 1001}, "acceptableMax"),
    ],
)
async def test_a_bad_guideline_mutation_names_the_field_in_camel_case(
    client: Client, change: dict[str, int], field: str
) -> None:
    error = await gql_error(client, SET_GUIDELINE, "BAD_USER_INPUT", input={**DEFAULTS, **change})
    assert field in error_fields(error)
    data = await gql_data(client, GUIDELINE)
    assert data["teamSizeGuideline"] == {"id": None, "version": 0, **DEFAULTS}


async def test_a_guideline_number_that_is_not_a_number_is_refused(client: Client) -> None:
    body = await gql(client, SET_GUIDELINE, input={**DEFAULTS, "minimum": "three"})
    assert body["errors"]
    assert "minimum" in body["errors"][0]["message"]
    assert (await gql_data(client, GUIDELINE))["teamSizeGuideline"]["version"] == 0


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CONTRIBUTOR])
async def test_only_admins_may_set_the_guideline_in_graphql(
    app: Litestar, client: Client, role: Role
) -> None:
    person = await create_person(client)
    token = bearer(await issue_token(app, role, person_id=person["id"]))
    read = await gql_as(client, token, GUIDELINE)
    assert read["data"]["teamSizeGuideline"]["minimum"] == 3
    body = await gql_as(client, token, SET_GUIDELINE, input={**DEFAULTS, "minimum": 1})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await gql_data(client, GUIDELINE))["teamSizeGuideline"]["version"] == 0


# Health and warnings --------------------------------------------------------------------------


async def test_health_fields_in_graphql(client: Client) -> None:
    team = await create_team(client)
    other = await create_team(client)
    pam = await create_person(client, name="Pam", home_org="product", job_family="product")
    sec = await create_person(client, name="Sec", home_org="platform")
    dana = await create_person(client, name="Dana", home_org="platform")
    await add_member(client, team["slug"], pam["id"], role="product_manager", allocation_percent=50)
    await add_member(client, team["slug"], sec["id"], role="security_champion")
    await add_member(client, team["slug"], dana["id"], allocation_percent=30)
    await add_member(client, other["slug"], dana["id"], allocation_percent=80)

    health = await team_health(client, team["slug"])
    assert health["on"] == days_ago(0).isoformat()
    assert (health["headcount"], health["fte"], health["communicationPaths"]) == (3, 1.8, 3)
    assert (health["status"], health["limit"]) == ("ACCEPTABLE", 10)
    assert health["homeOrgs"] == ["platform", "product"]
    assert health["jobFamilies"] == [
        {"jobFamily": "ENGINEERING", "count": 2},
        {"jobFamily": "PRODUCT", "count": 1},
    ]
    assert health["roles"] == [
        {"role": "ENGINEER", "count": 1},
        {"role": "PRODUCT_MANAGER", "count": 1},
        {"role": "SECURITY_CHAMPION", "count": 1},
    ]
    assert health["hasProductManager"] is True
    assert health["hasSecurityChampion"] is True
    assert health["overAllocatedMembers"] == [
        {"personId": dana["id"], "name": "Dana", "totalAllocationPercent": 110}
    ]
    assert health["sizeException"] is None
    assert health["guideline"] == {"acceptableMax": 10}
    assert codes(health) == {"BELOW_RECOMMENDED", "MEMBER_OVER_ALLOCATED"}


ADD = """
mutation($team: String!, $person: UUID!) {
  addTeamMember(input: {team: $team, personId: $person, role: ENGINEER}) {
    startDate warnings { code message }
  }
}
"""


async def test_add_team_member_past_the_guideline_returns_warnings_for_every_member(
    app: Litestar, client: Client
) -> None:
    team = await create_team(client)
    await staff(app, uuid.UUID(team["id"]), 10, start=days_ago(5))
    eleventh = await create_person(client)
    data = await gql_data(client, ADD, team=team["slug"], person=eleventh["id"])
    added = data["addTeamMember"]
    assert added["startDate"] == days_ago(0).isoformat()
    (over,) = [w for w in added["warnings"] if w["code"] == "OVER_GUIDELINE"]
    assert "11 people" in over["message"]
    assert (await team_health(client, team["slug"]))["status"] == "OVER"

    members = await gql_data(
        client,
        "query($slug: String!) { team(slug: $slug) { members { warnings { code } } } }",
        slug=team["slug"],
    )
    for member in members["team"]["members"]:
        assert "OVER_GUIDELINE" in {warning["code"] for warning in member["warnings"]}


async def test_health_on_past_days_and_history(app: Litestar, client: Client) -> None:
    (team,) = await seed_staffed_teams(app, [11], start=days_ago(60))
    await insert_exception(
        app, team.id, max_size=12, granted_at=moment(-30), expires_at=moment(-10)
    )
    now = await team_health(client, team.slug)
    assert (now["status"], now["sizeException"]) == ("OVER", None)
    during = await team_health(client, team.slug, at=days_ago(20).isoformat())
    assert (during["on"], during["status"], during["limit"]) == (
        days_ago(20).isoformat(),
        "OVER_WITH_EXCEPTION",
        12,
    )
    assert during["sizeException"] == {
        "maxSize": 12,
        "approvedBy": "cto@example.com",
        "active": False,
    }
    before = await team_health(client, team.slug, at=days_ago(61).isoformat())
    assert (before["headcount"], before["status"]) == (0, "UNDER")

    data = await gql_data(
        client,
        "query($slug: String!) { team(slug: $slug) { healthHistory { on headcount status } } }",
        slug=team.slug,
    )
    assert data["team"]["healthHistory"] == [
        {"on": days_ago(60).isoformat(), "headcount": 11, "status": "OVER"},
        {"on": days_ago(30).isoformat(), "headcount": 11, "status": "OVER_WITH_EXCEPTION"},
        {"on": days_ago(10).isoformat(), "headcount": 11, "status": "OVER"},
    ]


async def test_health_dates_in_the_future_or_malformed_are_refused(client: Client) -> None:
    team = await create_team(client)
    error = await gql_error(
        client, HEALTH, "BAD_USER_INPUT", slug=team["slug"], at=days_ago(-1).isoformat()
    )
    assert error_fields(error) == ["at"]
    for malformed in ("2026-13-01", "yesterday"):
        body = await gql(client, HEALTH, slug=team["slug"], at=malformed)
        assert body["errors"], malformed
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
        assert "$at" in body["errors"][0]["message"]


# The exception lifecycle ------------------------------------------------------------------------


async def test_exception_lifecycle_in_graphql_is_audited(app: Litestar, client: Client) -> None:
    (team,) = await seed_staffed_teams(app, [11])
    until = moment(20).replace(microsecond=0)
    data = await gql_data(
        client,
        GRANT,
        input={
            "team": team.slug,
            "maxSize": 12,
            "justification": JUSTIFICATION,
            "expiresAt": until.isoformat(),
        },
    )
    first = data["grantTeamSizeException"]
    assert first["team"] == team.slug
    assert (first["maxSize"], first["approvedBy"], first["active"]) == (12, "test-admin", True)
    assert first["withdrawnAt"] is None
    assert first["expiresAt"].startswith(until.strftime("%Y-%m-%dT%H:%M:%S"))
    assert (await team_health(client, team.slug))["status"] == "OVER_WITH_EXCEPTION"

    stale = {"team": team.slug, "maxSize": 13, "justification": JUSTIFICATION}
    await gql_error(client, GRANT, "CONFLICT", input={**stale, "expectedVersion": 9})
    data = await gql_data(client, GRANT, input={**stale, "expectedVersion": first["version"]})
    second = data["grantTeamSizeException"]
    assert second["id"] != first["id"]
    assert (await team_health(client, team.slug))["limit"] == 13

    data = await gql_data(client, WITHDRAW, team=team.slug)
    assert data["withdrawTeamSizeException"]["id"] == second["id"]
    assert data["withdrawTeamSizeException"]["active"] is False
    assert data["withdrawTeamSizeException"]["withdrawnAt"] is not None
    assert (await team_health(client, team.slug))["status"] == "OVER"
    await gql_error(client, WITHDRAW, "NOT_FOUND", team=team.slug)

    trail = await list_all(client, f"{API}/audit-events", record_type="team_size_exception")
    assert sorted((event["action"], event["record_id"]) for event in trail) == sorted(
        [
            ("create", first["id"]),
            ("withdraw", first["id"]),
            ("create", second["id"]),
            ("withdraw", second["id"]),
        ]
    )
    assert {event["parent_id"] for event in trail} == {str(team.id)}

    history = await gql_data(
        client,
        "query($slug: String!) { team(slug: $slug) { history { edges { node { recordType } } } } }",
        slug=team.slug,
    )
    kinds = [edge["node"]["recordType"] for edge in history["team"]["history"]["edges"]]
    assert kinds.count("TEAM_SIZE_EXCEPTION") == 4


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"justification": "too short"}, "justification"),
        ({"maxSize": 10}, "maxSize"),
        ({"maxSize": 1001}, "maxSize"),
        ({"expiresAt": "2020-01-01T00:00:00Z"}, "expiresAt"),
    ],
)
async def test_a_bad_exception_mutation_names_the_field_in_camel_case(
    app: Litestar, client: Client, change: dict[str, Any], field: str
) -> None:
    (team,) = await seed_staffed_teams(app, [11])
    fields = {"team": team.slug, "maxSize": 12, "justification": JUSTIFICATION, **change}
    error = await gql_error(client, GRANT, "BAD_USER_INPUT", input=fields)
    assert field in error_fields(error)
    assert (await team_health(client, team.slug))["sizeException"] is None
    assert await list_all(client, f"{API}/audit-events", record_type="team_size_exception") == []


async def test_only_admins_grant_exceptions(app: Litestar, client: Client) -> None:
    (team,) = await seed_staffed_teams(app, [11])
    member = await create_person(client)
    await add_member(client, team.slug, member["id"])
    token = bearer(await issue_token(app, Role.CONTRIBUTOR, person_id=member["id"]))
    fields = {"team": team.slug, "maxSize": 13, "justification": JUSTIFICATION}
    body = await gql_as(client, token, GRANT, input=fields)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await gql_data(client, GRANT, input=fields)
    body = await gql_as(client, token, WITHDRAW, team=team.slug)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await team_health(client, team.slug))["status"] == "OVER_WITH_EXCEPTION"


# The list filter --------------------------------------------------------------------------


FILTERED = """
query($health: HealthStatus!) {
  teams(filter: {health: $health}) { totalCount edges { node { slug } } }
}
"""


async def test_teams_filter_by_health(app: Litestar, client: Client) -> None:
    under, recommended, over, excepted = await seed_staffed_teams(app, [1, 5, 11, 11])
    await gql_data(
        client,
        GRANT,
        input={"team": excepted.slug, "maxSize": 12, "justification": JUSTIFICATION},
    )
    expected = {
        "UNDER": [under.slug],
        "RECOMMENDED": [recommended.slug],
        "ACCEPTABLE": [],
        "OVER": [over.slug],
        "OVER_WITH_EXCEPTION": [excepted.slug],
    }
    for status, slugs in expected.items():
        data = await gql_data(client, FILTERED, health=status)
        assert [edge["node"]["slug"] for edge in data["teams"]["edges"]] == slugs, status
        assert data["teams"]["totalCount"] == len(slugs)

    body = await gql(client, FILTERED, health="over")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "HealthStatus" in body["errors"][0]["message"]
