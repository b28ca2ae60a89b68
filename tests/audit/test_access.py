"""Who may read the audit trail, and that nobody may change it; sensitive reads are recorded."""

import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.core.access import Role
from tests.audit.events import AUDIT, all_events, ids, person_caller, send
from tests.factories import create_person, create_team
from tests.graphql import gql_data
from tests.helpers import API, Client, app_engine, assert_problem, bearer, issue_token
from tests.identity.world import build_world, gql_as


async def test_reading_the_trail_takes_the_audit_right(app: Litestar, client: Client) -> None:
    person = await create_person(client)
    viewer = await issue_token(app, Role.VIEWER)
    reviewer = await issue_token(app, Role.SECURITY_REVIEWER, person_id=person["id"])
    assert_problem(await client.get(AUDIT, headers=bearer(viewer)), 403)
    assert (await client.get(AUDIT, headers=bearer(reviewer))).status_code == 200
    response = await client.post(
        "/graphql", json={"query": "{ auditEvents { totalCount } }"}, headers=bearer(viewer)
    )
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"] == ["auditEvents"]
    # History is part of what viewers read.
    await create_team(client, slug="open-book")
    response = await client.get(f"{API}/teams/open-book/history", headers=bearer(viewer))
    assert response.status_code == 200, response.text
    assert_problem(await client.get(AUDIT, headers={"Authorization": "Bearer pzb_nope"}), 401)


async def test_audit_events_cannot_be_changed_or_deleted_over_http(client: Client) -> None:
    await create_team(client)
    before = await all_events(client)
    event_id = before[-1]["id"]
    for method in ("PATCH", "PUT", "DELETE", "POST"):
        for path in (AUDIT, f"{AUDIT}/{event_id}"):
            response = await client.request(
                method, path, json={"actor": "someone-else", "changes": {}}
            )
            assert_problem(response, (404, 405))
    assert await all_events(client) == before


async def test_no_graphql_mutation_touches_audit_events(client: Client) -> None:
    data = await gql_data(client, "{ __schema { mutationType { fields { name } } } }")
    names = [field["name"] for field in data["__schema"]["mutationType"]["fields"]]
    assert names, "the schema has mutations"
    assert not [name for name in names if "audit" in name.lower() or "event" in name.lower()]
    assert not [name for name in names if "history" in name.lower()]


async def test_the_database_refuses_to_change_audit_events(
    app: Litestar, client: Client, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite has no trigger: there the append-only rule lives in the app alone")
    await create_team(client)
    before = await all_events(client)
    engine = app_engine(app)
    for statement in (
        "UPDATE audit_events SET actor = 'someone-else'",
        "DELETE FROM audit_events",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(text(statement))
    assert await all_events(client) == before


async def test_listing_tokens_is_recorded_as_access(app: Litestar, client: Client) -> None:
    who = await person_caller(app, client)
    sent = await send(client, "GET", f"{API}/tokens", token=who.token)
    assert sent.response.status_code == 200, sent.response.text
    event = sent.only_event()
    assert event["kind"] == "access"
    assert event["action"] == "read"
    assert event["record_type"] == "token"
    assert event["actor"] == who.actor
    assert event["token_id"] == who.token_id
    assert event["person_id"] == who.person_id
    assert event["changes"] == {}
    # Access events are not changes, and stay out of what a record's history shows.
    assert event["id"] not in ids(await all_events(client, kind="change"))

    # A refused read is not a read.
    viewer = await issue_token(app, Role.VIEWER)
    refused = await send(client, "GET", f"{API}/tokens", token=viewer)
    assert_problem(refused.response, 403)
    assert refused.events == []
    # Reading the trail itself is not recorded, or every review would grow it.
    listed = await send(client, "GET", AUDIT)
    assert listed.events == []


async def test_only_reviewers_and_admins_read_the_audit_trail(
    app: Litestar, client: Client
) -> None:
    world = await build_world(app, client)
    for role in (Role.VIEWER, Role.CONTRIBUTOR, Role.CI):
        assert_problem(
            await client.get(f"{API}/audit-events", headers=bearer(world.tokens[role])), 403
        )
        body = await gql_as(client, world.tokens[role], "{ auditEvents { totalCount } }")
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for role in (Role.SECURITY_REVIEWER, Role.ADMIN):
        response = await client.get(f"{API}/audit-events", headers=bearer(world.tokens[role]))
        assert response.status_code == 200, response.text
        assert response.json()["items"]
        body = await gql_as(client, world.tokens[role], "{ auditEvents { totalCount } }")
        assert body["data"]["auditEvents"]["totalCount"] > 0
