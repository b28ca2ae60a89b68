"""One audit event per change through REST, naming who made it, and never a token's secret."""

import json
from datetime import date

from litestar import Litestar

from tests.audit.events import (
    all_events,
    archived_at_change,
    check_event,
    created,
    person_caller,
    send,
)
from tests.factories import add_member, create_person, create_product, create_team
from tests.helpers import API, Client

# The secret's characters after the lookup prefix that lists show (`pzb_` and 12 more).
LOOKUP_END = 16


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
