"""A client generated from the committed `schema/openapi.json` by openapi-python-client, as a
portal team would make one: it generates without a warning, and works against the demo."""

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import serve_until_up

SCHEMA = Path(__file__).resolve().parents[2] / "schema" / "openapi.json"
PACKAGE = "pizzabox_api_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The generated package, imported from a directory of its own."""
    where = tmp_path_factory.mktemp("client")
    result = subprocess.run(
        [
            *(sys.executable, "-m", "openapi_python_client", "generate"),
            *("--path", str(SCHEMA), "--meta", "none", "--output-path", str(where / PACKAGE)),
        ],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The generator names what it could not make sense of (a schema it skipped, a bad name).
    assert "warning" not in output.lower(), output
    assert "error" not in output.lower(), output
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`pizzabox serve --demo` on a database of its own: its address and its admin token."""
    where = tmp_path_factory.mktemp("demo")
    environment = {
        **os.environ,
        "PIZZABOX_DATABASE_URL": f"sqlite+aiosqlite:///{where / 'demo.db'}",
        "PIZZABOX_LOG_LEVEL": "WARNING",
    }
    environment.pop("PIZZABOX_WORKERS", None)
    log = where / "serve.log"
    server = serve_until_up(environment, log, "--demo")
    try:
        token = [line for line in log.read_text().splitlines() if line.startswith("pzb_")][-1]
        yield server.base_url, token
    finally:
        server.stop()


def test_three_calls_with_the_generated_client(generated: Any, demo: tuple[str, str]) -> None:
    base_url, token = demo
    get_me = importlib.import_module(f"{PACKAGE}.api.identity.get_me")
    list_products = importlib.import_module(f"{PACKAGE}.api.products.list_products")
    get_team = importlib.import_module(f"{PACKAGE}.api.teams.get_team")
    stage = importlib.import_module(f"{PACKAGE}.models.list_products_stage").ListProductsStage

    with generated.AuthenticatedClient(base_url=base_url, token=token) as client:
        me = get_me.sync(client=client)
        assert me.role.value == "admin"
        assert me.name == "demo-admin"

        building = list_products.sync(client=client, stage=stage.BUILDING, limit=200)
        assert building.items, "the demo has products being built"
        assert {product.stage.value for product in building.items} == {"building"}

        team = get_team.sync(client=client, slug=building.items[0].team)
        assert team.slug == building.items[0].team
        assert team.version >= 1
