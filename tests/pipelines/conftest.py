"""A fake Pizzabox over real HTTP, and `pizzabox ci` run against it with instant back-off."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from api.cli import main
from api.pipelines.commands import Tuning
from tests.pipelines.fake_server import TOKEN, FakePizzabox, running_fake

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def server() -> Iterator[FakePizzabox]:
    with running_fake() as fake:
        yield fake


@dataclass
class Pizzabox:
    """Runs `pizzabox ci …` against a server, recording the back-off it would have slept."""

    url: str
    token: str = TOKEN
    slept: list[float] = field(default_factory=list)

    def __call__(self, *args: str | Path, env: dict[str, str | None] | None = None) -> Result:
        environment: dict[str, str | None] = {
            "PIZZABOX_URL": self.url,
            "PIZZABOX_TOKEN": self.token,
        }
        environment.update(env or {})
        return CliRunner().invoke(
            main,
            ["ci", *(str(arg) for arg in args)],
            env=environment,
            obj=Tuning(sleep=self.slept.append),
        )


@pytest.fixture
def pizzabox(server: FakePizzabox) -> Pizzabox:
    return Pizzabox(server.url)


def fixtures(kind: str, *names: str) -> Sequence[Path]:
    """Paths of fixture files under tests/pipelines/fixtures/<kind>/."""
    return [FIXTURES / kind / name for name in names]
