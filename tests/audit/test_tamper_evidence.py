"""Tamper evidence of the audit trail: real changes through HTTP, then edits behind the API's
back straight in the database, and `GET /audit-events/verify` and `pizzabox audit verify` naming
the event that was changed, deleted or slipped in."""

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from click.testing import CliRunner, Result
from litestar import Litestar
from pydantic import SecretStr
from sqlalchemy import Table, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from api import migrate
from api.app import create_app
from api.audit.chain import PUBLIC_KEY, genesis, genesis_heads, link, signing_key
from api.audit.models import AuditChainHead, AuditEvent
from api.audit.trail import attach_principal
from api.cli import main
from api.core.access import SYSTEM, Role
from api.core.config import Settings, get_settings
from api.core.db import utcnow, uuid7
from api.teams.models import Team
from tests.conftest import empty_tables
from tests.factories import add_member, create_person, create_product, create_team
from tests.helpers import (
    API,
    Client,
    app_engine,
    assert_problem,
    bearer,
    issue_token,
    list_all,
    running_lifespan,
)

VERIFY = f"{API}/audit-events/verify"
EVENTS: Table = AuditEvent.__table__  # type: ignore[attr-defined]
HEADS: Table = AuditChainHead.__table__  # type: ignore[attr-defined]
SECRET_KEY = "test-audit-key-" + "k" * 32
# The revision before the chains: a trail written then must verify intact after the upgrade.
BEFORE_CHAINS = "c41f0e2a9d15"


@dataclass(frozen=True)
class Link:
    """One event's place in the trail, as the database holds it."""

    id: uuid.UUID
    chain: int
    seq: int
    digest: str


# Making history, and tampering with it --------------------------------------------------------


async def make_history(client: Client, rounds: int = 12) -> list[dict[str, Any]]:
    """Real changes through HTTP; more transactions than chains, so some chain gets several."""
    for _ in range(rounds):
        team = await create_team(client)
        await create_person(client)
        await create_product(client, team=team["slug"])
    return await list_all(client, f"{API}/audit-events", limit=200)


async def links(app: Litestar) -> list[Link]:
    """Every event's chain, position and digest, in chain order."""
    async with app_engine(app).connect() as connection:
        rows = await connection.execute(
            select(EVENTS.c.id, EVENTS.c.chain, EVENTS.c.chain_seq, EVENTS.c.digest).order_by(
                EVENTS.c.chain, EVENTS.c.chain_seq
            )
        )
        return [Link(*row) for row in rows]


async def longest_chain(app: Litestar) -> list[Link]:
    """The events of the chain that holds the most."""
    by_chain: dict[int, list[Link]] = {}
    for item in await links(app):
        by_chain.setdefault(item.chain, []).append(item)
    chain = max(by_chain.values(), key=len)
    assert len(chain) >= 2, "no chain has two events; make more history"
    return chain


@asynccontextmanager
async def behind_the_api(app: Litestar) -> AsyncIterator[AsyncConnection]:
    """A transaction straight on the database, as someone with its password would write.

    On PostgreSQL the trail's triggers are switched off first, as a superuser may.
    """
    async with app_engine(app).begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
        yield connection


def forged_event(**fields: Any) -> dict[str, Any]:
    """An event row that looks like one the API writes."""
    now = utcnow()
    return {
        "id": uuid7(),
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "kind": "change",
        "action": "update",
        "record_type": "product",
        "record_id": str(uuid.uuid4()),
        "parent_type": None,
        "parent_id": None,
        "actor": "ceo@example.com",
        "token_id": None,
        "person_id": None,
        "request_id": None,
        "changes": {"stage": {"old": "idea", "new": "launched"}},
        **fields,
    }


async def rechain(connection: AsyncConnection, chain: int, key: bytes) -> None:
    """Recompute every digest of a chain, and its head, as someone who holds `key` could."""
    rows = await connection.execute(
        select(*EVENTS.c).where(EVENTS.c.chain == chain).order_by(EVENTS.c.chain_seq)
    )
    digest, seq = genesis(key, chain), 0
    for row in rows.mappings().all():
        digest, seq = link(key, digest, row), row["chain_seq"]
        await connection.execute(
            update(EVENTS).where(EVENTS.c.id == row["id"]).values(digest=digest)
        )
    await connection.execute(
        update(HEADS).where(HEADS.c.chain == chain).values(seq=seq, digest=digest)
    )


# Verifying, over REST and on the command line ----------------------------------------------


async def verify(client: Client, token: str | None = None) -> dict[str, Any]:
    """The REST verdict, as the admin client (or `token`) gets it."""
    response = await client.get(VERIFY, headers=bearer(token) if token else None)
    assert response.status_code == 200, response.text
    verdict: dict[str, Any] = response.json()
    return verdict


async def verify_cli(database_url: str, *arguments: str, key: str | None = None) -> Result:
    """`pizzabox audit verify` against the test database, in a thread of its own (it runs its
    own event loop), with no settings cached from elsewhere."""

    def invoke() -> Result:
        get_settings.cache_clear()
        try:
            env = {"PIZZABOX_DATABASE_URL": database_url, "PIZZABOX_AUDIT_KEY": key}
            return CliRunner().invoke(main, ["audit", "verify", *arguments], env=env)
        finally:
            get_settings.cache_clear()

    return await asyncio.to_thread(invoke)


async def assert_named(
    client: Client, database_url: str, kind: str, event_id: object, *, key: str | None = None
) -> dict[str, Any]:
    """Both faces report tampering, and name `event_id` first, as `kind`."""
    verdict = await verify(client)
    assert verdict["intact"] is False, verdict
    first = verdict["first_problem"]
    assert first == verdict["problems"][0]
    assert (first["kind"], first["event_id"]) == (kind, str(event_id) if event_id else None), (
        verdict["problems"]
    )
    result = await verify_cli(database_url, key=key)
    assert result.exit_code == 1, result.output
    first_line = result.output.splitlines()[1]
    assert first_line.startswith(f"{kind}: "), result.output
    if event_id:
        assert str(event_id) in first_line, result.output
    return verdict


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


# The key -----------------------------------------------------------------------------------


@asynccontextmanager
async def keyed_client(migrated_database: str, tables: list[Table]) -> AsyncIterator[Client]:
    """An admin's client of a second app on the same, emptied, database, with a secret key."""
    keyed = create_app(
        Settings(
            database_url=migrated_database,
            log_level="WARNING",
            rate_limit_per_minute=0,
            audit_key=SecretStr(SECRET_KEY),
        )
    )
    async with running_lifespan(keyed):
        await empty_tables(app_engine(keyed), tables, audit_key=signing_key(SecretStr(SECRET_KEY)))
        transport = httpx.ASGITransport(app=cast(Any, keyed))
        async with httpx.AsyncClient(transport=transport, base_url="http://keyed") as client:
            client.headers.update(bearer(await issue_token(keyed, Role.ADMIN)))
            yield client


async def test_without_the_key_a_recomputed_chain_passes(
    app: Litestar, client: Client, migrated_database: str
) -> None:
    # The limit of the public key, pinned: whoever rewrites a chain whole goes unseen.
    await make_history(client, rounds=4)
    victim = (await links(app))[0]
    async with behind_the_api(app) as connection:
        await connection.execute(
            update(EVENTS).where(EVENTS.c.id == victim.id).values(actor="mallory@example.com")
        )
        await rechain(connection, victim.chain, PUBLIC_KEY)
    assert (await verify(client))["intact"] is True
    assert (await verify_cli(migrated_database)).exit_code == 0


async def test_with_a_key_a_recomputed_chain_is_caught(
    app: Litestar, client: Client, migrated_database: str, tables: list[Table]
) -> None:
    async with keyed_client(migrated_database, tables) as keyed:
        await make_history(keyed, rounds=4)
        verdict = await verify(keyed)
        assert (verdict["intact"], verdict["keyed"]) == (True, True), verdict["problems"]
        intact = await verify_cli(migrated_database, key=SECRET_KEY)
        assert intact.exit_code == 0, intact.output
        # The app's key is not the one the trail was sealed with: every event fails.
        assert (await verify_cli(migrated_database)).exit_code == 1

        victim = (await links(app))[0]
        async with behind_the_api(app) as connection:
            await connection.execute(
                update(EVENTS).where(EVENTS.c.id == victim.id).values(actor="mallory@example.com")
            )
            await rechain(connection, victim.chain, PUBLIC_KEY)
        await assert_named(keyed, migrated_database, "changed", victim.id, key=SECRET_KEY)


async def test_with_a_key_emptied_and_reseeded_heads_are_caught(
    app: Litestar, client: Client, migrated_database: str, tables: list[Table]
) -> None:
    async with keyed_client(migrated_database, tables) as keyed:
        await make_history(keyed, rounds=2)
        # Wiped and re-seeded as someone without the key would: from the public genesis.
        async with behind_the_api(app) as connection:
            await connection.execute(text("DELETE FROM audit_events"))
            await connection.execute(text("DELETE FROM audit_chain_heads"))
            await connection.execute(insert(HEADS), genesis_heads(PUBLIC_KEY))
        await assert_named(keyed, migrated_database, "changed", None, key=SECRET_KEY)


@pytest.mark.parametrize("attack", ["rechained", "tail-rolled-back"])
async def test_recorded_heads_catch_what_the_database_alone_cannot(
    app: Litestar, client: Client, migrated_database: str, tmp_path: Path, attack: str
) -> None:
    await make_history(client)
    recorded = tmp_path / "heads.json"
    report = await verify_cli(migrated_database, "--json")
    assert report.exit_code == 0, report.output
    recorded.write_text(report.output)
    # Writes after the heads were recorded only extend the chains.
    await make_history(client, rounds=4)
    later = await verify_cli(migrated_database, "--against", str(recorded), "--json")
    assert later.exit_code == 0, later.output
    # Recorded again, as a nightly job would, with the chains as they are now.
    recorded.write_text(later.output)

    chain = await longest_chain(app)
    async with behind_the_api(app) as connection:
        if attack == "rechained":
            # Without a key, a whole chain can be recomputed after an edit.
            await connection.execute(
                update(EVENTS).where(EVENTS.c.id == chain[0].id).values(actor="mallory@x.org")
            )
            await rechain(connection, chain[0].chain, PUBLIC_KEY)
        else:
            # The last event gone, and the head moved back to the one before, digest and all.
            await connection.execute(delete(EVENTS).where(EVENTS.c.id == chain[-1].id))
            await connection.execute(
                update(HEADS)
                .where(HEADS.c.chain == chain[-1].chain)
                .values(seq=chain[-2].seq, digest=chain[-2].digest)
            )
    assert (await verify(client))["intact"] is True, "the database alone cannot tell"

    caught = await verify_cli(migrated_database, "--against", str(recorded), "--json")
    assert caught.exit_code == 1, caught.output
    first = httpx.Response(200, content=caught.output).json()["first_problem"]
    if attack == "rechained":
        # Named where the recorded head no longer matches: the chain's last event.
        assert (first["kind"], first["event_id"]) == ("changed", str(chain[-1].id)), first
    else:
        assert (first["kind"], first["event_id"]) == ("deleted", str(chain[-2].id)), first
        assert first["seq"] == chain[-1].seq


async def test_a_report_that_cannot_be_read_stops_the_check(
    client: Client, migrated_database: str, tmp_path: Path
) -> None:
    recorded = tmp_path / "heads.json"
    recorded.write_text("{not json")
    result = await verify_cli(migrated_database, "--against", str(recorded))
    assert result.exit_code == 2, result.output
    assert "reading the recorded heads failed" in result.output


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 characters"):
        Settings(audit_key=SecretStr("too-short"))


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


# Many writers at once ------------------------------------------------------------------------


async def test_concurrent_writers_leave_an_intact_trail(
    app: Litestar, client: Client, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite serialises every writer behind one lock; see the PostgreSQL run")
    writes = 80
    responses = await asyncio.gather(
        *(
            client.post(
                f"{API}/people",
                json={
                    "email": f"writer-{number}@example.com",
                    "name": f"Writer {number}",
                    "job_family": "engineering",
                    "home_org": "platform",
                },
            )
            for number in range(writes)
        )
    )
    assert [r.status_code for r in responses] == [201] * writes, [r.text for r in responses]
    verdict = await verify(client)
    assert verdict["intact"] is True, verdict["problems"]
    assert verdict["events_checked"] == writes + 1  # and the admin's token
    # Writers spread over the chains instead of queueing on one.
    assert len({item.chain for item in await links(app)}) > 8


@asynccontextmanager
async def another_instance(migrated_database: str) -> AsyncIterator[tuple[Litestar, Client]]:
    """A second app on the same database, as another process would run: its own engine, so its
    own idea of where each chain ended."""
    other = create_app(
        Settings(database_url=migrated_database, log_level="WARNING", rate_limit_per_minute=0)
    )
    async with running_lifespan(other):
        transport = httpx.ASGITransport(app=cast(Any, other))
        async with httpx.AsyncClient(transport=transport, base_url="http://other") as client:
            client.headers.update(bearer(await issue_token(other, Role.ADMIN)))
            yield other, client


async def test_a_write_after_a_rolled_back_one_extends_the_chain_from_its_real_head(
    app: Litestar, client: Client, migrated_database: str
) -> None:
    async with another_instance(migrated_database) as (other, other_client):
        # The instance has written once, on one chain; a write that then rolls back moved that
        # chain's head only in the instance's memory.
        async with other.state.sessionmaker() as session:
            attach_principal(session.sync_session, SYSTEM)
            session.add(Team(slug="rolled-back", name="Rolled back", org="platform"))
            await session.flush()
            await session.rollback()
        # The next write takes the same chain, and finds where it really ends.
        await create_team(other_client)
        await create_team(other_client)
        chains = {item.chain for item in await links(app)}
    verdict = await verify(client)
    assert verdict["intact"] is True, verdict["problems"]
    assert verdict["events_checked"] == 4  # two tokens and two teams
    assert len(chains) <= 3


async def test_writers_of_two_instances_share_the_chains(
    app: Litestar, client: Client, migrated_database: str
) -> None:
    async with another_instance(migrated_database) as (_, other_client):
        # Taking turns, then all at once: each instance keeps finding chains the other moved.
        for _ in range(10):
            await create_team(client)
            await create_team(other_client)
        await asyncio.gather(
            *(create_person(writer) for writer in (client, other_client) for _ in range(20))
        )
    verdict = await verify(client)
    assert verdict["intact"] is True, verdict["problems"]
    assert verdict["events_checked"] == 2 + 20 + 40


# Upgrading a trail written before the chains ---------------------------------------------------


@pytest.fixture
def scratch_database(tmp_path: Path) -> Iterator[str]:
    """A SQLite file of its own, for a test that moves between revisions."""
    get_settings.cache_clear()
    yield f"sqlite+aiosqlite:///{tmp_path / 'upgrade.db'}"
    get_settings.cache_clear()


async def _write_unchained_events(database_url: str, count: int) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            rows = [
                {
                    **(forged_event(record_id=str(number), person_id=uuid.uuid4())),
                    "changes": {"name": {"old": None, "new": f"Zoë {number}"}, "n": number},
                }
                for number in range(count)
            ]
            # Only the columns that revision has: the insert names just the keys it is given.
            await connection.execute(insert(EVENTS), rows)
    finally:
        await engine.dispose()


def test_an_existing_trail_verifies_intact_after_the_upgrade(scratch_database: str) -> None:
    migrate.upgrade(scratch_database, BEFORE_CHAINS)
    asyncio.run(_write_unchained_events(scratch_database, 70))
    migrate.upgrade(scratch_database)

    result = CliRunner().invoke(
        main,
        ["audit", "verify"],
        env={"PIZZABOX_DATABASE_URL": scratch_database, "PIZZABOX_AUDIT_KEY": None},
    )
    assert result.exit_code == 0, result.output
    assert "intact: 70 events checked" in result.output
    # Down and up again: sealed afresh, still intact.
    migrate.downgrade(scratch_database, BEFORE_CHAINS)
    migrate.upgrade(scratch_database)
    get_settings.cache_clear()
    again = CliRunner().invoke(
        main,
        ["audit", "verify"],
        env={"PIZZABOX_DATABASE_URL": scratch_database, "PIZZABOX_AUDIT_KEY": None},
    )
    assert again.exit_code == 0, again.output


def test_verify_that_cannot_run_exits_2(tmp_path: Path) -> None:
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            main,
            ["audit", "verify"],
            env={"PIZZABOX_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'none.db'}"},
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert "verifying the audit trail failed" in result.output
