"""With a secret key, a chain recomputed behind the API's back is caught; recorded heads catch
what the database alone cannot."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from litestar import Litestar
from pydantic import SecretStr
from sqlalchemy import Table, delete, insert, text, update

from api.app import create_app
from api.audit.chain import PUBLIC_KEY, genesis_heads, signing_key
from api.core.access import Role
from api.core.config import Settings
from tests.audit.tampering import (
    EVENTS,
    HEADS,
    SECRET_KEY,
    assert_named,
    behind_the_api,
    links,
    longest_chain,
    make_history,
    rechain,
    verify,
    verify_cli,
)
from tests.conftest import empty_tables
from tests.helpers import Client, app_engine, bearer, issue_token, running_lifespan


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
