"""Pizzabox against bare apps that do the same database work on the same stack.

For each database (SQLite, PostgreSQL) it migrates and seeds a fresh database through Pizzabox's
own services (1,000 products on 100 teams of 6 people), starts Pizzabox (`pizzabox serve`) and
the bare apps of `benchmarks/` (`benchmarks.serve`: Litestar's hello world, and Litestar with
SQLAlchemy doing only the database work), each as a process of its own on a free port with the
same uvicorn settings, and measures, alternating Pizzabox and its bare app run by run:

- requests per second under `wrk` (Debian's package; `apt-get install wrk`) for `/healthz`, a
  point read, a list of 50 and an audited `PATCH` with `If-Match` (and, beside `/healthz` for
  scale, a hello world that sends the headers every Pizzabox answer carries);
- the time of a GraphQL query for 1,000 products with their team, members and people, in pages
  of 200, over HTTP, against Strawberry running the same query over objects in memory, in a
  process of its own (and, for scale, Strawberry resolving the relations through DataLoaders,
  and raw SQL with orjson);
- the SQL statements each of those requests runs, and that they do not grow with the rows.

It prints the medians and their ratios, and exits 1 when a ratio misses its goal. This is a
benchmark, not a test: run it on an otherwise idle machine, and compare ratios, not absolute
numbers.

    python scripts/bench.py                           # SQLite and PostgreSQL (127.0.0.1:5432)
    python scripts/bench.py --databases sqlite --rounds 3 --seconds 5
    python scripts/bench.py --postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/my_bench
    python scripts/bench.py --only point,graphql      # some of the measures

The PostgreSQL database is created if missing and emptied: give the benchmark its own.
"""

import argparse
import asyncio
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, make_url

from api import migrate
from benchmarks.graphql_floor import FLOORS, PAGE, PORTFOLIO_QUERY
from benchmarks.load import (
    ROOT,
    Load,
    Server,
    environment,
    free_port,
    serve_command,
    start,
    wrk,
)
from benchmarks.seed import PRODUCTS, Portfolio, seed

PATCH_SCRIPT = ROOT / "benchmarks" / "patch.lua"
MAX_FAILED_SHARE = 0.01
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/pizzabox_bench"

# The SQL statements each request ran before this benchmark's fixes (issue 9), per database:
# a request may run these or fewer, never more.
STATEMENTS_BEFORE: dict[str, dict[str, int]] = {
    "sqlite": {"point read": 2, "list": 2, "PATCH": 5, "GraphQL page": 5},
    "postgresql": {"point read": 2, "list": 2, "PATCH": 4, "GraphQL page": 5},
}


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass(frozen=True)
class Target:
    """One row of the table: a Pizzabox request against the same request to a bare app."""

    key: str  # how `--only` names it
    name: str
    path: str
    bare: str  # which bare app answers it
    goal: float  # Pizzabox's rate must be at least this share of the bare app's
    authenticated: bool = True
    patch: bool = False
    # Another bare app measured beside it, for scale (not for the goal).
    reference: str | None = None


TARGETS = (
    Target(
        "healthz",
        "GET /healthz",
        "/healthz",
        "hello",
        0.8,
        authenticated=False,
        reference="hello_headers",
    ),
    Target("point", "GET /api/v1/products/{slug}", "/api/v1/products/{slug}", "bare", 0.6),
    Target("list", "GET /api/v1/products?limit=50", "/api/v1/products?limit=50", "bare", 0.5),
    Target("patch", "PATCH /api/v1/products/{slug}, If-Match", "/", "bare", 0.5, patch=True),
)
GRAPHQL_GOAL = 2.0  # Pizzabox's time at most this multiple of Strawberry's over memory


@dataclass
class Row:
    """A line of the report."""

    measure: str
    pizzabox: str
    bare: str
    ratio: str
    goal: str
    met: bool


@dataclass
class Report:
    """Everything one database's run measured."""

    database: str
    rows: list[Row] = field(default_factory=list)

    def print(self) -> None:
        """As a Markdown table."""
        say()
        say(f"### {self.database}")
        say()
        say("| measure | Pizzabox | bare app | ratio | goal | |")
        say("| --- | --: | --: | --: | --: | --- |")
        for row in self.rows:
            mark = "met" if row.met else "**missed**"
            say(
                f"| {row.measure} | {row.pizzabox} | {row.bare} | {row.ratio} | {row.goal} "
                f"| {mark} |"
            )


def prepare(url: str) -> None:
    """An empty database at the latest migration (created first on PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        asyncio.run(_create_postgres_database(url))
    migrate.downgrade(url, "base")
    migrate.upgrade(url)


async def _create_postgres_database(url: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    parsed = make_url(url)
    maintenance = parsed.set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(maintenance.render_as_string(hide_password=False))
    try:
        if not await connection.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", parsed.database
        ):
            name = str(parsed.database).replace('"', '""')
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def product_versions(server: Server, token: str) -> list[str]:
    """Every product as `slug id version`, as the PATCH script needs them."""
    lines: list[str] = []
    cursor: str | None = None
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        for _ in range(PRODUCTS):
            params: dict[str, Any] = {"limit": 200}
            if cursor:
                params["cursor"] = cursor
            page = http.get("/api/v1/products", params=params)
            page.raise_for_status()
            body = page.json()
            lines += [f"{item['slug']} {item['id']} {item['version']}" for item in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                return lines
    raise RuntimeError("the product list never reached its last page")


def settled_versions(server: Server, token: str) -> list[str]:
    """The products' versions once no change is under way: a server goes on with the requests
    wrk left in flight when it stopped."""
    previous = product_versions(server, token)
    for _ in range(60):
        time.sleep(0.5)
        current = product_versions(server, token)
        if current == previous:
            return current
        previous = current
    raise RuntimeError("the products kept changing after the load stopped")


def drive(
    target: Target,
    server: Server,
    portfolio: Portfolio,
    load: Load,
    scratch: Path,
    *,
    pizzabox: Server,
    seconds: int | None = None,
) -> float:
    """Requests per second of one wrk run of `target` against `server` (`pizzabox` says where
    the products' current versions are read)."""
    headers = [f"Authorization: Bearer {portfolio.token}"] if target.authenticated else []
    slug = portfolio.slugs[len(portfolio.slugs) // 2]
    if target.patch:
        versions = scratch / "versions.txt"
        versions.write_text("\n".join(settled_versions(pizzabox, portfolio.token)) + "\n")
        outcome = wrk(
            server.url + "/",
            load,
            headers=headers,
            script=PATCH_SCRIPT,
            script_args=[str(versions), uuid.uuid4().hex[:8]],
            seconds=seconds,
        )
    else:
        outcome = wrk(
            server.url + target.path.format(slug=slug), load, headers=headers, seconds=seconds
        )
    # A PATCH whose previous change of the same product is still queued (SQLite's writers wait
    # their turn) meets an ETag that is no longer current: a 412 now and then is the guarantee
    # at work, not a failure of the run.
    if outcome.failures > (outcome.requests * MAX_FAILED_SHARE if target.patch else 0):
        raise RuntimeError(
            f"{target.name} on {server.name}: {outcome.failures} of {outcome.requests} answers "
            f"were not 2xx (see {server.log})"
        )
    return outcome.requests_per_second


def graphql_over_http(server: Server, token: str) -> float:
    """Milliseconds Pizzabox takes to answer the paged portfolio query, page after page."""
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        started = time.perf_counter()
        after: str | None = None
        read = 0
        while True:
            answer = http.post(
                "/graphql",
                json={"query": PORTFOLIO_QUERY, "variables": {"first": PAGE, "after": after}},
            )
            body = answer.json()
            if answer.status_code != 200 or body.get("errors"):
                raise RuntimeError(f"GraphQL failed: {answer.status_code} {answer.text[:500]}")
            page = body["data"]["products"]
            read += len(page["edges"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        elapsed = (time.perf_counter() - started) * 1000
    if read != PRODUCTS:
        raise RuntimeError(f"GraphQL read {read} products, not {PRODUCTS}")
    return elapsed


@contextmanager
def servers(url: str, logs: Path) -> Iterator[dict[str, Server]]:
    """Pizzabox and the bare apps, serving `url`'s database."""
    started: dict[str, Server] = {}
    try:
        for app in ("pizzabox", "hello", "hello_headers", "bare"):
            port = free_port()
            started[app] = start(
                app, serve_command(app, port), env=environment(url, port), logs=logs
            )
        yield started
    finally:
        for server in started.values():
            server.stop()


def ratio_row(target: Target, rates: dict[str, list[float]]) -> Row:
    """The medians of one target's runs, and Pizzabox's share of the bare app's rate."""
    median = {app: statistics.median(values) for app, values in rates.items()}
    ratio = median["pizzabox"] / median[target.bare]
    bare = f"{median[target.bare]:,.0f} rps ({BARE_NAMES[target.bare]})"
    shown = f"{ratio:.2f}"
    if target.reference:
        bare += f"; {median[target.reference]:,.0f} rps {BARE_NAMES[target.reference]}"
        shown += f" ({median['pizzabox'] / median[target.reference]:.2f} of the latter)"
    return Row(
        measure=target.name,
        pizzabox=f"{median['pizzabox']:,.0f} rps",
        bare=bare,
        ratio=shown,
        goal=f"≥ {target.goal:.1f}",
        met=ratio >= target.goal,
    )


BARE_NAMES = {
    "hello": "Litestar hello world",
    "hello_headers": "with Pizzabox's response headers",
    "bare": "bare app",
}


def check_reference_headers(pizzabox: Server, reference: Server) -> None:
    """The hello world with headers sends the headers Pizzabox sends, or it says nothing."""
    transport = {"date", "server", "content-length", "content-type"}

    def names(server: Server) -> set[str]:
        return {name.lower() for name in httpx.get(f"{server.url}/healthz").headers} - transport

    if names(pizzabox) != names(reference):
        raise RuntimeError(
            f"benchmarks.bare.POLICY_HEADERS is out of date: Pizzabox sends "
            f"{sorted(names(pizzabox))}, the reference {sorted(names(reference))}"
        )


MEASURES = (*(target.key for target in TARGETS), "graphql", "statements")


def benchmark(
    url: str, load: Load, rounds: int, graphql_runs: int, scratch: Path, only: set[str]
) -> Report:
    """One database's run, of the measures named in `only`."""
    targets = [target for target in TARGETS if target.key in only]
    kind = make_url(url).get_backend_name()
    report = Report(database=f"{'PostgreSQL' if kind == 'postgresql' else 'SQLite'} ({url})")
    say(f"\n== {url}: migrating and seeding {PRODUCTS} products")
    prepare(url)
    portfolio = asyncio.run(seed(url))
    logs = scratch / kind
    logs.mkdir(exist_ok=True)
    with servers(url, logs) as running:
        pizzabox = running["pizzabox"]
        say("   warming up")
        check_reference_headers(pizzabox, running["hello_headers"])
        for target in targets:
            for app in ("pizzabox", target.bare, *([target.reference] if target.reference else [])):
                drive(target, running[app], portfolio, load, scratch, pizzabox=pizzabox, seconds=1)
        rates: dict[tuple[str, str], list[float]] = {}
        for round_number in range(rounds):
            for target in targets:
                order = ["pizzabox", target.bare]
                if target.reference:
                    order.append(target.reference)
                if round_number % 2:
                    order.reverse()
                for app in order:
                    rate = drive(target, running[app], portfolio, load, scratch, pizzabox=pizzabox)
                    rates.setdefault((target.name, app), []).append(rate)
                    say(
                        f"   round {round_number + 1}: {target.name:<42} {app:<13} {rate:9,.0f} rps"
                    )
        for target in targets:
            apps = ["pizzabox", target.bare, *([target.reference] if target.reference else [])]
            report.rows.append(ratio_row(target, {app: rates[(target.name, app)] for app in apps}))
        if "graphql" in only:
            report.rows.append(graphql_row(url, pizzabox, portfolio, graphql_runs))
    if "statements" in only:
        report.rows.append(asyncio.run(_statements(url, kind, portfolio)))
    return report


class FloorProcess:
    """`benchmarks.graphql_floor` in a process of its own, run a floor at a time."""

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.graphql_floor", url],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self._line() != "ready":
            raise RuntimeError("the GraphQL floors did not start")

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the GraphQL floors' process ended")
        return line.strip()

    def run(self, floor: str) -> float:
        """Milliseconds one run of `floor` took."""
        assert self.process.stdin is not None
        self.process.stdin.write(floor + "\n")
        self.process.stdin.flush()
        elapsed, read = self._line().split()
        if int(read) != PRODUCTS:
            raise RuntimeError(f"the {floor} floor read {read} products, not {PRODUCTS}")
        return float(elapsed)

    def close(self) -> None:
        """End the process."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def graphql_row(url: str, pizzabox: Server, portfolio: Portfolio, runs: int) -> Row:
    """Pizzabox's paged query over HTTP against the floors, alternating."""
    floors = FloorProcess(url)
    try:
        graphql_over_http(pizzabox, portfolio.token)  # warm, like the floors
        times: dict[str, list[float]] = {name: [] for name in ("pizzabox", *FLOORS)}
        for run in range(runs):
            order = ["pizzabox", *FLOORS]
            if run % 2:
                order.reverse()
            for name in order:
                times[name].append(
                    graphql_over_http(pizzabox, portfolio.token)
                    if name == "pizzabox"
                    else floors.run(name)
                )
            say(
                f"   GraphQL run {run + 1}: Pizzabox {times['pizzabox'][-1]:,.0f} ms, "
                f"Strawberry over memory {times['strawberry'][-1]:,.0f} ms, "
                f"with DataLoaders {times['dataloaders'][-1]:,.0f} ms, "
                f"raw SQL + orjson {times['raw'][-1]:,.0f} ms"
            )
    finally:
        floors.close()
    median = {name: statistics.median(values) for name, values in times.items()}
    ratio = median["pizzabox"] / median["strawberry"]
    return Row(
        measure=f"GraphQL: {PRODUCTS:,} products, team, members, people, pages of {PAGE}",
        pizzabox=f"{median['pizzabox']:,.0f} ms",
        bare=(
            f"Strawberry over memory {median['strawberry']:,.0f} ms (with DataLoaders "
            f"{median['dataloaders']:,.0f} ms; raw SQL + orjson {median['raw']:,.0f} ms)"
        ),
        ratio=f"{ratio:.2f} x ({median['pizzabox'] / median['dataloaders']:.2f} x DataLoaders)",
        goal=f"≤ {GRAPHQL_GOAL:.0f} x",
        met=ratio <= GRAPHQL_GOAL,
    )


_NOT_COUNTED = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.IGNORECASE)


async def _statements(url: str, kind: str, portfolio: Portfolio) -> Row:
    """SQL statements per benchmarked request (transaction control left out), with few rows
    and with many: the same number both times, and no more than before."""
    from api.app import create_app
    from api.core.config import Settings

    app = create_app(Settings(database_url=url, log_level="WARNING"))
    counts: dict[str, int] = {}
    growing: list[str] = []
    async with app.lifespan():
        engine = app.state.engine
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://bench",
            headers={"Authorization": f"Bearer {portfolio.token}"},
        ) as http:
            slug = portfolio.slugs[0]

            async def count(send: Callable[[], Any]) -> int:
                statements: list[str] = []

                def seen(_c: Any, _k: Any, statement: str, *_: Any) -> None:
                    if not _NOT_COUNTED.match(statement):
                        statements.append(statement)

                await send()  # warm: connections, caches, `last_used_at`
                event.listen(engine.sync_engine, "before_cursor_execute", seen)
                try:
                    answer = await send()
                finally:
                    event.remove(engine.sync_engine, "before_cursor_execute", seen)
                if answer.status_code != 200 or b'"errors"' in answer.content:
                    raise RuntimeError(f"{answer.status_code} {answer.text[:300]}")
                return len(statements)

            def graphql(first: int) -> Callable[[], Any]:
                body = {"query": PORTFOLIO_QUERY, "variables": {"first": first}}
                return lambda: http.post("/graphql", json=body)

            etag: dict[str, str] = {}

            async def patch() -> httpx.Response:
                if not etag:
                    etag["value"] = (await http.get(f"/api/v1/products/{slug}")).headers["etag"]
                answer = await http.patch(
                    f"/api/v1/products/{slug}",
                    json={"summary": f"counted {uuid.uuid4().hex[:8]}"},
                    headers={"If-Match": etag["value"]},
                )
                etag["value"] = answer.headers.get("etag", "")
                return answer

            counts["point read"] = await count(lambda: http.get(f"/api/v1/products/{slug}"))
            few = await count(lambda: http.get("/api/v1/products", params={"limit": 5}))
            counts["list"] = await count(lambda: http.get("/api/v1/products", params={"limit": 50}))
            if few != counts["list"]:
                growing.append("list")
            counts["PATCH"] = await count(patch)
            few = await count(graphql(10))
            counts["GraphQL page"] = await count(graphql(PAGE))
            if few != counts["GraphQL page"]:
                growing.append("GraphQL")
    before = STATEMENTS_BEFORE.get(kind, {})
    more = [name for name, number in counts.items() if number > before.get(name, number)]
    shown = ", ".join(
        f"{name} {number}" + (f" (was {before[name]})" if name in before else "")
        for name, number in counts.items()
    )
    problems = [f"grows with rows: {', '.join(growing)}"] if growing else []
    problems += [f"more than before: {', '.join(more)}"] if more else []
    return Row(
        measure="SQL statements per request",
        pizzabox=shown,
        bare="",
        ratio="; ".join(problems) or "constant in rows",
        goal="unchanged or fewer",
        met=not problems,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql",
        help="comma-separated: sqlite, postgresql (default: both)",
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per app and request")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--graphql-runs", type=int, default=5)
    parser.add_argument(
        "--only",
        default=",".join(MEASURES),
        help=f"comma-separated measures to take (default: all): {', '.join(MEASURES)}",
    )
    args = parser.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    if only - set(MEASURES):
        raise SystemExit(f"unknown measures: {', '.join(sorted(only - set(MEASURES)))}")
    # Stopped from outside, it still stops the servers it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (Debian, Ubuntu)")
    load = Load(threads=1, connections=args.connections, seconds=args.seconds)
    reports: list[Report] = []
    # The servers' logs stay when something fails, to say what.
    scratch = Path(tempfile.mkdtemp(prefix="pizzabox-bench-"))
    try:
        for database in (name.strip() for name in args.databases.split(",") if name.strip()):
            if database == "sqlite":
                url = f"sqlite+aiosqlite:///{scratch / 'bench.db'}"
            elif database == "postgresql":
                url = args.postgres_url
            else:
                raise SystemExit(f"unknown database {database!r}: sqlite or postgresql")
            reports.append(benchmark(url, load, args.rounds, args.graphql_runs, scratch, only))
    except BaseException:
        say(f"\nThe servers' logs are in {scratch}")
        raise
    shutil.rmtree(scratch)
    say(
        f"\nwrk -t{load.threads} -c{load.connections} -d{load.seconds}s, {args.rounds} runs "
        f"per app and request, alternating; medians."
    )
    for report in reports:
        report.print()
    missed = [row.measure for report in reports for row in report.rows if not row.met]
    if missed:
        say(f"\nMissed: {'; '.join(missed)}")
        raise SystemExit(1)
    say("\nEvery goal met.")


if __name__ == "__main__":
    main()
