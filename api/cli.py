"""The `pizzabox` command: serve the API, manage the database, export the contract files."""

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import click
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from click.core import ParameterSource
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from api import migrate
from api.audit.chain import Head, Problem, Verdict
from api.core.config import Settings, get_settings
from api.core.errors import InvalidInput, PizzaboxError
from api.core.logs import configure_logging
from api.pipelines.commands import ci
from api.serving import cpu_count

T = TypeVar("T")


@contextmanager
def _failures_as_messages(doing: str) -> Iterator[None]:
    """Turn the errors a user can cause (bad URL, unreachable database, unknown revision) into a
    one-line message and exit status 1, instead of a traceback."""
    try:
        yield
    except CommandError as exc:
        raise click.ClickException(f"{doing} failed: {exc}") from exc
    except SQLAlchemyError as exc:
        # The first line names the problem; the rest is SQL and driver detail.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise click.ClickException(f"{doing} failed: {reason}") from exc
    except (OSError, PizzaboxError) as exc:
        raise click.ClickException(f"{doing} failed: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise click.ClickException(f"{doing} failed: {problems}") from exc


class BadConfiguration(click.ClickException):
    """A setting the environment gives is not valid: a usage error, exit status 2."""

    exit_code = 2


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"PIZZABOX_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise BadConfiguration(f"bad configuration: {problems}") from exc


def _run(doing: str, action: Callable[[], T]) -> T:
    with _failures_as_messages(doing):
        return action()


@click.group()
@click.version_option(package_name="pizzabox")
def main() -> None:
    """Pizzabox: products, their two-pizza teams, and whether each is safe to launch."""


main.add_command(ci)


def _worker_count(ctx: click.Context, param: click.Parameter, value: str) -> int:
    """`--workers`: a number of worker processes, at least 1, or `auto`: one per CPU."""
    if value.strip().lower() == "auto":
        return cpu_count()
    source = ctx.get_parameter_source(param.name or "")
    given = f"{value!r}" + (" (PIZZABOX_WORKERS)" if source is ParameterSource.ENVIRONMENT else "")
    try:
        count = int(value)
    except ValueError:
        raise click.BadParameter(f"{given} is neither a whole number nor 'auto'") from None
    if count < 1:
        raise click.BadParameter(f"{given} is not a number of processes; give 1 or more")
    return count


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default="1",
    show_default=True,
    envvar="PIZZABOX_WORKERS",
    metavar="N|auto",
    callback=_worker_count,
    help="Worker processes serving the port, each with its own database pool; `auto` starts "
    "one per CPU. Also read from PIZZABOX_WORKERS.",
)
@click.option("--demo", is_flag=True, help="Load a demo portfolio into an empty database first.")
def serve(host: str, port: int, workers: int, demo: bool) -> None:
    """Apply migrations, then serve the API with uvicorn."""
    from api.serving import check_redis, reserved_port, run_uvicorn

    settings = _settings()
    configure_logging(settings.log_level, sql=settings.database_echo)
    with reserved_port(host, port):
        if settings.redis_url is not None:
            # Here, once, with a message, rather than as a start-up traceback from every worker.
            _run("connecting to Redis", lambda: asyncio.run(check_redis(settings)))
        # Once, before any worker starts: the workers find the database at head.
        click.echo(f"Migrating {_safe_url(settings)} to the latest revision")
        _run("migrating the database", lambda: migrate.upgrade(settings.database_url))
        if demo:
            _load_demo(settings)
    run_uvicorn(settings, host=host, port=port, workers=workers)


def _load_demo(settings: Settings) -> None:
    from api.demo import load_into_empty

    said = _run("loading the demo portfolio", lambda: asyncio.run(load_into_empty(settings)))
    click.echo(said)
    secret = _run(
        "creating the demo admin token",
        lambda: asyncio.run(
            _create_token(settings, name="demo-admin", role="admin", products=(), person=None)
        ),
    )
    click.echo("Admin token for the demo (shown once; send it as `Authorization: Bearer …`):")
    click.echo(secret)


async def _create_token(
    settings: Settings,
    *,
    name: str,
    role: str,
    products: tuple[str, ...],
    person: str | None,
    expires_in_days: int | None = None,
) -> str:
    from datetime import timedelta

    from api.audit.trail import attach_principal
    from api.core.access import SYSTEM
    from api.core.db import create_engine, create_sessionmaker, utcnow
    from api.identity.schemas import TokenCreate
    from api.identity.service import create_token
    from api.people.service import get_person_by_email

    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine, audit_key=settings.audit_key)() as session:
            attach_principal(session.sync_session, SYSTEM)
            person_id = (await get_person_by_email(session, person)).id if person else None
            expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
            data = TokenCreate.model_validate(
                {
                    "name": name,
                    "role": role,
                    "person_id": person_id,
                    "products": list(products),
                    "expires_at": expires_at,
                }
            )
            try:
                _, secret = await create_token(session, data=data, principal=SYSTEM)
            except InvalidInput as exc:
                # Name the command's options, not the API's fields.
                options = {"person_id": "--person", "products": "--product"}
                problems = "; ".join(
                    f"{options.get(error.field, '--' + error.field.replace('_', '-'))}: "
                    f"{error.message}"
                    for error in exc.errors
                )
                raise click.ClickException(problems) from exc
            await session.commit()
            return secret
    finally:
        await engine.dispose()


@main.group()
def token() -> None:
    """API tokens: the first admin token comes from here."""


@token.command("create")
@click.option("--name", required=True, help="What the token is for, e.g. ci-payments.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["viewer", "contributor", "security_reviewer", "admin", "ci"]),
)
@click.option("--product", "products", multiple=True, help="A product a ci token may use.")
@click.option("--person", default=None, help="Email of the person the token acts as.")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None)
def create_token_command(
    name: str,
    role: str,
    products: tuple[str, ...],
    person: str | None,
    expires_in_days: int | None,
) -> None:
    """Create a token and print its secret, alone, as the last line (it is shown only once)."""
    settings = _settings()
    _run("migrating the database", lambda: migrate.upgrade(settings.database_url))
    secret = _run(
        "creating the token",
        lambda: asyncio.run(
            _create_token(
                settings,
                name=name,
                role=role,
                products=products,
                person=person,
                expires_in_days=expires_in_days,
            )
        ),
    )
    click.echo(f"Created {role} token {name!r}; store the secret now, it is not shown again:")
    click.echo(secret)


@main.group()
def audit() -> None:
    """The audit trail: check that nobody tampered with it."""


async def _verify_trail(settings: Settings, anchors: dict[int, Head]) -> Verdict:
    from api.audit.verification import verify_trail
    from api.core.db import create_engine, create_sessionmaker

    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine, audit_key=settings.audit_key)() as session:
            return await verify_trail(session, anchors=anchors)
    finally:
        await engine.dispose()


class _CheckDidNotRun(click.ClickException):
    # A check that did not run must read neither as tampering found (1) nor as intact (0).
    exit_code = 2


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report, heads included.")
@click.option(
    "--against",
    "recorded",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A report an earlier `--json` run printed, kept outside the database: every chain must "
    "still reach the heads it lists, through the same digests.",
)
def verify_audit(as_json: bool, recorded: Path | None) -> None:
    """Check every audit event against its hash chain.

    Exit 0 when the trail is intact, 1 naming the first event that was changed, deleted or slipped
    in behind the API's back, 2 when the check could not run.
    """
    from api.audit.verification import recorded_heads, verification

    try:
        settings = _settings()
        anchors = (
            _run("reading the recorded heads", lambda: recorded_heads(recorded.read_text()))
            if recorded
            else {}
        )
        verdict = _run(
            "verifying the audit trail", lambda: asyncio.run(_verify_trail(settings, anchors))
        )
    except click.ClickException as exc:
        raise _CheckDidNotRun(exc.message) from exc
    if as_json:
        click.echo(verification(verdict).model_dump_json(indent=2))
    elif verdict.intact:
        click.echo(
            f"The audit trail is intact: {verdict.events_checked} events checked in "
            f"{verdict.chains_checked} chains."
        )
    else:
        found = verdict.problems_found
        click.echo(
            f"The audit trail is NOT intact: {found} problem{'s' if found != 1 else ''} in "
            f"{verdict.events_checked} events checked in {verdict.chains_checked} chains."
        )
        for problem in verdict.problems:
            click.echo(_describe_problem(problem))
        if verdict.problems_found > len(verdict.problems):
            click.echo(f"… and {verdict.problems_found - len(verdict.problems)} more.")
    if not verdict.keyed and not as_json:
        click.echo(
            "Checked with the public key: someone who can write to the database could have "
            "recomputed the chains. Set PIZZABOX_AUDIT_KEY to rule that out."
        )
    if not verdict.intact:
        raise SystemExit(1)


def _describe_problem(problem: Problem) -> str:
    where = f"chain {problem.chain}" if problem.chain is not None else "the trail"
    if problem.seq is not None:
        where += f", position {problem.seq}"
    subject = f"event {problem.event_id}" if problem.event_id else "no event left to name"
    return f"{problem.kind}: {subject} ({where}): {problem.detail}"


def _safe_url(settings: Settings) -> str:
    """The database URL without its password, fit for a terminal or a log."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(settings.database_url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "the configured database"


@main.group()
def db() -> None:
    """Database migrations (Alembic), against PIZZABOX_DATABASE_URL."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    settings = _settings()
    _run("upgrading the database", lambda: migrate.upgrade(settings.database_url, revision))
    click.echo(f"{_safe_url(settings)} is at {_describe_revision(settings)}")


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Undo migrations down to REVISION (`base` removes every table)."""
    settings = _settings()
    _run("downgrading the database", lambda: migrate.downgrade(settings.database_url, revision))
    click.echo(f"{_safe_url(settings)} is at {_describe_revision(settings)}")


@db.command()
def current() -> None:
    """Print the revision the database is at."""
    click.echo(_describe_revision(_settings()))


def _describe_revision(settings: Settings) -> str:
    def read() -> str:
        revision = migrate.current(settings.database_url)
        if revision is None:
            return "base (no migrations applied)"
        head = ScriptDirectory.from_config(
            migrate.alembic_config(settings.database_url)
        ).get_current_head()
        return f"{revision} (head)" if revision == head else f"{revision} (head is {head})"

    return _run("reading the database revision", read)


@main.command("export-schema")
@click.option(
    "--out",
    default="schema",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for openapi.json and schema.graphql.",
)
@click.option("--check", is_flag=True, help="Write nothing; fail if the files are out of date.")
def export_schema(out: Path, check: bool) -> None:
    """Write schema/openapi.json and schema/schema.graphql from the live app."""
    from api.schema_export import stale_files, write_files

    settings = _settings()
    if check:
        stale = _run("rendering the schema", lambda: stale_files(out, settings))
        if stale:
            raise click.ClickException(
                f"out of date in {out}/: {', '.join(stale)}; run `pizzabox export-schema`"
            )
        click.echo(f"{out}/ matches the app")
        return
    for path in _run("writing the schema", lambda: write_files(out, settings)):
        click.echo(f"wrote {path}")
