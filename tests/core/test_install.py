"""Pizzabox installed as the image installs it, and run as a user would, anywhere.

The steps of the Dockerfile, without a container engine (none runs on these machines): a fresh
virtualenv; the locked dependencies (`requirements.lock`, hashes required); the package itself,
not editable, from a copy of its sources; then `pizzabox serve --demo` as a user who is not root,
from a directory outside the clone, on a SQLite database there. The installed package must bring
its migrations, templates and console assets along.
"""

import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
# The user the image runs as is made by the Dockerfile; here, one every Debian system has.
UNPRIVILEGED = "nobody"


def run(command: list[str], **options: object) -> str:
    result = subprocess.run(  # type: ignore[call-overload]
        command, capture_output=True, text=True, check=False, **options
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return str(result.stdout)


def as_unprivileged(command: list[str]) -> list[str]:
    """`command`, run as a user who is not root: this one if it is not, else `nobody`."""
    if os.geteuid() != 0:
        return command
    try:
        pwd.getpwnam(UNPRIVILEGED)
    except KeyError:
        pytest.skip(f"running as root, and there is no {UNPRIVILEGED} user to run as")
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root, and there is no runuser to run as another user")
    return [runuser, "-u", UNPRIVILEGED, "--", *command]


# It uses no test database: the suite's SQLite pass runs it, the PostgreSQL pass need not again.
pytestmark = pytest.mark.skipif(
    "PIZZABOX_TEST_DATABASE_URL" in os.environ,
    reason="installs the same way whatever the database; run in the SQLite pass",
)


def shared_interpreter() -> Path:
    """A Python of this version that the unprivileged user may run, as the image's is.

    This virtualenv's interpreter may live where only root may enter (a pyenv under /root); the
    system's own Python of the same version does as well, since the lock is for this version.
    """
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [Path(sys.executable).resolve(), Path(f"/usr/bin/python{version}")]
    for candidate in candidates:
        if not candidate.is_file():
            continue
        check = as_unprivileged([str(candidate), "-c", "import ensurepip, venv"])
        if subprocess.run(check, capture_output=True, check=False).returncode == 0:
            return candidate
    pytest.skip(f"no Python {version} with venv that {UNPRIVILEGED} may run")


@pytest.fixture(scope="module")
def installed() -> Iterator[Path]:
    """A virtualenv outside the clone with the locked dependencies and the package in it."""
    # Not pytest's temporary directory, which only its owner may enter.
    place = Path(tempfile.mkdtemp(prefix="pizzabox-install-"))
    place.chmod(0o755)
    try:
        sources = place / "src"
        sources.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, sources / name)
        shutil.copytree(
            ROOT / "api", sources / "api", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        venv = place / "venv"
        run([str(shared_interpreter()), "-m", "venv", str(venv)])
        pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
        # As the Dockerfile's first layer: the locked dependencies alone, each checked by hash.
        run([*pip, "install", "--require-hashes", "-r", str(LOCK)], cwd=place, timeout=900)
        # Then the code, not editable, adding no dependency the lock does not pin.
        run([*pip, "install", "--no-deps", str(sources)], cwd=place, timeout=600)
        shutil.rmtree(sources)  # nothing may be read from the sources once installed
        # As an image's layers are: owned by root, readable and runnable by everyone.
        run(["chmod", "-R", "a+rX", str(place)])
        yield venv
    finally:
        shutil.rmtree(place, ignore_errors=True)


def test_the_installed_package_serves_from_anywhere_as_a_user(installed: Path) -> None:
    home = Path(tempfile.mkdtemp(prefix="pizzabox-home-"))
    try:
        home.chmod(0o777)  # the user's writable directory, like the image's /app/data volume
        port = free_port()
        environment = {
            "PATH": f"{installed / 'bin'}:/usr/bin:/bin",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "PIZZABOX_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'pizzabox.db'}",
            "PIZZABOX_LOG_LEVEL": "WARNING",
        }
        command = [str(installed / "bin" / "pizzabox"), "serve", "--port", str(port), "--demo"]
        log = home / "serve.log"
        with log.open("wb") as output:
            server = subprocess.Popen(
                as_unprivileged(command),
                cwd=home,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            base = f"http://127.0.0.1:{port}"
            ready = None
            for _ in range(300):
                if server.poll() is not None:
                    break
                try:
                    ready = httpx.get(f"{base}/readyz", timeout=1)
                    break
                except httpx.TransportError:
                    subprocess.run(["sleep", "0.2"], check=True)
            assert ready is not None, log.read_text()
            assert ready.status_code == 200, log.read_text()
            secret = [line for line in log.read_text().splitlines() if line.startswith("pzb_")]
            assert secret, log.read_text()
            token = {"Authorization": f"Bearer {secret[-1]}"}
            me = httpx.get(f"{base}/api/v1/me", headers=token)
            assert me.status_code == 200, me.text
            assert me.json()["role"] == "admin"
            # The package data came along: the landing page's template, the consoles' files.
            assert httpx.get(f"{base}/").status_code == 200
            graphiql = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"})
            script = re.search(r'src="(/static/vendor/graphiql@[^"]+)"', graphiql.text)
            assert script, graphiql.text[:500]
            assert httpx.get(f"{base}{script[1]}").status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=30)
        # The database is the user's, where they ran it; nothing was written beside the code.
        assert (home / "pizzabox.db").is_file()
        if os.geteuid() == 0:
            assert (home / "pizzabox.db").stat().st_uid == pwd.getpwnam(UNPRIVILEGED).pw_uid
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_the_lock_pins_every_dependency() -> None:
    """`requirements.lock` is regenerated when pyproject.toml's dependencies change."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {
        re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        for requirement in project["dependencies"]
    }
    text = LOCK.read_text()
    pinned = {match.lower() for match in re.findall(r"^([A-Za-z0-9._-]+)==", text, re.M)}
    assert wanted <= pinned, f"not in requirements.lock (run pip-compile): {wanted - pinned}"
    assert "--hash=sha256:" in text
