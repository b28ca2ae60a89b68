"""Benchmark: latency and SQL statements of the hot read paths, on a seeded database.

Prints figures; asserts nothing (tests do that). Run it on SQLite (default) or PostgreSQL:

    python scripts/bench.py --teams 50 --requests 200
    python scripts/bench.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from api import migrate
from api.app import create_app
from api.audit.trail import attach_principal
from api.core.access import SYSTEM, Role
from api.core.config import Settings
from api.identity.schemas import TokenCreate
from api.identity.service import create_token
from api.people.models import JobFamily, Person
from api.products.models import DataClassification, Product
from api.teams.models import Membership, Team, TeamRole

DEEP_QUERY = """
query($first: Int!) {
  products(first: $first) {
    totalCount
    edges { node { slug stage team { slug health { status headcount warnings { code } }
      members { role person { name } } } } }
  }
}
"""


async def _seed(app: Any, teams: int) -> str:
    """`teams` teams of 7 people with 2 products each; returns an admin token."""
    async with app.state.sessionmaker() as session:
        attach_principal(session.sync_session, SYSTEM)
        for number in range(teams):
            team = Team(slug=f"bench-{number}", name=f"Team {number}", org=f"org-{number % 5}")
            session.add(team)
            for member in range(7):
                person = Person(
                    email=f"p{number}-{member}@bench.example",
                    name=f"Person {number}-{member}",
                    job_family=JobFamily.ENGINEERING,
                    home_org=f"org-{member % 3}",
                )
                session.add(person)
                session.add(
                    Membership(
                        team_id=team.id,
                        person_id=person.id,
                        role=TeamRole.ENGINEER,
                        allocation_percent=100,
                        start_date=date.today(),
                    )
                )
            for product in range(2):
                session.add(
                    Product(
                        slug=f"bench-{number}-{product}",
                        name="Product",
                        team_id=team.id,
                        data_classification=DataClassification.INTERNAL,
                    )
                )
        _, secret = await create_token(
            session,
            data=TokenCreate(name="bench", role=Role.ADMIN),
            principal=SYSTEM,
        )
        await session.commit()
    return secret


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def _measure(
    name: str, call: Callable[[], Awaitable[httpx.Response]], requests: int, engine: Any
) -> None:
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    timings: list[float] = []
    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        for _ in range(requests):
            started = time.perf_counter()
            response = await call()
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code} {response.text[:200]}")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    _say(
        f"{name:<44} median {statistics.median(timings):7.2f} ms   p95 {p95:7.2f} ms   "
        f"{statements / requests:5.1f} statements/request"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None, help="default: a scratch SQLite file")
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        # The PostgreSQL database is emptied first and after: give the benchmark its own.
        migrate.downgrade(url, "base")
        migrate.upgrade(url)
        try:
            asyncio.run(_run(url, args.teams, args.requests))
        finally:
            if args.database_url:
                migrate.downgrade(url, "base")


async def _run(url: str, teams: int, requests: int) -> None:
    app = create_app(Settings(database_url=url, rate_limit_per_minute=0, log_level="WARNING"))
    async with app.lifespan():
        token = await _seed(app, teams)
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://bench",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            engine = app.state.engine
            _say(
                f"{teams} teams, {teams * 7} people, {teams * 2} products on "
                f"{url.split(':')[0]}; {requests} requests each"
            )
            paths: dict[str, tuple[str, dict[str, Any]]] = {
                "GET /api/v1/products?limit=100": ("/api/v1/products", {"limit": 100}),
                "GET /api/v1/teams?health=recommended": (
                    "/api/v1/teams",
                    {"health": "recommended"},
                ),
                "GET /api/v1/teams/bench-0/health": ("/api/v1/teams/bench-0/health", {}),
            }
            for name, (path, params) in paths.items():

                def get(path: str = path, params: dict[str, Any] = params) -> Any:
                    return client.get(path, params=params)

                await _measure(name, get, requests, engine)
            deep = {"query": DEEP_QUERY, "variables": {"first": 100}}
            await _measure(
                "GraphQL products(first: 100), deep",
                lambda: client.post("/graphql", json=deep),
                requests,
                engine,
            )


if __name__ == "__main__":
    main()
