"""Tampering with the audit trail behind the API's back, and the two faces that verify it: the
REST verdict and `pizzabox audit verify`."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from click.testing import CliRunner, Result
from litestar import Litestar
from sqlalchemy import Table, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from api.audit.chain import genesis, link
from api.audit.models import AuditChainHead, AuditEvent
from api.cli import main
from api.core.config import get_settings
from api.core.db import utcnow, uuid7
from tests.factories import create_person, create_product, create_team
from tests.helpers import API, Client, app_engine, bearer, list_all

VERIFY = f"{API}/audit-events/verify"


EVENTS: Table = AuditEvent.__table__  # type: ignore[attr-defined]


HEADS: Table = AuditChainHead.__table__  # type: ignore[attr-defined]


SECRET_KEY = "test-audit-key-" + "k" * 32


@dataclass(frozen=True)
class Link:
    """One event's place in the trail, as the database holds it."""

    id: uuid.UUID
    chain: int
    seq: int
    digest: str


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
