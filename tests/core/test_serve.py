"""`pizzabox serve` as a newcomer runs it: a port in use stops it first, with a sentence."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

CLI = "from api.cli import main; main()"


def serve(port: int, database: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, "serve", "--port", str(port), *options],
        env={**os.environ, "PIZZABOX_DATABASE_URL": f"sqlite+aiosqlite:///{database}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0"])
def test_a_port_in_use_stops_serve_before_the_demo(host: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        database = tmp_path / "pizzabox.db"
        result = serve(port, database, "--host", host, "--demo")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"port {port} is in use; try --port" in output, output
    assert "Traceback" not in output
    assert "Errno" not in output
    # Stopped before anything else: no migration, no demo, no token shown.
    assert "pzb_" not in output
    assert "Migrating" not in output
    assert not database.exists()


def test_a_port_only_bound_elsewhere_is_not_mistaken_for_one_in_use(tmp_path: Path) -> None:
    """A port held for a moment by another process's client is no reason to refuse; only a
    listener is. (The check binds as uvicorn does, with SO_REUSEADDR.)"""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    # Nothing listens on `port` now; serve gets past the check and fails later on purpose: an
    # unreachable database (a directory that does not exist) ends it after "Migrating".
    result = serve(port, tmp_path / "missing" / "pizzabox.db")
    output = result.stdout + result.stderr
    assert "in use" not in output, output
    assert "Migrating" in output, output
