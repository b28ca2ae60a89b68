"""Checkpoint result uploads per second on one `pizzabox serve`, with 16 concurrent clients.

    python -m benchmarks.uploads [--database-url postgresql+asyncpg://postgres@127.0.0.1/bench_uploads]
                                 [--clients 16] [--seconds 10]

Each client is a pipeline posting results for its own product with a `ci` token, every upload
under a fresh `Idempotency-Key` (as `pizzabox ci report` sends them), so each one claims its key,
records the result and its audit events, and updates the checkpoint, in one transaction. The
database is emptied first (every migration down, then up). A benchmark, not a test: it prints.
"""

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from benchmarks.load import environment, free_port, serve_command, start

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_uploads"


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _pizzabox(env: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


async def _client(base: str, token: str, product: str, until: float, latencies: list[float]) -> int:
    done = 0
    path = f"/api/v1/products/{product}/checkpoints/resiliency/results"
    body = {"outcome": "passed", "summary": "bench", "tests_run": 100, "tests_failed": 0}
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        while time.monotonic() < until:
            started = time.perf_counter()
            response = await client.post(
                path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
            )
            latencies.append(time.perf_counter() - started)
            if response.status_code != 201:
                raise RuntimeError(f"upload answered {response.status_code}: {response.text}")
            done += 1
    return done


async def _run(base: str, admin: str, clients: int, seconds: float) -> None:
    headers = {"Authorization": f"Bearer {admin}"}
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", headers=headers) as api:
        team = (
            await api.post("/teams", json={"slug": "bench", "name": "Bench", "org": "b"})
        ).json()
        tokens: list[tuple[str, str]] = []
        for n in range(clients):
            slug = f"bench-{n}"
            made = await api.post(
                "/products",
                json={
                    "slug": slug,
                    "name": slug,
                    "team": team["slug"],
                    "data_classification": "internal",
                },
            )
            made.raise_for_status()
            token = await api.post(
                "/tokens", json={"name": f"ci-{slug}", "role": "ci", "products": [slug]}
            )
            token.raise_for_status()
            tokens.append((slug, token.json()["token"]))
    # A short warm-up, then the measured run.
    for label, length in (("warm-up", 2.0), ("run", seconds)):
        latencies: list[float] = []
        until = time.monotonic() + length
        started = time.monotonic()
        counts = await asyncio.gather(
            *(_client(base, token, slug, until, latencies) for slug, token in tokens)
        )
        elapsed = time.monotonic() - started
        if label == "run":
            total = sum(counts)
            latencies.sort()
            p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
            _say(f"uploads: {total} in {elapsed:.1f} s with {clients} clients")
            _say(f"uploads per second: {total / elapsed:.0f}")
            _say(f"latency median {statistics.median(latencies) * 1000:.1f} ms, p95 {p95:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    if args.database_url.startswith("postgresql"):
        name = args.database_url.rsplit("/", 1)[-1]
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", name],
            capture_output=True,
            check=False,
        )
    port = free_port()
    env = environment(args.database_url, port)
    _pizzabox(env, "db", "downgrade", "base")
    _pizzabox(env, "db", "upgrade")
    admin = _pizzabox(env, "token", "create", "--name", "bench-admin", "--role", "admin")
    with tempfile.TemporaryDirectory() as logs:
        server = start("pizzabox", serve_command("pizzabox", port), env=env, logs=Path(logs))
        try:
            _say(f"database: {args.database_url.split('@')[-1]}")
            asyncio.run(_run(server.url, admin, args.clients, args.seconds))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
