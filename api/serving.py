"""How `pizzabox serve` runs the app: uvicorn, in one process or several workers."""

import errno
import math
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import click

from api.core.config import PROMETHEUS_MULTIPROC_DIR, Settings
from api.core.counters import RedisCounters
from api.core.rate_limit import limit_counters


def cpu_count() -> int:
    """The CPUs this process may use: those it may run on, fewer when a container's CPU quota
    (cgroup v2 `cpu.max`) allows less than that."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpus = cpus or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 here, or no quota: the CPUs above are the limit
    return cpus


@contextmanager
def reserved_port(host: str, port: int) -> Iterator[None]:
    """Hold `host:port` while `serve` prepares (migrations, the demo and its token), so that a
    port in use stops it before any of that, with a sentence rather than uvicorn's `Errno 98`
    at the end; released just before uvicorn binds it."""
    # As uvicorn binds: IPv6 when the host is written as one, and SO_REUSEADDR, so that a port
    # left in TIME_WAIT by the last run is free (Linux still refuses one somebody listens on).
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((host, port))
        except OSError as error:
            raise click.ClickException(_cannot_listen(host, port, error)) from None
        yield
    finally:
        listener.close()


def _cannot_listen(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"port {port} is in use; try --port"
    if error.errno == errno.EACCES:
        return f"port {port} needs privileges this user lacks; try --port with 1024 or above"
    if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}: no such address on this machine; try --host"
    return f"cannot listen on {host}:{port}: {error.strerror or error}"


async def check_redis(settings: Settings) -> None:
    """Raise `RedisUnreachable` when the Redis the settings name does not answer."""
    counters = limit_counters(settings)
    if isinstance(counters, RedisCounters):
        async with counters:  # checks that Redis answers, then closes the connection
            pass


def run_uvicorn(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve the app until uvicorn is told to stop; with several workers, each builds its own
    app from the environment (which `settings` were read from, and found good)."""
    import uvicorn

    if workers > 1 and settings.redis_url is None and _limits_on(settings):
        click.echo(
            f"Note: without PIZZABOX_REDIS_URL each of the {workers} workers counts rate limits "
            "on its own, so a client may make up to that many times the limit.",
            err=True,
        )
    with metrics_shared_by(workers) if settings.metrics else nullcontext():
        # Several workers import the app by name, each in a process of its own; this one only
        # watches them. Imported once the metrics directory is ready: prometheus-client opens
        # a metric's file in it when the metric is made, on import.
        app: Any = "api.app:create_app"
        if workers == 1:
            from api.app import create_app

            app = create_app(settings)
        uvicorn.run(
            app,
            factory=workers > 1,
            workers=workers if workers > 1 else None,
            host=host,
            port=port,
            # uvloop and httptools when installed (they are dependencies), else asyncio and h11.
            loop="auto",
            http="auto",
            log_level=settings.log_level.lower(),
            # uvicorn's loggers write through the root logger's handler, in Pizzabox's format: the
            # access log line carries the request id like every other line.
            log_config=None,
            access_log=settings.access_log,
            # Pizzabox reads X-Forwarded-For itself, from PIZZABOX_TRUSTED_PROXIES only; uvicorn
            # would otherwise believe it from anyone on the loopback (its default).
            proxy_headers=False,
        )


def _limits_on(settings: Settings) -> bool:
    return bool(settings.rate_limit_per_minute or settings.auth_failures_per_minute)


@contextmanager
def metrics_shared_by(workers: int) -> Iterator[None]:
    """With several workers, have them keep their metrics in files in one directory
    (prometheus-client's multiprocess mode), so that whichever worker answers a scrape adds up
    every worker's; a directory given in the environment is emptied first, as the mode needs."""
    configured = os.environ.get(PROMETHEUS_MULTIPROC_DIR)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for leftover in directory.glob("*.db"):
            leftover.unlink()
        yield
        return
    if workers <= 1:
        yield
        return
    directory = Path(tempfile.mkdtemp(prefix="pizzabox-metrics-"))
    # Read by the workers when they import prometheus-client (uvicorn spawns fresh processes).
    os.environ[PROMETHEUS_MULTIPROC_DIR] = str(directory)
    try:
        yield
    finally:
        del os.environ[PROMETHEUS_MULTIPROC_DIR]
        shutil.rmtree(directory, ignore_errors=True)
