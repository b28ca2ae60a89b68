"""A failed change leaves neither a change nor an audit event, over REST and in GraphQL."""

from typing import Any

import pytest
from litestar import Litestar

from api.core.access import Role
from tests.audit.events import all_events, mutate, send
from tests.factories import create_product, create_team
from tests.helpers import API, Client, assert_problem, list_all
from tests.identity.world import build_world, gql_as

CREATE_TEAM = 'mutation { createTeam(input: {slug: "kernel", name: "Kernel", org: "os"}) { id } }'
UPDATE_PRODUCT = """
mutation {
  updateProduct(input: {slug: "scheduler", summary: "Fair", stage: PRFAQ_REVIEW}) { id }
}
"""


async def test_failed_rest_changes_leave_no_event(client: Client) -> None:
    team = await create_team(client, slug="steady", name="Steady")
    await create_product(client, team="steady", slug="anchor")
    etag = (await client.get(f"{API}/teams/steady")).headers["etag"]
    await client.patch(f"{API}/teams/steady", json={"name": "Moved on"})
    before = await all_events(client)

    failures: list[tuple[int, str, str, Any, dict[str, str]]] = [
        # A duplicate slug: 409.
        (409, "POST", f"{API}/teams", {"slug": "steady", "name": "Again", "org": "x"}, {}),
        # The team has a live product: archiving it is an illegal state change.
        (409, "DELETE", f"{API}/teams/steady", None, {}),
        # A stage may not jump from idea to launched.
        (409, "PATCH", f"{API}/products/anchor", {"stage": "launched"}, {}),
        # A stale If-Match: the change is refused whole.
        (412, "PATCH", f"{API}/teams/steady", {"name": "Lost"}, {"If-Match": etag}),
        (412, "DELETE", f"{API}/teams/steady", None, {"If-Match": etag}),
        # Bad input.
        (422, "PATCH", f"{API}/teams/steady", {"name": None}, {}),
        (422, "POST", f"{API}/tokens", {"name": "ci", "role": "ci"}, {}),
        (
            422,
            "POST",
            f"{API}/products",
            {"slug": "ghost", "name": "G", "team": "no-such-team", "data_classification": "x"},
            {},
        ),
    ]
    for status, method, path, body, headers in failures:
        sent = await send(client, method, path, json_body=body, headers=headers)
        assert_problem(sent.response, status)
        assert sent.events == [], (method, path, sent.events)

    assert await all_events(client) == before
    steady = (await client.get(f"{API}/teams/steady")).json()
    assert steady["name"] == "Moved on"
    assert steady["archived_at"] is None
    assert steady["id"] == team["id"]


async def test_a_failed_graphql_mutation_leaves_nothing_though_a_later_one_commits(
    client: Client,
) -> None:
    await create_team(client, slug="origin")
    await create_team(client, slug="elsewhere")
    product = await create_product(client, team="origin", slug="probe", name="Probe")
    before = await all_events(client)

    # The first mutation changes the owning team in memory before the null name refuses it; the
    # second succeeds, and the request commits. Only the second may leave a change and an event.
    sent = await mutate(
        client,
        """
        mutation {
          bad: updateProduct(input: {slug: "probe", team: "elsewhere", name: null}) { id }
          conflict: archiveTeam(input: {slug: "origin"}) { id }
          good: updateTeam(input: {slug: "elsewhere", mission: "Receive"}) { id }
        }
        """,
    )
    body = sent.response.json()
    assert body["data"]["bad"] is None
    assert body["data"]["conflict"] is None
    assert body["data"]["good"] is not None
    codes = sorted(error["extensions"]["code"] for error in body["errors"])
    assert codes == ["BAD_USER_INPUT", "CONFLICT"]
    assert [event["record_type"] for event in sent.events] == ["team"]
    assert sent.events[0]["changes"] == {"mission": {"old": "Ship it", "new": "Receive"}}

    after = await all_events(client)
    assert len(after) == len(before) + 1
    probe = (await client.get(f"{API}/products/probe")).json()
    assert probe["team"] == "origin"
    assert probe["name"] == "Probe"
    assert probe["version"] == product["version"]
    assert (await client.get(f"{API}/teams/origin")).json()["archived_at"] is None


async def test_a_failed_graphql_mutation_alone_leaves_no_event(client: Client) -> None:
    await create_team(client, slug="kernel")
    before = await all_events(client)
    for document in (
        CREATE_TEAM,
        UPDATE_PRODUCT,
        'mutation { updateTeam(input: {slug: "kernel", name: null}) { id } }',
    ):
        sent = await mutate(client, document)
        body = sent.response.json()
        assert body.get("errors"), body
        assert sent.events == []
    assert await all_events(client) == before


_TWO_MUTATIONS = """
mutation($team: String!, $product: String!) {
  kept: updateTeam(input: {slug: $team, mission: "Kept"}) { slug mission version }
  lost: updateProduct(input: {slug: $product, name: "Lost", summary: "Lost",
                              targetLaunchDate: "2031-01-01", dataClassification: RESTRICTED,
                              stage: LAUNCHED}) { slug name }
}
"""


@pytest.mark.parametrize("failing_first", [False, True], ids=["fails-second", "fails-first"])
async def test_a_failed_mutation_leaves_nothing_whether_it_runs_first_or_second(
    app: Litestar, client: Client, failing_first: bool
) -> None:
    world = await build_world(app, client)
    team, product = world.own.team, world.own.product
    before = (await client.get(f"{API}/products/{product}")).json()
    events_before = await list_all(client, f"{API}/audit-events")
    changes_before = await list_all(client, f"{API}/products/{product}/changes")
    query = _TWO_MUTATIONS
    if failing_first:
        # The same two mutations, the failing one first: later ones still run and stay.
        kept, lost = query.index("  kept:"), query.index("  lost:")
        query = query[:kept] + query[lost : query.rindex("}")] + query[kept:lost] + "}\n"

    body = await gql_as(client, world.tokens[Role.CONTRIBUTOR], query, team=team, product=product)

    assert body["data"]["lost"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["CONFLICT"]
    assert body["errors"][0]["path"] == ["lost"]
    assert body["data"]["kept"]["mission"] == "Kept"
    after = (await client.get(f"{API}/products/{product}")).json()
    assert after == before
    assert await list_all(client, f"{API}/products/{product}/changes") == changes_before
    events_after = await list_all(client, f"{API}/audit-events")
    new_events = events_after[len(events_before) :]
    assert events_after[: len(events_before)] == events_before
    assert [(event["record_type"], event["action"]) for event in new_events] == [("team", "update")]
    assert new_events[0]["changes"]["mission"]["new"] == "Kept"
    assert new_events[0]["person_id"] == world.contributor_id
    team_after = (await client.get(f"{API}/teams/{team}")).json()
    assert team_after["mission"] == "Kept"
    assert team_after["version"] == body["data"]["kept"]["version"]
