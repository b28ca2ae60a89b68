"""Tamper evidence of the audit trail: real changes through HTTP, then edits behind the API's
back straight in the database, and `GET /audit-events/verify` and `pizzabox audit verify` naming
the event that was changed, deleted or slipped in."""

import secrets
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import delete, insert, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from api.core.access import Role
from api.core.db import utcnow
from tests.audit.tampering import (
    EVENTS,
    HEADS,
    VERIFY,
    assert_named,
    behind_the_api,
    forged_event,
    links,
    longest_chain,
    make_history,
    verify,
    verify_cli,
)
from tests.factories import add_member, create_person, create_product, create_team
from tests.helpers import API, Client, app_engine, assert_problem, bearer, issue_token, list_all

# An intact trail -------------------------------------------------------------------------------


async def test_an_untouched_trail_verifies_intact(
    app: Litestar, client: Client, migrated_database: str
) -> None:
    events = await make_history(client)

    verdict = await verify(client)
    assert verdict["intact"] is True, verdict["problems"]
    assert verdict["keyed"] is False
    assert verdict["events_checked"] == len(events)
    assert verdict["chains_checked"] == 32
    assert (verdict["problems_found"], verdict["problems"], verdict["first_problem"]) == (
        0,
        [],
        None,
    )
    # The heads account for every event, and are what the database holds.
    assert len(verdict["heads"]) == 32
    assert sum(head["seq"] for head in verdict["heads"]) == len(events)
    by_place = {(item.chain, item.seq): item.digest for item in await links(app)}
    for head in verdict["heads"]:
        if head["seq"]:
            assert by_place[(head["chain"], head["seq"])] == head["digest"]

    result = await verify_cli(migrated_database)
    assert result.exit_code == 0, result.output
    assert f"intact: {len(events)} events checked in 32 chains" in result.output
    as_json = await verify_cli(migrated_database, "--json")
    assert as_json.exit_code == 0, as_json.output
    assert httpx.Response(200, content=as_json.output).json() == verdict


async def test_an_empty_trail_verifies_intact(client: Client, migrated_database: str) -> None:
    verdict = await verify(client)
    # The admin's token is the one event.
    assert (verdict["intact"], verdict["events_checked"]) == (True, 1), verdict
    assert (await verify_cli(migrated_database)).exit_code == 0


async def test_a_transaction_with_several_events_fills_one_chain_in_order(
    app: Litestar, client: Client
) -> None:
    person = await create_person(client)
    for _ in range(3):
        await add_member(client, (await create_team(client))["slug"], person["id"])
    # Archiving the person ends their three stints: four events in one transaction.
    response = await client.delete(
        f"{API}/people/{person['id']}", headers={"X-Request-ID": "one-transaction"}
    )
    assert response.status_code == 204, response.text
    written = await list_all(client, f"{API}/audit-events", limit=200)
    ids = [uuid.UUID(e["id"]) for e in written if e["request_id"] == "one-transaction"]
    assert len(ids) == 4, written
    placed = [item for item in await links(app) if item.id in ids]
    assert len({item.chain for item in placed}) == 1
    # Within the transaction, positions follow the events' time-ordered ids, without gaps.
    assert [item.id for item in placed] == sorted(ids)
    assert [item.seq for item in placed] == list(range(placed[0].seq, placed[0].seq + 4))
    assert (await verify(client))["intact"] is True


async def test_a_transaction_with_many_events_is_sealed_whole(
    app: Litestar, client: Client
) -> None:
    person = await create_person(client)
    for _ in range(20):
        await add_member(client, (await create_team(client))["slug"], person["id"])
    # Twenty stints end with the person: 21 events in one transaction, more than ride along
    # with the head's statement on PostgreSQL, so the flush inserts them itself.
    response = await client.delete(f"{API}/people/{person['id']}", headers={"X-Request-ID": "bulk"})
    assert response.status_code == 204, response.text
    written = await list_all(client, f"{API}/audit-events", limit=200)
    ids = {uuid.UUID(e["id"]) for e in written if e["request_id"] == "bulk"}
    assert len(ids) == 21
    placed = [item for item in await links(app) if item.id in ids]
    assert len({item.chain for item in placed}) == 1
    assert (await verify(client))["intact"] is True


# Tampering, caught ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"actor": "someone-else@example.com"},
        {"changes": {"stage": {"old": "idea", "new": "launched"}}},
        {"created_at": "later"},
    ],
    ids=["actor", "changes", "created_at"],
)
async def test_a_changed_event_is_named(
    app: Litestar, client: Client, migrated_database: str, change: dict[str, Any]
) -> None:
    events = await make_history(client)
    victim = uuid.UUID(events[len(events) // 2]["id"])
    if "created_at" in change:
        # An hour later: the event would then read as if it came after what followed it.
        change = {"created_at": utcnow() + timedelta(hours=1)}
    async with behind_the_api(app) as connection:
        await connection.execute(update(EVENTS).where(EVENTS.c.id == victim).values(**change))

    verdict = await assert_named(client, migrated_database, "changed", victim)
    # The rest of its chain still links to the digest it kept: one event, one problem.
    assert verdict["problems_found"] == 1, verdict["problems"]


async def test_a_changed_digest_is_named(
    app: Litestar, client: Client, migrated_database: str
) -> None:
    await make_history(client)
    chain = await longest_chain(app)
    victim = chain[0]
    async with behind_the_api(app) as connection:
        await connection.execute(
            update(EVENTS).where(EVENTS.c.id == victim.id).values(digest="0" * 64)
        )
    verdict = await assert_named(client, migrated_database, "changed", victim.id)
    # The next link was made from the digest that is gone, so it no longer checks either.
    assert {problem["event_id"] for problem in verdict["problems"]} == {
        str(victim.id),
        str(chain[1].id),
    }


async def test_reordered_events_are_named(
    app: Litestar, client: Client, migrated_database: str
) -> None:
    await make_history(client)
    first, second = (await longest_chain(app))[:2]
    async with behind_the_api(app) as connection:
        # Swap two neighbours, through a free position because each position is unique.
        for item, seq in ((first, -1), (second, first.seq), (first, second.seq)):
            await connection.execute(
                update(EVENTS).where(EVENTS.c.id == item.id).values(chain_seq=seq)
            )
    verdict = await assert_named(client, migrated_database, "changed", first.id)
    assert {problem["event_id"] for problem in verdict["problems"]} >= {
        str(first.id),
        str(second.id),
    }


async def test_a_deleted_event_is_named_by_the_one_after_it(
    app: Litestar, client: Client, migrated_database: str
) -> None:
    await make_history(client)
    chain = await longest_chain(app)
    async with behind_the_api(app) as connection:
        await connection.execute(delete(EVENTS).where(EVENTS.c.id == chain[0].id))

    verdict = await assert_named(client, migrated_database, "deleted", chain[1].id)
    assert verdict["first_problem"]["chain"] == chain[0].chain
    assert verdict["first_problem"]["seq"] == chain[0].seq
    assert verdict["problems_found"] == 1, verdict["problems"]


async def test_a_deleted_last_event_is_named_by_the_one_before_it(
    app: Litestar, client: Client, migrated_database: str
) -> None:
    await make_history(client)
    chain = await longest_chain(app)
    async with behind_the_api(app) as connection:
        await connection.execute(delete(EVENTS).where(EVENTS.c.id == chain[-1].id))

    verdict = await assert_named(client, migrated_database, "deleted", chain[-2].id)
    assert verdict["first_problem"]["seq"] == chain[-1].seq


async def test_a_deleted_tail_with_its_head_rolled_back_is_caught_by_the_head_digest(
    app: Litestar, client: Client, migrated_database: str
) -> None:
    await make_history(client)
    chain = await longest_chain(app)
    async with behind_the_api(app) as connection:
        await connection.execute(delete(EVENTS).where(EVENTS.c.id == chain[-1].id))
        # Moved back by position alone: the head still records the deleted event's digest.
        await connection.execute(
            update(HEADS).where(HEADS.c.chain == chain[-1].chain).values(seq=chain[-2].seq)
        )
    await assert_named(client, migrated_database, "changed", chain[-2].id)


@pytest.mark.parametrize("digest", ["plausible", "empty"])
async def test_a_forged_event_is_named(
    app: Litestar, client: Client, migrated_database: str, digest: str
) -> None:
    await make_history(client)
    last = (await longest_chain(app))[-1]
    forged = forged_event(
        chain=last.chain,
        chain_seq=last.seq + 1,
        digest=secrets.token_hex(32) if digest == "plausible" else "",
    )
    async with behind_the_api(app) as connection:
        await connection.execute(insert(EVENTS).values(**forged))

    verdict = await assert_named(client, migrated_database, "inserted", forged["id"])
    assert verdict["problems_found"] == 1, verdict["problems"]


async def test_a_forged_event_that_moves_its_head_is_named(
    app: Litestar, client: Client, migrated_database: str
) -> None:
    await make_history(client)
    last = (await longest_chain(app))[-1]
    forged = forged_event(chain=last.chain, chain_seq=last.seq + 1, digest=secrets.token_hex(32))
    # No trigger to switch off: moving a head forward is what writers do.
    async with app_engine(app).begin() as connection:
        await connection.execute(insert(EVENTS).values(**forged))
        await connection.execute(
            update(HEADS)
            .where(HEADS.c.chain == last.chain)
            .values(seq=last.seq + 1, digest=forged["digest"])
        )
    # Its digest was not made from the chain: as far as the trail can tell, a changed event.
    await assert_named(client, migrated_database, "changed", forged["id"])


async def test_an_event_with_no_place_in_a_chain_is_refused_by_the_database(
    app: Litestar, client: Client
) -> None:
    await make_history(client, rounds=1)
    forged = forged_event()
    with pytest.raises(IntegrityError):
        async with behind_the_api(app) as connection:
            await connection.execute(insert(EVENTS).values(**forged))
    last = (await links(app))[-1]
    with pytest.raises(IntegrityError):
        async with behind_the_api(app) as connection:
            # Someone else's position: one event per place.
            await connection.execute(
                insert(EVENTS).values(
                    **forged, chain=last.chain, chain_seq=last.seq, digest=last.digest
                )
            )
    assert (await verify(client))["intact"] is True


async def test_a_truncated_trail_is_caught(
    app: Litestar, client: Client, migrated_database: str
) -> None:
    await make_history(client)
    used = {item.chain for item in await links(app)}
    async with behind_the_api(app) as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("TRUNCATE audit_events"))
        else:
            await connection.execute(text("DELETE FROM audit_events"))

    verdict = await assert_named(client, migrated_database, "deleted", None)
    # No event is left to name: each emptied chain is named instead, from its first position.
    assert verdict["events_checked"] == 0
    assert {(p["kind"], p["chain"], p["seq"]) for p in verdict["problems"]} == {
        ("deleted", chain, 1) for chain in used
    }


async def test_the_database_refuses_to_truncate_the_trail_or_move_heads_back(
    app: Litestar, client: Client, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite has no triggers here: the rules live in the app and in verify")
    await make_history(client, rounds=1)
    chain = (await links(app))[-1].chain
    for statement, refusal in (
        ("TRUNCATE audit_events", "append-only"),
        ("TRUNCATE audit_events CASCADE", "append-only"),
        ("TRUNCATE audit_chain_heads", "only move forward"),
        ("DELETE FROM audit_chain_heads", "only move forward"),
        (f"UPDATE audit_chain_heads SET seq = 0 WHERE chain = {chain}", "only move forward"),
        (f"UPDATE audit_chain_heads SET seq = seq WHERE chain = {chain}", "only move forward"),
    ):
        with pytest.raises(DBAPIError, match=refusal):
            async with app_engine(app).begin() as connection:
                await connection.execute(text(statement))
    assert (await verify(client))["intact"] is True


# Who may verify ----------------------------------------------------------------------------


async def test_verify_takes_the_audit_right(app: Litestar, client: Client) -> None:
    person = await create_person(client)
    for role in (Role.VIEWER, Role.CONTRIBUTOR, Role.CI):
        extra: dict[str, Any] = {}
        if role == Role.CONTRIBUTOR:
            extra["person_id"] = person["id"]
        if role == Role.CI:
            extra["products"] = [(await create_product(client))["slug"]]
        token = await issue_token(app, role, **extra)
        assert_problem(await client.get(VERIFY, headers=bearer(token)), 403)
    reviewer = await issue_token(app, Role.SECURITY_REVIEWER, person_id=person["id"])
    assert (await verify(client, reviewer))["intact"] is True
    anonymous = {"Authorization": ""}
    assert_problem(await client.get(VERIFY, headers=anonymous), 401)
    assert_problem(await client.get(VERIFY, headers=bearer("pzb_" + "x" * 43)), 401)
