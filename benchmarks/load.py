"""Servers as subprocesses on free ports, and `wrk` to drive them."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """One app serving on 127.0.0.1:`port`, its output kept in `log`."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        """Where it answers."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop it (uvicorn finishes its requests and closes its pool on SIGTERM)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(
    name: str, command: Sequence[str], *, env: dict[str, str], logs: Path, timeout: float = 60
) -> Server:
    """Run `command` (which must listen on the port in `env["BENCH_PORT"]`, passed in its
    arguments too) and wait until it answers HTTP."""
    port = int(env["BENCH_PORT"])
    log = logs / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            list(command), cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(name=name, port=port, process=process, log=log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start-up:\n{log.read_text()[-3000:]}")
        try:
            httpx.get(f"{server.url}/", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def serve_command(app: str, port: int) -> list[str]:
    """How the benchmark starts an app: Pizzabox as users do, the bare apps with its server."""
    if app == "pizzabox":
        pizzabox = shutil.which("pizzabox", path=str(Path(sys.executable).parent))
        if pizzabox is None:
            raise RuntimeError("the `pizzabox` command is not installed next to this Python")
        return [pizzabox, "serve", "--host", "127.0.0.1", "--port", str(port)]
    return [sys.executable, "-m", "benchmarks.serve", app, "--port", str(port)]


def environment(database_url: str, port: int) -> dict[str, str]:
    """The environment every server of one database gets: the same database, pool and logs."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIZZABOX_")}
    env.update(
        {
            "BENCH_PORT": str(port),
            "PIZZABOX_DATABASE_URL": database_url,
            "PIZZABOX_DATABASE_POOL_SIZE": "20",
            # The limiter counts every request, but the benchmark must never be refused.
            "PIZZABOX_RATE_LIMIT_PER_MINUTE": str(10**9),
            # Logging as the caller's environment sets it, the same for every server.
            **{
                key: os.environ[key]
                for key in ("PIZZABOX_ACCESS_LOG", "PIZZABOX_LOG_LEVEL")
                if key in os.environ
            },
        }
    )
    return env


@dataclass(frozen=True)
class Load:
    """How hard to drive: wrk's threads, connections and seconds per run."""

    threads: int = 1
    connections: int = 16
    seconds: int = 5


@dataclass(frozen=True)
class Outcome:
    """What one wrk run measured."""

    requests_per_second: float
    requests: int
    failures: int


_RPS = re.compile(r"Requests/sec:\s+([0-9.]+)")
_REQUESTS = re.compile(r"(\d+) requests in")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def wrk(
    url: str,
    load: Load,
    *,
    headers: Sequence[str] = (),
    script: Path | None = None,
    script_args: Sequence[str] = (),
    seconds: int | None = None,
) -> Outcome:
    """Run wrk against `url`; requests per second and how many answers were not 2xx or 3xx."""
    command = [
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{seconds or load.seconds}s",
        # SQLite's writers queue for the lock: a slow answer is slow, not lost.
        "--timeout",
        "30s",
    ]
    for header in headers:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    output = finished.stdout
    rps = _RPS.search(output)
    requests = _REQUESTS.search(output)
    if rps is None or requests is None:
        raise RuntimeError(f"wrk printed no rate:\n{output}\n{finished.stderr}")
    failures = int(non_2xx[1]) if (non_2xx := _NON_2XX.search(output)) else 0
    if socket_errors := _SOCKET.search(output):
        failures += sum(int(count) for count in socket_errors.groups())
    return Outcome(requests_per_second=float(rps[1]), requests=int(requests[1]), failures=failures)
