"""The audit events a request wrote, and who they should name: shared by the audit trail's tests."""

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from litestar import Litestar

from api.core.access import Role
from tests.factories import add_member, create_person, create_product, create_team
from tests.helpers import API, Client, bearer, issue_token, list_all

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
