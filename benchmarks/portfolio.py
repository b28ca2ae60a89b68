"""The portfolio at scale: 10,000 products, 1,000 teams, 8,000 people and 200,000 checkpoint
results on PostgreSQL, and the medians of `GET /api/v1/portfolio`, the CSV and the page, each
beside the median of its own SQL run directly (the same statements, replayed on asyncpg).

    python -m benchmarks.portfolio                       # builds portfolio_bench, then measures
    python -m benchmarks.portfolio --reuse --runs 25     # measures what an earlier run built

It is a benchmark, not a test: it prints a table and exits 1 when a ratio misses 1.5 or the JSON
misses 300 ms. The portfolio is written with COPY, behind the services (no audit events), in a
database it creates (`--database`, default `portfolio_bench`); the app is `pizzabox serve`.
"""

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy import Table, event

from api import migrate
from api.app import create_app
from api.audit.trail import attach_principal
from api.checkpoints.catalogue import DEFAULT_KINDS
from api.checkpoints.models import Checkpoint, CheckpointResult, Finding, Waiver
from api.core.access import SYSTEM, Role
from api.core.config import Settings
from api.documents.models import Document, DocumentRevision, answered_text
from api.documents.template import DEFAULT_QUESTIONS
from api.identity.schemas import TokenCreate
from api.identity.service import create_token
from api.people.models import Person
from api.products.models import Product, ProductChange
from api.teams.models import Membership, Team
from tests.helpers import running_lifespan, serve_until_up

TEAMS = 1_000
PEOPLE = 8_000
PRODUCTS = 10_000
RESULTS = 200_000
STAGES = ["idea", "prfaq_review", "approved", "building", "launch_review", "launched", "retired"]
STAGE_WEIGHTS = [10, 8, 8, 30, 10, 30, 4]
CLASSIFICATIONS = ["public", "internal", "confidential", "restricted"]
SEVERITIES = ["critical", "high", "medium", "low"]
KINDS = [kind["key"] for kind in DEFAULT_KINDS]
REVIEWED = {kind["key"] for kind in DEFAULT_KINDS if kind["sign_off"] == "reviewer"}
RATIO_GOAL = 1.5
JSON_GOAL_MS = 300


def say(line: str) -> None:
    """A line of the report."""
    sys.stdout.write(line + "\n")


def note(line: str) -> None:
    """A line of progress."""
    sys.stderr.write(line + "\n")


def _plain(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value)
    if isinstance(value, StrEnum):
        return value.value
    return value


def _row(model: Any, table: Table, values: dict[str, Any]) -> tuple[Any, ...]:
    # Made as the model, so that every default the model declares is filled in.
    record = model(**values)
    return tuple(_plain(getattr(record, column.name)) for column in table.columns)


async def _copy(connection: asyncpg.Connection, model: Any, rows: list[dict[str, Any]]) -> None:
    table: Table = model.__table__
    await connection.copy_records_to_table(
        table.name,
        records=[_row(model, table, row) for row in rows],
        columns=[column.name for column in table.columns],
    )
    note(f"  {table.name}: {len(rows):,} rows")


def _record(now: datetime) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "created_at": now, "updated_at": now, "version": 1}


async def build(url: str) -> None:
    """A migrated database holding the portfolio."""
    # Alembic's env.py runs its own event loop: in a thread of its own, then.
    await asyncio.to_thread(migrate.downgrade, url, "base")
    await asyncio.to_thread(migrate.upgrade, url)
    rng = random.Random(12)
    now = datetime.now(UTC)
    today = now.date()
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        teams = [
            {**_record(now), "slug": f"team-{n:04d}", "name": f"Team {n}", "org": f"org-{n % 20}"}
            for n in range(TEAMS)
        ]
        people = [
            {
                **_record(now),
                "email": f"person-{n}@example.com",
                "name": f"Person {n}",
                "job_family": "engineering",
                "home_org": f"org-{n % 20}",
            }
            for n in range(PEOPLE)
        ]
        # Team sizes from 2 to 14, averaging 8: some under, most recommended, some over.
        sizes = [rng.choice([2, 5, 6, 7, 8, 8, 9, 10, 11, 14]) for _ in range(TEAMS)]
        members = []
        person = 0
        for team, size in zip(teams, sizes, strict=True):
            for _ in range(size):
                members.append(
                    {
                        **_record(now),
                        "team_id": team["id"],
                        "person_id": people[person % PEOPLE]["id"],
                        "role": "engineer",
                        "allocation_percent": 100,
                        "start_date": date(2025, 1, 1),
                    }
                )
                person += 1
        products = [
            {
                **_record(now),
                "slug": f"product-{n:05d}",
                "name": f"Product {n}",
                "summary": "",
                "team_id": teams[n % TEAMS]["id"],
                "stage": rng.choices(STAGES, STAGE_WEIGHTS)[0],
                "data_classification": rng.choice(CLASSIFICATIONS),
                "target_launch_date": today + timedelta(days=rng.randint(-200, 300)),
            }
            for n in range(PRODUCTS)
        ]
        checkpoints = []
        for product in products:
            if product["stage"] in ("idea", "prfaq_review", "approved"):
                continue
            for kind in KINDS:
                if rng.random() < 0.15:
                    continue
                passed = rng.random() < 0.8
                at = now - timedelta(days=rng.randint(0, 400))
                checkpoints.append(
                    {
                        **_record(now),
                        "product_id": product["id"],
                        "kind": kind,
                        "last_outcome": "passed" if passed else "failed",
                        "last_result_at": at,
                        "results_count": 0,
                        "decision": (
                            ("passed" if passed else "failed") if kind in REVIEWED else None
                        ),
                        "evidence": "[]",
                        "last_passed_at": at if passed else None,
                    }
                )
        results = []
        for n in range(RESULTS):
            checkpoint = checkpoints[n % len(checkpoints)]
            checkpoint["results_count"] += 1
            results.append(
                {
                    **_record(now),
                    "checkpoint_id": checkpoint["id"],
                    "outcome": checkpoint["last_outcome"],
                    "approaches": "[]",
                    "failing_tests": "[]",
                    "recorded_by": "ci",
                    "tests_run": 100,
                }
            )
        waivers = [
            {
                **_record(now),
                "checkpoint_id": checkpoint["id"],
                "justification": "benchmark",
                "approved_by": "reviewer@example.com",
                "expires_at": now + timedelta(days=rng.randint(-30, 60)),
            }
            for checkpoint in rng.sample(checkpoints, 2_000)
        ]
        findings = [
            {
                **_record(now),
                "product_id": rng.choice(products)["id"],
                "kind": "appsec_review",
                "tool": "scanner",
                "fingerprint": f"fp-{n}",
                "title": "A finding",
                "severity": rng.choice(SEVERITIES),
                "status": rng.choice(["open", "open", "fixed", "accepted_risk"]),
                "opened_at": now - timedelta(days=rng.randint(0, 200)),
                "last_seen_at": now,
                "risk_expires_at": now + timedelta(days=rng.randint(-30, 60)),
                "updated_by": "scanner",
            }
            for n in range(20_000)
        ]
        documents, revisions = [], []
        # Security FAQs answering every question, half of them, or two.
        answer_sets = [
            {
                "answers": [
                    {"key": question.key, "answer": "Answered for the benchmark."}
                    for question in DEFAULT_QUESTIONS[:count]
                ]
            }
            for count in (len(DEFAULT_QUESTIONS), len(DEFAULT_QUESTIONS) // 2, 2)
        ]
        for product in products:
            for kind, share in (("prfaq", 0.8), ("security_faq", 0.6)):
                if rng.random() > share:
                    continue
                document = {
                    **_record(now),
                    "product_id": product["id"],
                    "kind": kind,
                    "status": rng.choice(["draft", "in_review", "approved", "approved"]),
                    "latest_revision": 1,
                }
                documents.append(document)
                content = rng.choice(answer_sets) if kind == "security_faq" else {"headline": "A"}
                revisions.append(
                    {
                        **_record(now),
                        "document_id": document["id"],
                        "number": 1,
                        "author": "benchmark",
                        "change_note": "",
                        "content": content,
                        "assessment": "{}",
                        "answered": answered_text(content),
                    }
                )
        changes = []
        for product in rng.sample(products, 3_000):
            old = product["target_launch_date"] - timedelta(days=rng.randint(5, 60))
            changes.append(
                {
                    **_record(now - timedelta(days=rng.randint(0, 365))),
                    "product_id": product["id"],
                    "field": "target_launch_date",
                    "old_value": old.isoformat(),
                    "new_value": product["target_launch_date"].isoformat(),
                    "changed_by": "benchmark",
                }
            )
        for model, rows in (
            (Team, teams),
            (Person, people),
            (Membership, members),
            (Product, products),
            (Checkpoint, checkpoints),
            (CheckpointResult, results),
            (Waiver, waivers),
            (Finding, findings),
            (Document, documents),
            (DocumentRevision, revisions),
            (ProductChange, changes),
        ):
            await _copy(connection, model, rows)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def admin_token(url: str) -> str:
    """A fresh admin token's secret."""
    app = create_app(Settings(database_url=url, log_level="WARNING"))
    async with running_lifespan(app), app.state.sessionmaker() as session:
        attach_principal(session.sync_session, SYSTEM)
        data = TokenCreate(name=f"bench-{uuid.uuid4().hex[:8]}", role=Role.ADMIN)
        _, secret = await create_token(session, data=data, principal=SYSTEM)
        await session.commit()
    return secret


Captured = list[tuple[str, Sequence[Any]]]


async def capture(url: str, send: Callable[[httpx.AsyncClient], Awaitable[Any]]) -> Captured:
    """The SQL statements (with their parameters, as sent to asyncpg) one request runs."""
    app = create_app(Settings(database_url=url, log_level="WARNING", rate_limit_per_minute=0))
    captured: Captured = []
    async with running_lifespan(app):
        engine = app.state.engine

        def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", statement, re.I):
                captured.append((statement, tuple(parameters or ())))

        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await send(client)  # warm: the catalogue, the template, compiled statements
            event.listen(engine.sync_engine, "before_cursor_execute", seen)
            await send(client)
            event.remove(engine.sync_engine, "before_cursor_execute", seen)
    return captured


async def replay(connection: asyncpg.Connection, statements: Captured) -> float:
    """Milliseconds to run the statements one after another on asyncpg, fetching every row."""
    started = time.perf_counter()
    async with connection.transaction(readonly=True):
        for statement, parameters in statements:
            await connection.fetch(statement, *parameters)
    return (time.perf_counter() - started) * 1000


async def served(client: httpx.AsyncClient, path: str, **options: Any) -> float:
    """Milliseconds for one GET of `path`, its body read to the end."""
    started = time.perf_counter()
    response = await client.get(path, **options)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.text[:300]
    return elapsed


async def sign_in(client: httpx.AsyncClient, token: str) -> None:
    """Sign the client in to the page (it keeps the session cookie)."""
    form = await client.get("/portfolio")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf, form.text[:300]
    answer = await client.post(
        "/portfolio/sign-in", data={"token": token, "csrf_token": csrf.group(1)}
    )
    assert answer.status_code == 303, answer.text[:300]


async def measure(url: str, runs: int) -> bool:
    """Print the table; whether every goal was met."""
    token = await admin_token(url)
    auth = {"Authorization": f"Bearer {token}"}

    async def json_request(client: httpx.AsyncClient) -> None:
        (await client.get("/api/v1/portfolio", headers=auth)).raise_for_status()

    async def csv_request(client: httpx.AsyncClient) -> None:
        (await client.get("/api/v1/portfolio.csv", headers=auth)).raise_for_status()

    async def page_request(client: httpx.AsyncClient) -> None:
        if "pizzabox_session" not in client.cookies:
            await sign_in(client, token)
        (await client.get("/portfolio")).raise_for_status()

    sql = {
        "json": await capture(url, json_request),
        "csv": await capture(url, csv_request),
        "page": await capture(url, page_request),
    }
    environment = {
        **os.environ,
        "PIZZABOX_DATABASE_URL": url,
        "PIZZABOX_LOG_LEVEL": "WARNING",
        "PIZZABOX_RATE_LIMIT_PER_MINUTE": "0",
    }
    environment.pop("PIZZABOX_WORKERS", None)
    paths = {"json": "/api/v1/portfolio", "csv": "/api/v1/portfolio.csv", "page": "/portfolio"}
    headers = {"json": auth, "csv": auth, "page": {}}
    timings: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in paths}
    size: dict[str, int] = {}
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    with tempfile.TemporaryDirectory() as scratch:
        server = serve_until_up(environment, Path(scratch) / "serve.log")
        try:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
                await sign_in(client, token)
                for name, path in paths.items():
                    answer = await client.get(path, headers=headers[name])
                    size[name] = len(answer.content)
                # Served and direct in turn, so both meet the same load on a shared machine.
                for run in range(runs + 2):
                    for name, path in paths.items():
                        app_ms = await served(client, path, headers=headers[name])
                        sql_ms = await replay(connection, sql[name])
                        if run >= 2:  # two to warm up
                            timings[name][0].append(app_ms)
                            timings[name][1].append(sql_ms)
        finally:
            server.stop()
            await connection.close()
    ok = True
    say(
        f"{PRODUCTS:,} products, {TEAMS:,} teams, {PEOPLE:,} people, {RESULTS:,} checkpoint "
        f"results; medians of {runs} runs"
    )
    say(f"{'':6} {'served ms':>10} {'its SQL ms':>11} {'ratio':>6} {'statements':>11} {'bytes':>9}")
    for name in paths:
        served_ms = statistics.median(timings[name][0])
        sql_ms = statistics.median(timings[name][1])
        ratio = served_ms / sql_ms
        met = ratio <= RATIO_GOAL and (name != "json" or served_ms <= JSON_GOAL_MS)
        ok &= met
        say(
            f"{name:6} {served_ms:10.1f} {sql_ms:11.1f} {ratio:6.2f} {len(sql[name]):11d}"
            f" {size[name]:9,d}{'' if met else '  MISSED'}"
        )
    return ok


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="portfolio_bench")
    parser.add_argument("--host", default="postgres@127.0.0.1:5432")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="measure what a run built")
    args = parser.parse_args()
    server = f"postgresql://{args.host}"
    admin = await asyncpg.connect(f"{server}/postgres")
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", args.database):
            await admin.execute(f'CREATE DATABASE "{args.database}"')
    finally:
        await admin.close()
    url = f"postgresql+asyncpg://{args.host}/{args.database}"
    if not args.reuse:
        started = time.perf_counter()
        await build(url)
        note(f"built in {time.perf_counter() - started:.0f} s")
    return 0 if await measure(url, args.runs) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
