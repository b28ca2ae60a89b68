"""Benchmark: audited write throughput before and after the audit trail's hash chains.

Concurrent writers (16 by default, each with its own connection) each run small audited
transactions: create a team, which writes one audit event, through the service layer (`--via
service`, the default: the chain's cost undiluted) or through the ASGI app (`--via http`: what a
client sees). `--processes N` spreads the writers over N processes, as `pizzabox serve --workers`
would. The code from before the chains (a git revision: the parent of the commit that added the
chains' migration, unless `--baseline` names one) and the working tree's take turns, each in a
freshly emptied database, and the script prints writes per second for both and their ratio, with
the SQL statements each write ran. `--one-chain` adds a run of the working tree with every writer
on chain 0: the single global lock the sharded chains avoid. `--synchronous-commit off` takes the
disk's flush out of the figures, so the chains' own cost stands out. Asserts nothing; PostgreSQL
only, since SQLite runs one writer at a time whatever the trail does.

    python scripts/bench_audit.py \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/audit_bench

The database is wiped before every run (its `public` schema is dropped): give it a scratch one.
"""

import argparse
import asyncio
import inspect
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import httpx
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
# The migration that brought the chains (its path then): the code just before it is the baseline.
CHAINS_MIGRATION = "migrations/versions/2026_12_02_8ce3c1849fc4_audit_trail_hash_chains.py"
# Processes start at an agreed moment, after their app has started and warmed up.
START_MARGIN_SECONDS = 10.0


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# Steps of one run, each in a process of its own, with the `api` package PYTHONPATH provides --


async def _prepare(args: argparse.Namespace) -> dict[str, Any]:
    """Empty the database and migrate it with this code."""
    from api import migrate

    engine = create_async_engine(args.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
            name = await connection.scalar(text("SELECT current_database()"))
            # For this scratch database only, and for the connections opened after this one.
            setting = f"SET synchronous_commit TO {args.synchronous_commit}"
            await connection.execute(
                text(
                    f'ALTER DATABASE "{name}" {setting if args.synchronous_commit else "RESET ALL"}'
                )
            )
    finally:
        await engine.dispose()
    await asyncio.to_thread(migrate.upgrade, args.database_url)
    return {}


def _app(args: argparse.Namespace) -> Any:
    from api.app import create_app
    from api.core.config import Settings

    return create_app(
        Settings(
            database_url=args.database_url,
            database_pool_size=max(args.writers, 1),
            rate_limit_per_minute=0,
            log_level="WARNING",
        )
    )


async def _service_writer(app: Any, writer: str, transactions: int, offset: int) -> None:
    from api.audit.trail import attach_principal
    from api.core.access import SYSTEM
    from api.teams.schemas import TeamCreate
    from api.teams.service import create_team

    takes_principal = "principal" in inspect.signature(create_team).parameters
    principal: dict[str, Any] = {"principal": SYSTEM} if takes_principal else {}
    for number in range(offset, offset + transactions):
        async with app.state.sessionmaker() as session:
            attach_principal(session.sync_session, SYSTEM)
            data = TeamCreate(slug=f"bench-{writer}-{number}", name="Bench", org="bench")
            # The code before the chains took no principal; the same script measures both.
            await create_team(session, data=data, **principal)
            await session.commit()


async def _http_writer(
    client: httpx.AsyncClient, writer: str, transactions: int, offset: int
) -> None:
    for number in range(offset, offset + transactions):
        body = {"slug": f"bench-{writer}-{number}", "name": "Bench", "org": "bench"}
        response = await client.post("/api/v1/teams", json=body)
        if response.status_code != 201:
            raise SystemExit(f"HTTP {response.status_code}: {response.text[:200]}")


async def _admin_token(app: Any, name: str) -> str:
    from api.audit.trail import attach_principal
    from api.core.access import SYSTEM, Role
    from api.identity.schemas import TokenCreate
    from api.identity.service import create_token

    async with app.state.sessionmaker() as session:
        attach_principal(session.sync_session, SYSTEM)
        data = TokenCreate(name=name, role=Role.ADMIN)
        _, secret = await create_token(session, data=data, principal=SYSTEM)
        await session.commit()
    return secret


async def _measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run this process's writers from the agreed moment; what they did, and how fast."""
    if args.chains:
        import api.audit.seal

        # The benchmark's own stand-in for one global chain; the app has no such setting.
        api.audit.seal.CHAINS = args.chains  # type: ignore[attr-defined]
    app = _app(args)
    # A line per request would bury the figures.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    async with app.lifespan():
        # httpx types the ASGI app more narrowly than Litestar's own signature; it is one.
        transport = httpx.ASGITransport(app=cast(Any, app))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            token = await _admin_token(app, f"bench-{args.process}")
            client.headers["Authorization"] = f"Bearer {token}"

            async def writers(transactions: int, offset: int) -> None:
                names = [f"{args.process}-{writer}" for writer in range(args.writers)]
                if args.via == "http":
                    calls = [_http_writer(client, name, transactions, offset) for name in names]
                else:
                    calls = [_service_writer(app, name, transactions, offset) for name in names]
                await asyncio.gather(*calls)

            # Warm connections, caches and the first pages of the tables first.
            await writers(10, 0)
            await asyncio.sleep(max(0.0, args.start_at - time.time()))
            statements = 0

            def count(*_: Any) -> None:
                nonlocal statements
                statements += 1

            engine = app.state.engine.sync_engine
            event.listen(engine, "before_cursor_execute", count)
            started, cpu = time.time(), time.process_time()
            await writers(args.transactions, 10)
            finished, cpu = time.time(), time.process_time() - cpu
            event.remove(engine, "before_cursor_execute", count)
    return {
        "writes": args.writers * args.transactions,
        "started": started,
        "finished": finished,
        "statements": statements,
        "cpu": cpu,
    }


async def _verify(args: argparse.Namespace) -> dict[str, Any]:
    """Whether the trail verifies (None for code without the chains)."""
    import api

    try:
        from api.audit.verification import verify_trail
    except ImportError:
        return {"code": str(Path(api.__file__).parent), "intact": None}
    app = _app(args)
    async with app.lifespan(), app.state.sessionmaker() as session:
        verdict = await verify_trail(session)
    return {"code": str(Path(api.__file__).parent), "intact": verdict.intact}


STEPS = {"prepare": _prepare, "measure": _measure, "verify": _verify}


# Both codes, in turns -------------------------------------------------------------------------


def _git(*arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def _extract(revision: str, into: Path) -> None:
    """The `api` package and migrations of `revision`, without touching the work tree."""
    archive = subprocess.run(
        ["git", "archive", revision, "api", "migrations"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)


def _step(
    args: argparse.Namespace, code: Path, step: str, *extra: str, writers: int | None = None
) -> "subprocess.Popen[str]":
    command = [
        sys.executable,
        __file__,
        "--step",
        step,
        "--database-url",
        args.database_url,
        "--writers",
        str(writers if writers is not None else args.writers),
        "--transactions",
        str(args.transactions),
        "--via",
        args.via,
        *(["--synchronous-commit", args.synchronous_commit] if args.synchronous_commit else []),
        *extra,
    ]
    env = {**os.environ, "PYTHONPATH": str(code)}
    env.pop("PIZZABOX_AUDIT_KEY", None)
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)


def _result(process: "subprocess.Popen[str]") -> dict[str, Any]:
    output, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"a benchmark step failed ({process.returncode}): {output[-500:]}")
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def _run(args: argparse.Namespace, code: Path, chains: int | None) -> dict[str, Any]:
    """One run of one code: prepare, every process's writers at once, then verify."""
    _result(_step(args, code, "prepare"))
    start_at = time.time() + START_MARGIN_SECONDS if args.processes > 1 else 0.0
    share, spare = divmod(args.writers, args.processes)
    measures = [
        _step(
            args,
            code,
            "measure",
            "--process",
            str(number),
            "--start-at",
            str(start_at),
            *(["--chains", str(chains)] if chains else []),
            writers=share + (1 if number < spare else 0),
        )
        for number in range(args.processes)
    ]
    results = [_result(process) for process in measures]
    writes = sum(result["writes"] for result in results)
    seconds = max(r["finished"] for r in results) - min(r["started"] for r in results)
    late = max(r["started"] for r in results) - min(r["started"] for r in results)
    verdict = _result(_step(args, code, "verify"))
    return {
        **verdict,
        "writes": writes,
        "seconds": seconds,
        "late": late,
        "per_second": writes / seconds,
        # BEGIN and COMMIT are not cursor executions: add two for round trips per write.
        "statements": sum(result["statements"] for result in results) / writes,
        "cpu_ms": 1000 * sum(result["cpu"] for result in results) / writes,
    }


def _compare(args: argparse.Namespace) -> None:
    baseline = args.baseline or _git(
        "rev-parse",
        _git("log", "--diff-filter=A", "--format=%H", "--", CHAINS_MIGRATION).splitlines()[-1]
        + "^",
    )
    changed = "+changes" if _git("status", "--porcelain", "--untracked-files=no") else ""
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as scratch:
        before = Path(scratch)
        _extract(baseline, before)
        runs: list[tuple[str, Path, int | None]] = [("before", before, None), ("after", ROOT, None)]
        if args.one_chain:
            runs.append(("1 chain", ROOT, 1))
        figures: dict[str, list[float]] = {label: [] for label, _, _ in runs}
        # Each round's runs follow each other closely: their ratio shrugs off a busy machine.
        ratios: dict[str, list[float]] = {label: [] for label, _, _ in runs}
        _say(
            f"{args.writers} writers in {args.processes} process(es) x {args.transactions} "
            f"transactions via {args.via}, synchronous_commit "
            f"{args.synchronous_commit or 'as configured'}; before: {baseline[:12]}, after: the "
            f"work tree ({_git('rev-parse', '--short', 'HEAD')}{changed})"
        )
        for number in range(1, args.rounds + 1):
            for label, code, chains in runs:
                result = _run(args, code, chains)
                if label != "before" and result["intact"] is not True:
                    raise SystemExit(f"the trail does not verify after the run: {result}")
                if label == "before" and result["intact"] is not None:
                    raise SystemExit(f"the baseline already has the chains: {result['code']}")
                figures[label].append(result["per_second"])
                ratios[label].append(result["per_second"] / figures["before"][-1])
                _say(
                    f"round {number} {label:<7} {result['per_second']:8.1f} writes/s  "
                    f"({result['writes']} in {result['seconds']:.2f} s, "
                    f"{result['statements']:.2f} statements and {result['cpu_ms']:.2f} ms of "
                    "client CPU per write"
                    + (
                        f", last process {result['late']:.2f} s late)"
                        if args.processes > 1
                        else ")"
                    )
                )
    before_median = statistics.median(figures["before"])
    after_median = statistics.median(figures["after"])
    _say(f"before (no chains)   median {before_median:8.1f} writes/s")
    _say(f"after (hash chains)  median {after_median:8.1f} writes/s")
    _say(
        f"after / before       {after_median / before_median:8.3f}  "
        f"(loss {100 * (1 - after_median / before_median):.1f} %) of the medians"
    )
    paired = statistics.median(ratios["after"])
    _say(
        f"after / before       {paired:8.3f}  (loss {100 * (1 - paired):.1f} %), median of each "
        f"round's ratio: {', '.join(f'{ratio:.2f}' for ratio in ratios['after'])}"
    )
    if args.one_chain:
        one = statistics.median(figures["1 chain"])
        one_paired = statistics.median(ratios["1 chain"])
        _say(
            f"one global chain     median {one:8.1f} writes/s  ({one_paired:.3f} of before, "
            "median of each round's ratio)"
        )


def main() -> None:
    """Compare both codes, or (with --step) run one step and print its result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("PIZZABOX_BENCH_DATABASE_URL"),
        help="A scratch PostgreSQL database (postgresql+asyncpg://…); it is wiped.",
    )
    parser.add_argument("--writers", type=int, default=16, help="Concurrent writers in all.")
    parser.add_argument("--processes", type=int, default=1, help="Processes sharing them.")
    parser.add_argument("--transactions", type=int, default=150, help="Per writer, per run.")
    parser.add_argument("--rounds", type=int, default=3, help="Runs of each code, in turns.")
    parser.add_argument("--via", choices=("service", "http"), default="service")
    parser.add_argument("--baseline", help="The revision without the chains.")
    parser.add_argument(
        "--one-chain", action="store_true", help="Also run with every writer on one chain."
    )
    parser.add_argument(
        "--synchronous-commit",
        choices=("on", "off"),
        help="Set for the scratch database (default: leave the server's setting).",
    )
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--process", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--chains", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql+asyncpg://"):
        parser.error("--database-url (or PIZZABOX_BENCH_DATABASE_URL) must name PostgreSQL")
    if not 1 <= args.processes <= args.writers:
        parser.error("--processes must be between 1 and --writers")
    if args.step:
        _say(json.dumps(asyncio.run(STEPS[args.step](args))))
    else:
        _compare(args)


if __name__ == "__main__":
    main()
