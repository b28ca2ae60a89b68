"""Run Alembic migrations from code: the CLI, start-up and the tests all come through here."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _script_location() -> Path:
    # A source checkout (and an editable install) keeps migrations beside the package; an image
    # that installed the package copies them to its working directory.
    for candidate in (_PROJECT_ROOT / "migrations", Path.cwd() / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("cannot find the migrations/ folder next to the api package or here")


def alembic_config(database_url: str) -> Config:
    """An Alembic config that targets `database_url`, without reading alembic.ini's logging."""
    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Undo migrations down to `revision` (`base` removes every table)."""
    command.downgrade(alembic_config(database_url), revision)


def current(database_url: str) -> str | None:
    """The revision the database is at, or None when it has no migrations applied."""
    config = alembic_config(database_url)
    revisions: list[str] = []

    def _read(rev: object, context: MigrationContext) -> list[object]:
        revisions.extend(context.get_current_heads())
        return []

    script = ScriptDirectory.from_config(config)
    with EnvironmentContext(config, script, fn=_read):
        script.run_env()
    return revisions[0] if revisions else None
