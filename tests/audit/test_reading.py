"""Reading the trail: filters by record, actor, kind and time, pages, GraphQL agreeing with REST,
and a cost that does not grow with the events listed."""

from datetime import datetime, timedelta, timezone
from typing import Any

from litestar import Litestar

from tests.audit.events import AUDIT, Event, all_events, build_portfolio, ids
from tests.factories import create_person, seed_people
from tests.graphql import error_fields, gql_data, gql_error
from tests.helpers import API, Client, app_engine, assert_problem, count_statements, list_statements


async def test_filters_by_record_type_record_actor_and_kind(app: Litestar, client: Client) -> None:
    portfolio = await build_portfolio(app, client)
    everything = await all_events(client)
    assert ids(everything) == sorted(ids(everything)), "oldest first"

    products = await all_events(client, record_type="product")
    assert {event["record_type"] for event in products} == {"product"}
    assert len(products) == 3  # two creates and one update

    atlas = await all_events(client, record_id=portfolio.team["id"])
    assert [(event["record_type"], event["action"]) for event in atlas] == [
        ("team", "create"),
        ("membership", "create"),
        ("membership", "update"),
    ]
    assert all(
        event["record_id"] == portfolio.team["id"] or event["parent_id"] == portfolio.team["id"]
        for event in atlas
    )
    roster = await all_events(client, record_id=portfolio.team["id"], record_type="membership")
    assert ids(roster) == ids(atlas)[1:]
    globe = await all_events(client, record_id=portfolio.product["id"])
    assert [event["action"] for event in globe] == ["create", "update"]

    by_person = await all_events(client, actor=portfolio.who.actor)
    assert [(event["record_type"], event["action"]) for event in by_person] == [
        ("membership", "update"),
        ("product", "update"),
        ("team", "update"),
    ]
    assert await all_events(client, actor="nobody@example.com") == []

    response = await client.get(f"{API}/tokens")
    assert response.status_code == 200
    access = await all_events(client, kind="access")
    assert [event["action"] for event in access] == ["read"]
    changes = await all_events(client, kind="change")
    assert ids(changes) == ids(everything)
    assert_problem(await client.get(AUDIT, params={"kind": "delete"}), (400, 422), field="kind")
    assert_problem(
        await client.get(AUDIT, params={"record_id": "not a uuid!"}), (400, 422), field="record_id"
    )


async def test_filters_by_time(app: Litestar, client: Client) -> None:
    await build_portfolio(app, client)
    everything = await all_events(client)
    middle = everything[len(everything) // 2]
    moment = datetime.fromisoformat(middle["occurred_at"])
    earlier = datetime.fromisoformat(everything[len(everything) // 2 - 1]["occurred_at"])
    assert earlier < moment, "events of separate requests have distinct times"
    # The same instant written with another offset means the same thing.
    elsewhere = moment.astimezone(timezone(timedelta(hours=5, minutes=30)))

    for written in (moment.isoformat(), elsewhere.isoformat()):
        since = await all_events(client, since=written)
        assert since[0]["id"] == middle["id"], "since is inclusive"
        assert ids(since) == [
            event["id"]
            for event in everything
            if datetime.fromisoformat(event["occurred_at"]) >= moment
        ]
        until = await all_events(client, until=written)
        assert middle["id"] not in ids(until), "until is exclusive"
        assert ids(until) + ids(since) == ids(everything)

    window = await all_events(
        client,
        since=(moment - timedelta(microseconds=1)).isoformat(),
        until=(moment + timedelta(microseconds=1)).isoformat(),
    )
    assert ids(window) == [middle["id"]]
    assert await all_events(client, since="2999-01-01T00:00:00Z") == []
    assert await all_events(client, until="2000-01-01T00:00:00Z") == []

    for field, value in (
        ("since", "yesterday"),
        ("since", "2027-01-01T00:00:00"),  # no offset: which zone?
        ("until", "2027-13-01T00:00:00Z"),
        ("until", "1700000000"),
    ):
        assert_problem(await client.get(AUDIT, params={field: value}), 422, field=field)
    same = "2027-01-01T00:00:00Z"
    assert_problem(await client.get(AUDIT, params={"since": same, "until": same}), 422)
    reversed_window = {"since": "2027-01-02T00:00:00Z", "until": "2027-01-01T00:00:00+00:00"}
    problem = assert_problem(await client.get(AUDIT, params=reversed_window), 422)
    assert {error["field"] for error in problem["errors"]} & {"since", "until"}


async def test_pages_follow_cursors(client: Client) -> None:
    for _ in range(5):
        await create_person(client)
    everything = await all_events(client)
    assert len(everything) == 6  # the admin token's creation, then five people

    seen: list[Event] = []
    cursor: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        response = await client.get(AUDIT, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything

    assert_problem(await client.get(AUDIT, params={"cursor": "not-ours"}), 400, field="cursor")
    assert_problem(await client.get(AUDIT, params={"limit": 0}), (400, 422), field="limit")
    assert_problem(await client.get(AUDIT, params={"limit": 201}), (400, 422), field="limit")


AUDIT_EVENTS = """
query($filter: AuditEventsFilterInput, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id occurredAt kind action recordType recordId parentType parentId actor tokenId personId
      requestId changes
    } }
  }
}
"""


async def graphql_events(client: Client, **filters: Any) -> list[Event]:
    """Every event `auditEvents(filter:)` returns, following cursors, in REST's shape."""
    events: list[Event] = []
    after: str | None = None
    for _ in range(100):
        data = await gql_data(client, AUDIT_EVENTS, filter=filters, first=3, after=after)
        connection = data["auditEvents"]
        events.extend(edge["node"] for edge in connection["edges"])
        if not connection["pageInfo"]["hasNextPage"]:
            assert connection["totalCount"] == len(events)
            return events
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError("auditEvents never reached its last page")


async def test_graphql_audit_events_match_rest(app: Litestar, client: Client) -> None:
    portfolio = await build_portfolio(app, client)
    await client.get(f"{API}/tokens")
    everything = await all_events(client)
    moment = everything[3]["occurred_at"]

    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({}, {}),
        ({"record_type": "membership"}, {"recordType": "MEMBERSHIP"}),
        ({"record_id": portfolio.team["id"]}, {"recordId": portfolio.team["id"]}),
        ({"actor": portfolio.who.actor}, {"actor": portfolio.who.actor}),
        ({"kind": "access"}, {"kind": "ACCESS"}),
        ({"kind": "change"}, {"kind": "CHANGE"}),
        ({"since": moment}, {"since": moment}),
        ({"until": moment}, {"until": moment}),
    ]
    for rest_filter, graphql_filter in cases:
        rest = await all_events(client, **rest_filter)
        graphql = await graphql_events(client, **graphql_filter)
        assert ids(graphql) == ids(rest), rest_filter
    node = (await graphql_events(client, recordId=portfolio.membership["id"]))[-1]
    rest_event = (await all_events(client, record_id=portfolio.membership["id"]))[-1]
    assert node["changes"] == rest_event["changes"] == {"role": {"old": "engineer", "new": "lead"}}
    assert node["actor"] == portfolio.who.actor
    assert node["tokenId"] == portfolio.who.token_id
    assert node["personId"] == portfolio.who.person_id
    assert node["parentType"] == "TEAM"
    assert node["parentId"] == portfolio.team["id"]
    assert node["kind"] == "CHANGE"
    assert datetime.fromisoformat(node["occurredAt"]) == datetime.fromisoformat(
        rest_event["occurred_at"]
    )

    error = await gql_error(
        client,
        AUDIT_EVENTS,
        "BAD_USER_INPUT",
        filter={"since": "2027-01-02T00:00:00Z", "until": "2027-01-01T00:00:00Z"},
    )
    assert set(error_fields(error)) & {"since", "until"}
    await gql_error(client, AUDIT_EVENTS, "BAD_USER_INPUT", filter={"since": "yesterday"})
    await gql_error(client, AUDIT_EVENTS, "BAD_USER_INPUT", first=201)


async def test_a_naive_graphql_time_filter_is_bad_input(client: Client) -> None:
    # REST refuses a time without an offset; GraphQL must not answer it with a server error.
    body = await gql_data_or_errors(
        client, AUDIT_EVENTS, filter={"since": "2027-01-01T00:00:00"}, first=5
    )
    if "errors" in body:
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    else:
        assert body["data"]["auditEvents"]["edges"] == []


async def gql_data_or_errors(client: Client, query: str, **variables: Any) -> dict[str, Any]:
    """The whole GraphQL body, whatever it holds."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_listing_events_costs_the_same_for_10_and_200(app: Litestar, client: Client) -> None:
    engine = app_engine(app)
    query = "{ auditEvents(first: 200) { totalCount edges { node { id actor changes } } } }"

    async def graphql_statements(expect: int) -> int:
        with count_statements(engine) as counter:
            data = await gql_data(client, query)
        assert len(data["auditEvents"]["edges"]) == expect
        return counter.count

    # Each seeded person writes one event; the admin's token wrote the first.
    await seed_people(app, 9)
    few = await list_statements(client, engine, AUDIT, expect_items=10)
    few_graphql = await graphql_statements(10)
    await seed_people(app, 190)
    many = await list_statements(client, engine, AUDIT, expect_items=200)
    assert many == few
    assert await graphql_statements(200) == few_graphql
