"""Settings are validated when read, and every command names a bad one in a single line."""

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from api.cli import main
from api.core.config import Settings, get_settings


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("log_level", "LOUD", id="unknown log level"),
        pytest.param("database_url", "postgresql://x/y", id="synchronous driver"),
        pytest.param("database_url", "sqlite:///./pizzabox.db", id="synchronous sqlite"),
        pytest.param("redis_url", "http://127.0.0.1:6379", id="not a redis url"),
        pytest.param("redis_prefix", "two words", id="redis prefix with a space"),
        pytest.param("metrics_token", "short", id="guessable metrics token"),
    ],
)
def test_bad_settings_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(**{field: value})  # type: ignore[arg-type]
    assert [error["loc"] for error in raised.value.errors()] == [(field,)]


def test_good_settings_are_accepted() -> None:
    settings = Settings(log_level="warning", database_url="postgresql+asyncpg://x/y")
    assert settings.log_level == "WARNING"


def test_an_empty_redis_url_means_none() -> None:
    # As a compose file or a unit writes an unset variable.
    assert Settings(redis_url="").redis_url is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        pytest.param("PIZZABOX_LOG_LEVEL", "LOUD", id="log level"),
        pytest.param("PIZZABOX_DATABASE_URL", "postgresql://x/y", id="database url"),
    ],
)
def test_the_cli_names_a_bad_setting_without_a_traceback(variable: str, value: str) -> None:
    # get_settings() caches the environment it first read; this test needs it read afresh.
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["db", "current"], env={variable: value})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert variable in lines[0], result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["serve", "--port", "1"],
        ["serve", "--workers", "2"],
        ["db", "upgrade"],
        ["export-schema", "--check"],
        ["token", "create", "--name", "x", "--role", "admin"],
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_every_command_names_a_bad_setting_in_one_line(command: list[str]) -> None:
    # A fresh process, as a user runs it: nothing may read the environment while importing.
    result = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", *command],
        env={**os.environ, "PIZZABOX_LOG_LEVEL": "LOUD"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "PIZZABOX_LOG_LEVEL" in lines[0]


@pytest.mark.parametrize(
    ("arguments", "environment", "named"),
    [
        pytest.param(["--workers", "0"], {}, "'0'", id="no workers"),
        pytest.param(["--workers", "many"], {}, "'many'", id="not a number"),
        pytest.param([], {"PIZZABOX_WORKERS": "lots"}, "PIZZABOX_WORKERS", id="from the env"),
    ],
)
def test_a_bad_worker_count_is_a_usage_error(
    arguments: list[str], environment: dict[str, str], named: str
) -> None:
    result = CliRunner().invoke(main, ["serve", *arguments], env=environment)
    assert result.exit_code == 2, result.output
    assert named in result.output
    assert "Traceback" not in result.output
