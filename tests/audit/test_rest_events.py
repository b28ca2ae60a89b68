"""The audit trail, as a client sees it: one event per change, filters, history, immutability."""

import itertools
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.core.access import Role
from tests.factories import add_member, create_person, create_product, create_team, seed_people
from tests.graphql import error_fields, gql_data, gql_error
from tests.helpers import (
    API,
    Client,
    app_engine,
    assert_problem,
    bearer,
    count_statements,
    issue_token,
    list_all,
    list_statements,
)

AUDIT = f"{API}/audit-events"
Event = dict[str, Any]

_request_numbers = itertools.count(1)


def new_request_id() -> str:
    """An X-Request-ID no other request in the run sends."""
    return f"audit-test-{uuid.uuid4().hex[:12]}-{next(_request_numbers)}"


async def all_events(client: Client, **params: Any) -> list[Event]:
    """Every audit event matching the filters, following cursors."""
    return await list_all(client, AUDIT, limit=200, **params)


async def events_of(client: Client, request_id: str) -> list[Event]:
    """The events a request wrote, found by its request id."""
    return [event for event in await all_events(client) if event["request_id"] == request_id]


@dataclass
class Sent:
    """A request and the audit events it left behind."""

    response: httpx.Response
    events: list[Event]
    request_id: str
    sent_at: datetime
    done_at: datetime

    def only_event(self) -> Event:
        """The single event the request wrote."""
        assert len(self.events) == 1, self.events
        return self.events[0]


async def send(
    client: Client,
    method: str,
    path: str,
    *,
    token: str | None = None,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
) -> Sent:
    """Send one request with its own X-Request-ID and collect the events it wrote."""
    request_id = new_request_id()
    all_headers = {"X-Request-ID": request_id, **(headers or {})}
    if token is not None:
        all_headers.update(bearer(token))
    sent_at = datetime.now(UTC)
    response = await client.request(method, path, json=json_body, headers=all_headers)
    done_at = datetime.now(UTC)
    assert response.headers["x-request-id"] == request_id
    return Sent(response, await events_of(client, request_id), request_id, sent_at, done_at)


async def mutate(
    client: Client, document: str, *, token: str | None = None, **variables: Any
) -> Sent:
    """Run a GraphQL document with its own request id; collect the events it wrote."""
    return await send(
        client,
        "POST",
        "/graphql",
        token=token,
        json_body={"query": document, "variables": variables},
    )


@dataclass(frozen=True)
class Caller:
    """Who a token acts as, as the audit trail should name it."""

    token: str
    token_id: str
    actor: str
    person_id: str | None


async def caller(client: Client, token: str | None = None) -> Caller:
    """The identity behind a token (the admin client's own when not given)."""
    response = await client.get(f"{API}/me", headers=bearer(token) if token else None)
    assert response.status_code == 200, response.text
    me = response.json()
    secret = token or str(client.headers["Authorization"]).removeprefix("Bearer ")
    return Caller(
        token=secret,
        token_id=me["token_id"],
        actor=me["person_email"] or me["name"],
        person_id=me["person_id"],
    )


async def person_caller(app: Litestar, client: Client) -> Caller:
    """An admin token that acts as a person, so events name that person."""
    person = await create_person(client)
    token = await issue_token(app, Role.ADMIN, person_id=person["id"], name="portal")
    return await caller(client, token)


def created(**fields: Any) -> dict[str, Any]:
    """The `changes` of a create: every given field, from nothing."""
    return {name: {"old": None, "new": value} for name, value in fields.items()}


def check_event(
    sent: Sent,
    who: Caller,
    *,
    action: str,
    record_type: str,
    record_id: str,
    changes: dict[str, Any] | None = None,
    parent: str | None = None,
) -> Event:
    """The request wrote exactly one change event, naming the caller and the record."""
    event = sent.only_event()
    assert event["kind"] == "change"
    assert event["action"] == action, event
    assert event["record_type"] == record_type, event
    assert event["record_id"] == record_id
    assert event["actor"] == who.actor
    assert event["token_id"] == who.token_id
    assert event["person_id"] == who.person_id
    assert event["request_id"] == sent.request_id
    occurred = datetime.fromisoformat(event["occurred_at"])
    assert occurred.tzinfo is not None
    slack = timedelta(seconds=1)
    assert sent.sent_at - slack <= occurred <= sent.done_at + slack
    if parent is None:
        assert event["parent_type"] is None
        assert event["parent_id"] is None
    else:
        assert event["parent_type"] == "team"
        assert event["parent_id"] == parent
    if changes is not None:
        assert event["changes"] == changes
    return event


def archived_at_change(event: Event, response_body: dict[str, Any] | None = None) -> None:
    """An archive changes `archived_at` from nothing to a moment, and nothing else."""
    assert set(event["changes"]) == {"archived_at"}, event["changes"]
    assert event["changes"]["archived_at"]["old"] is None
    datetime.fromisoformat(event["changes"]["archived_at"]["new"])


# One event per change, through REST ----------------------------------------------------------


async def test_rest_people_teams_and_memberships_write_one_event_per_change(
    app: Litestar, client: Client
) -> None:
    who = await person_caller(app, client)
    today = date.today().isoformat()

    sent = await send(
        client,
        "POST",
        f"{API}/people",
        token=who.token,
        json_body={
            "email": "grace@example.com",
            "name": "Grace",
            "job_family": "engineering",
            "home_org": "platform",
        },
    )
    assert sent.response.status_code == 201, sent.response.text
    grace = sent.response.json()
    check_event(
        sent,
        who,
        action="create",
        record_type="person",
        record_id=grace["id"],
        changes=created(
            email="grace@example.com", name="Grace", job_family="engineering", home_org="platform"
        ),
    )

    sent = await send(
        client,
        "PATCH",
        f"{API}/people/{grace['id']}",
        token=who.token,
        json_body={"name": "Grace Hopper", "home_org": "platform"},
    )
    assert sent.response.status_code == 200, sent.response.text
    # home_org was sent unchanged: only the field that changed is recorded.
    check_event(
        sent,
        who,
        action="update",
        record_type="person",
        record_id=grace["id"],
        changes={"name": {"old": "Grace", "new": "Grace Hopper"}},
    )

    sent = await send(
        client,
        "POST",
        f"{API}/teams",
        token=who.token,
        json_body={"slug": "compilers", "name": "Compilers", "org": "platform"},
    )
    assert sent.response.status_code == 201, sent.response.text
    team = sent.response.json()
    check_event(
        sent,
        who,
        action="create",
        record_type="team",
        record_id=team["id"],
        changes=created(slug="compilers", name="Compilers", mission="", org="platform"),
    )

    sent = await send(
        client,
        "PATCH",
        f"{API}/teams/compilers",
        token=who.token,
        json_body={"mission": "Translate"},
    )
    assert sent.response.status_code == 200, sent.response.text
    check_event(
        sent,
        who,
        action="update",
        record_type="team",
        record_id=team["id"],
        changes={"mission": {"old": "", "new": "Translate"}},
    )

    sent = await send(
        client,
        "POST",
        f"{API}/teams/compilers/members",
        token=who.token,
        json_body={"person_id": grace["id"], "role": "lead", "allocation_percent": 50},
    )
    assert sent.response.status_code == 201, sent.response.text
    membership = sent.response.json()
    check_event(
        sent,
        who,
        action="create",
        record_type="membership",
        record_id=membership["id"],
        parent=team["id"],
        changes=created(
            team_id=team["id"],
            person_id=grace["id"],
            role="lead",
            allocation_percent=50,
            start_date=today,
        ),
    )

    sent = await send(
        client,
        "PATCH",
        f"{API}/teams/compilers/members/{grace['id']}",
        token=who.token,
        json_body={"allocation_percent": 80},
    )
    assert sent.response.status_code == 200, sent.response.text
    check_event(
        sent,
        who,
        action="update",
        record_type="membership",
        record_id=membership["id"],
        parent=team["id"],
        changes={"allocation_percent": {"old": 50, "new": 80}},
    )

    sent = await send(
        client, "DELETE", f"{API}/teams/compilers/members/{grace['id']}", token=who.token
    )
    assert sent.response.status_code == 204, sent.response.text
    check_event(
        sent,
        who,
        action="end",
        record_type="membership",
        record_id=membership["id"],
        parent=team["id"],
        changes={"end_date": {"old": None, "new": today}},
    )

    sent = await send(client, "DELETE", f"{API}/teams/compilers", token=who.token)
    assert sent.response.status_code == 204, sent.response.text
    event = check_event(sent, who, action="archive", record_type="team", record_id=team["id"])
    archived_at_change(event)

    sent = await send(client, "DELETE", f"{API}/people/{grace['id']}", token=who.token)
    assert sent.response.status_code == 204, sent.response.text
    event = check_event(sent, who, action="archive", record_type="person", record_id=grace["id"])
    archived_at_change(event)

    # Archiving again changes nothing, so it records nothing.
    sent = await send(client, "DELETE", f"{API}/teams/compilers", token=who.token)
    assert sent.response.status_code == 204, sent.response.text
    assert sent.events == []


async def test_archiving_a_person_records_the_memberships_it_ends(
    app: Litestar, client: Client
) -> None:
    who = await person_caller(app, client)
    team = await create_team(client)
    person = await create_person(client)
    membership = await add_member(client, team["slug"], person["id"])

    sent = await send(client, "DELETE", f"{API}/people/{person['id']}", token=who.token)
    assert sent.response.status_code == 204, sent.response.text
    by_type = {event["record_type"]: event for event in sent.events}
    assert len(sent.events) == 2, sent.events
    assert by_type["person"]["action"] == "archive"
    assert by_type["membership"]["action"] == "end"
    assert by_type["membership"]["record_id"] == membership["id"]
    assert by_type["membership"]["parent_id"] == team["id"]
    assert {event["actor"] for event in sent.events} == {who.actor}


async def test_rest_products_write_one_event_per_change(app: Litestar, client: Client) -> None:
    who = await person_caller(app, client)
    first = await create_team(client)
    second = await create_team(client)

    sent = await send(
        client,
        "POST",
        f"{API}/products",
        token=who.token,
        json_body={
            "slug": "ledger",
            "name": "Ledger",
            "team": first["slug"],
            "data_classification": "confidential",
            "target_launch_date": "2031-05-01",
        },
    )
    assert sent.response.status_code == 201, sent.response.text
    product = sent.response.json()
    check_event(
        sent,
        who,
        action="create",
        record_type="product",
        record_id=product["id"],
        changes=created(
            slug="ledger",
            name="Ledger",
            summary="",
            team_id=first["id"],
            stage="idea",
            data_classification="confidential",
            target_launch_date="2031-05-01",
        ),
    )

    sent = await send(
        client,
        "PATCH",
        f"{API}/products/ledger",
        token=who.token,
        json_body={
            "stage": "prfaq_review",
            "team": second["slug"],
            "target_launch_date": None,
            "data_classification": "confidential",
        },
        headers={"If-Match": sent.response.headers["etag"]},
    )
    assert sent.response.status_code == 200, sent.response.text
    check_event(
        sent,
        who,
        action="update",
        record_type="product",
        record_id=product["id"],
        changes={
            "stage": {"old": "idea", "new": "prfaq_review"},
            "team_id": {"old": first["id"], "new": second["id"]},
            "target_launch_date": {"old": "2031-05-01", "new": None},
        },
    )

    sent = await send(client, "DELETE", f"{API}/products/ledger", token=who.token)
    assert sent.response.status_code == 204, sent.response.text
    event = check_event(sent, who, action="archive", record_type="product", record_id=product["id"])
    archived_at_change(event)


async def test_rest_tokens_write_events_without_their_secrets(
    app: Litestar, client: Client
) -> None:
    who = await person_caller(app, client)
    product = await create_product(client)

    sent = await send(
        client,
        "POST",
        f"{API}/tokens",
        token=who.token,
        json_body={"name": "deploy-pipeline", "role": "ci", "products": [product["slug"]]},
    )
    assert sent.response.status_code == 201, sent.response.text
    token = sent.response.json()
    secret = token["token"]
    event = check_event(sent, who, action="create", record_type="token", record_id=token["id"])
    assert event["changes"]["name"] == {"old": None, "new": "deploy-pipeline"}
    assert event["changes"]["role"] == {"old": None, "new": "ci"}
    assert event["changes"]["created_by"] == {"old": None, "new": who.actor}
    assert "secret_hash" not in event["changes"]
    assert "last_used_at" not in event["changes"]
    assert secret not in json.dumps(event)
    assert secret[LOOKUP_END:] not in json.dumps(event)

    # Using the new token is not a change of it: no event, though `last_used_at` moves.
    used = await send(client, "GET", f"{API}/products/{product['slug']}", token=secret)
    assert used.response.status_code == 200, used.response.text
    assert used.events == []

    sent = await send(client, "DELETE", f"{API}/tokens/{token['id']}", token=who.token)
    assert sent.response.status_code == 204, sent.response.text
    event = check_event(sent, who, action="revoke", record_type="token", record_id=token["id"])
    assert set(event["changes"]) == {"revoked_at"}
    assert event["changes"]["revoked_at"]["old"] is None

    # Nothing anywhere in the trail holds the secret or its hash.
    trail = json.dumps(await all_events(client))
    assert secret not in trail
    assert "secret_hash" not in trail


# The secret's characters after the lookup prefix that lists show (`pzb_` and 12 more).
LOOKUP_END = 16


# One event per change, through GraphQL -------------------------------------------------------

CREATE_PERSON = """
mutation($email: String!) {
  createPerson(input: {email: $email, name: "Linus", jobFamily: ENGINEERING, homeOrg: "kernel"})
  { id }
}
"""
UPDATE_PERSON = 'mutation($id: UUID!) { updatePerson(input: {id: $id, homeOrg: "git"}) { id } }'
ARCHIVE_PERSON = "mutation($id: UUID!) { archivePerson(input: {id: $id}) { id archivedAt } }"
CREATE_TEAM = 'mutation { createTeam(input: {slug: "kernel", name: "Kernel", org: "os"}) { id } }'
UPDATE_TEAM = 'mutation { updateTeam(input: {slug: "kernel", name: "The Kernel"}) { id } }'
ARCHIVE_TEAM = 'mutation { archiveTeam(input: {slug: "kernel"}) { id archivedAt } }'
ADD_MEMBER = """
mutation($p: UUID!) {
  addTeamMember(input: {team: "kernel", personId: $p, role: ENGINEER, allocationPercent: 40})
  { id }
}
"""
UPDATE_MEMBER = """
mutation($p: UUID!) {
  updateTeamMember(input: {team: "kernel", personId: $p, role: LEAD}) { id }
}
"""
END_MEMBER = (
    'mutation($p: UUID!) { endTeamMembership(input: {team: "kernel", personId: $p}) { id } }'
)
CREATE_PRODUCT = """
mutation {
  createProduct(input: {slug: "scheduler", name: "Scheduler", team: "kernel",
                        dataClassification: INTERNAL}) { id }
}
"""
UPDATE_PRODUCT = """
mutation {
  updateProduct(input: {slug: "scheduler", summary: "Fair", stage: PRFAQ_REVIEW}) { id }
}
"""
ARCHIVE_PRODUCT = 'mutation { archiveProduct(input: {slug: "scheduler"}) { id archivedAt } }'


def mutation_result(sent: Sent, field: str) -> dict[str, Any]:
    """The record a successful mutation returned."""
    assert sent.response.status_code == 200, sent.response.text
    body = sent.response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][field]
    return result


async def test_graphql_mutations_write_one_event_each_naming_a_service_token(
    client: Client,
) -> None:
    who = await caller(client)
    assert who.person_id is None
    assert who.actor == "test-admin"

    sent = await mutate(client, CREATE_PERSON, email="linus@example.com")
    person = mutation_result(sent, "createPerson")
    check_event(
        sent,
        who,
        action="create",
        record_type="person",
        record_id=person["id"],
        changes=created(
            email="linus@example.com", name="Linus", job_family="engineering", home_org="kernel"
        ),
    )
    sent = await mutate(client, UPDATE_PERSON, id=person["id"])
    mutation_result(sent, "updatePerson")
    check_event(
        sent,
        who,
        action="update",
        record_type="person",
        record_id=person["id"],
        changes={"home_org": {"old": "kernel", "new": "git"}},
    )

    sent = await mutate(client, CREATE_TEAM)
    team = mutation_result(sent, "createTeam")
    check_event(sent, who, action="create", record_type="team", record_id=team["id"])
    sent = await mutate(client, UPDATE_TEAM)
    mutation_result(sent, "updateTeam")
    check_event(
        sent,
        who,
        action="update",
        record_type="team",
        record_id=team["id"],
        changes={"name": {"old": "Kernel", "new": "The Kernel"}},
    )

    sent = await mutate(client, ADD_MEMBER, p=person["id"])
    membership = mutation_result(sent, "addTeamMember")
    event = check_event(
        sent,
        who,
        action="create",
        record_type="membership",
        record_id=membership["id"],
        parent=team["id"],
    )
    assert event["changes"]["allocation_percent"] == {"old": None, "new": 40}
    sent = await mutate(client, UPDATE_MEMBER, p=person["id"])
    mutation_result(sent, "updateTeamMember")
    check_event(
        sent,
        who,
        action="update",
        record_type="membership",
        record_id=membership["id"],
        parent=team["id"],
        changes={"role": {"old": "engineer", "new": "lead"}},
    )
    sent = await mutate(client, END_MEMBER, p=person["id"])
    mutation_result(sent, "endTeamMembership")
    check_event(
        sent,
        who,
        action="end",
        record_type="membership",
        record_id=membership["id"],
        parent=team["id"],
        changes={"end_date": {"old": None, "new": date.today().isoformat()}},
    )

    sent = await mutate(client, CREATE_PRODUCT)
    product = mutation_result(sent, "createProduct")
    event = check_event(sent, who, action="create", record_type="product", record_id=product["id"])
    assert event["changes"]["team_id"] == {"old": None, "new": team["id"]}
    sent = await mutate(client, UPDATE_PRODUCT)
    mutation_result(sent, "updateProduct")
    check_event(
        sent,
        who,
        action="update",
        record_type="product",
        record_id=product["id"],
        changes={
            "summary": {"old": "", "new": "Fair"},
            "stage": {"old": "idea", "new": "prfaq_review"},
        },
    )
    sent = await mutate(client, ARCHIVE_PRODUCT)
    mutation_result(sent, "archiveProduct")
    archived_at_change(
        check_event(sent, who, action="archive", record_type="product", record_id=product["id"])
    )

    sent = await mutate(client, ARCHIVE_TEAM)
    mutation_result(sent, "archiveTeam")
    archived_at_change(
        check_event(sent, who, action="archive", record_type="team", record_id=team["id"])
    )
    sent = await mutate(client, ARCHIVE_PERSON, id=person["id"])
    mutation_result(sent, "archivePerson")
    archived_at_change(
        check_event(sent, who, action="archive", record_type="person", record_id=person["id"])
    )


async def test_graphql_events_name_the_person_a_token_acts_as(
    app: Litestar, client: Client
) -> None:
    who = await person_caller(app, client)
    sent = await mutate(client, CREATE_TEAM, token=who.token)
    team = mutation_result(sent, "createTeam")
    check_event(sent, who, action="create", record_type="team", record_id=team["id"])
    assert who.person_id is not None
    assert who.actor.endswith("@example.com")


# Failed changes leave nothing -----------------------------------------------------------------


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


async def test_a_failed_graphql_mutation_leaves_neither_change_nor_event(client: Client) -> None:
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


# Reading the trail ----------------------------------------------------------------------------


@dataclass
class Portfolio:
    """A small history to filter: two teams, a roster, products, and a person's changes."""

    who: Caller
    team: dict[str, Any]
    other_team: dict[str, Any]
    product: dict[str, Any]
    member: dict[str, Any]
    membership: dict[str, Any]


async def build_portfolio(app: Litestar, client: Client) -> Portfolio:
    """Changes by the admin client and by a person, on two teams."""
    who = await person_caller(app, client)
    team = await create_team(client, slug="atlas")
    other_team = await create_team(client, slug="boreas")
    member = await create_person(client)
    membership = await add_member(client, "atlas", member["id"])
    headers = bearer(who.token)
    response = await client.patch(
        f"{API}/teams/atlas/members/{member['id']}", json={"role": "lead"}, headers=headers
    )
    assert response.status_code == 200, response.text
    product = await create_product(client, team="atlas", slug="globe")
    response = await client.patch(
        f"{API}/products/globe", json={"summary": "Round"}, headers=headers
    )
    assert response.status_code == 200, response.text
    await create_product(client, team="boreas", slug="wind")
    response = await client.patch(f"{API}/teams/boreas", json={"org": "weather"}, headers=headers)
    assert response.status_code == 200, response.text
    return Portfolio(who, team, other_team, product, member, membership)


def ids(events: list[Event]) -> list[str]:
    """The events' ids, in order."""
    return [event["id"] for event in events]


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
        ({"record_type": "membership"}, {"recordType": "membership"}),
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
    assert node["parentType"] == "team"
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


HISTORIES = """
query($team: String!, $product: String!, $first: Int, $after: String) {
  team(slug: $team) {
    history(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id action recordType } }
    }
  }
  product(slug: $product) {
    history { totalCount edges { node { id action recordType changes } } }
  }
}
"""


async def test_team_and_product_history(app: Litestar, client: Client) -> None:
    portfolio = await build_portfolio(app, client)
    response = await client.delete(f"{API}/teams/atlas/members/{portfolio.member['id']}")
    assert response.status_code == 204

    team_history = await list_all(client, f"{API}/teams/atlas/history", limit=2)
    assert [(event["record_type"], event["action"]) for event in team_history] == [
        ("team", "create"),
        ("membership", "create"),
        ("membership", "update"),
        ("membership", "end"),
    ]
    assert ids(team_history) == ids(await all_events(client, record_id=portfolio.team["id"]))
    product_history = await list_all(client, f"{API}/products/globe/history")
    assert [event["action"] for event in product_history] == ["create", "update"]
    assert product_history[1]["changes"] == {
        "summary": {"old": "Does one thing well", "new": "Round"}
    }
    assert product_history[1]["actor"] == portfolio.who.actor
    assert_problem(await client.get(f"{API}/teams/nowhere/history"), 404)
    assert_problem(await client.get(f"{API}/products/nowhere/history"), 404)

    data = await gql_data(client, HISTORIES, team="atlas", product="globe", first=3)
    history = data["team"]["history"]
    assert history["totalCount"] == 4
    assert history["pageInfo"]["hasNextPage"] is True
    rest_of = await gql_data(
        client,
        HISTORIES,
        team="atlas",
        product="globe",
        first=3,
        after=history["pageInfo"]["endCursor"],
    )
    nodes = [edge["node"] for edge in history["edges"]] + [
        edge["node"] for edge in rest_of["team"]["history"]["edges"]
    ]
    assert [node["id"] for node in nodes] == ids(team_history)
    product = data["product"]["history"]
    assert [edge["node"]["id"] for edge in product["edges"]] == ids(product_history)
    assert product["totalCount"] == 2

    # An archived record keeps its history, and the archive is part of it.
    assert (await client.delete(f"{API}/products/globe")).status_code == 204
    archived = await list_all(client, f"{API}/products/globe/history")
    assert [event["action"] for event in archived] == ["create", "update", "archive"]


async def test_history_of_many_teams_costs_the_same_as_of_a_few(
    app: Litestar, client: Client
) -> None:
    query = (
        "{ teams(first: 50) { edges { node { slug history(first: 5) { totalCount edges "
        "{ node { action } } } } } } }"
    )
    engine = app_engine(app)

    async def statements(teams: int) -> int:
        for _ in range(teams):
            await create_team(client)
        await gql_data(client, query)
        with count_statements(engine) as counter:
            data = await gql_data(client, query)
        assert all(edge["node"]["history"]["totalCount"] == 1 for edge in data["teams"]["edges"])
        return counter.count

    few = await statements(2)
    many = await statements(18)
    assert many == few, f"{few} statements for 2 teams, {many} for 20"


# Who may read it, and nobody may change it ----------------------------------------------------


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


# Sensitive reads ------------------------------------------------------------------------------


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


# Cost -----------------------------------------------------------------------------------------


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
