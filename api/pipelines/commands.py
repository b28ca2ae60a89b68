"""`pizzabox ci report | findings | gate`: what a CI pipeline runs to report and to ask."""

import glob
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
import httpx

from api.pipelines.client import (
    IDEMPOTENCY_KEY,
    ApiError,
    Backoff,
    Connection,
    PipelineError,
    PizzaboxClient,
)
from api.pipelines.junit import BadReport, TestRun, read_junit_files
from api.pipelines.sarif import BadSarif, ToolScan, read_sarif_files

F = TypeVar("F", bound=Callable[..., Any])

APPROACHES = ("positive", "negative", "black_box", "white_box")
# Exit statuses: 1 is gate's "blocked", so that a pipeline can tell it from a failure to ask.
BLOCKED = 1
FAILED = 2


class CiFailure(click.ClickException):
    """Anything that kept a `ci` command from doing its job: exit status 2."""

    exit_code = FAILED


@dataclass
class Tuning:
    """What tests (or an embedding program) pass as click's `obj` to change how calls are made."""

    backoff: Backoff = field(default_factory=Backoff)
    sleep: Callable[[float], None] | None = None
    transport: httpx.BaseTransport | None = None


def _connection_options(command: F) -> F:
    command = click.option(
        "--token",
        envvar="PIZZABOX_TOKEN",
        show_envvar=True,
        help="API token (a `ci` token lists the products it may report for).",
    )(command)
    return click.option(
        "--url",
        envvar="PIZZABOX_URL",
        show_envvar=True,
        help="The Pizzabox server, e.g. https://pizzabox.example.com.",
    )(command)


def _json_option(command: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the server's JSON answer instead."
    )(command)


def _key_option(command: F) -> F:
    return click.option(
        "--idempotency-key",
        help="Sent with the upload so a retry records nothing twice; 1-128 characters of "
        "A-Z a-z 0-9 . _ : -. Default: a new one per run. Give the same one when re-running a "
        "job whose upload may already have arrived.",
    )(command)


def _connection(url: str | None, token: str | None) -> Connection:
    if not url:
        raise CiFailure(
            "PIZZABOX_URL is not set: export the Pizzabox server's address "
            "(e.g. https://pizzabox.example.com) or pass --url"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CiFailure(f"PIZZABOX_URL {url!r} is not an http:// or https:// address")
    if not token or not token.strip():
        raise CiFailure("PIZZABOX_TOKEN is not set: export an API token or pass --token")
    tuning = click.get_current_context().find_object(Tuning) or Tuning()
    connection = Connection(
        url=url,
        token=token.strip(),
        backoff=tuning.backoff,
        transport=tuning.transport,
        on_retry=lambda message: click.echo(message, err=True),
    )
    if tuning.sleep is not None:
        connection.sleep = tuning.sleep
    return connection


def _idempotency_key(given: str | None) -> str:
    if given is None:
        # Once per invocation: every retry below sends this same key.
        return uuid.uuid4().hex
    if not IDEMPOTENCY_KEY.match(given):
        raise click.BadParameter(
            "must be 1-128 characters of A-Z a-z 0-9 . _ : -", param_hint="'--idempotency-key'"
        )
    return given


def tool_key(key: str, tool: str) -> str:
    """The key of one tool's upload when a run uploads for several: the same on every re-run
    with the same key, different for each tool, and within the key's 128 characters."""
    digest = hashlib.sha256(f"{key}\n{tool}".encode()).hexdigest()[:32]
    return f"{key[: 128 - 1 - len(digest)]}.{digest}"


def _files(patterns: tuple[str, ...], option: str) -> list[Path]:
    """The files named, with a quoted glob (`'reports/*.xml'`) expanded, in a stable order."""
    paths: list[Path] = []
    for pattern in patterns:
        if glob.has_magic(pattern) and not Path(pattern).exists():
            matches = sorted(glob.glob(pattern, recursive=True))
            if not matches:
                raise CiFailure(f"{option} {pattern}: matches no file; nothing was sent")
            paths.extend(Path(match) for match in matches)
        else:
            path = Path(pattern)
            if not path.is_file():
                raise CiFailure(f"{path}: no such file; nothing was sent")
            paths.append(path)
    return list(dict.fromkeys(paths))


@contextmanager
def _failures(as_json: bool) -> Iterator[None]:
    """Every way a command can fail, as a message and exit status 2, never a traceback (whose
    status 1 would read as gate's "blocked")."""
    try:
        yield
    except click.ClickException:
        raise
    except ApiError as exc:
        if as_json and exc.problem is not None:
            click.echo(json.dumps(exc.problem, indent=2))
        raise CiFailure(exc.describe()) from exc
    except (PipelineError, BadReport, BadSarif) as exc:
        raise CiFailure(str(exc)) from exc
    except Exception as exc:
        raise CiFailure(f"unexpected error: {type(exc).__name__}: {exc}") from exc


def _echo_json(body: Any) -> None:
    click.echo(json.dumps(body, indent=2))


@click.group("ci")
def ci() -> None:
    """Report results and findings from a CI pipeline, and gate a release on readiness.

    Needs PIZZABOX_URL and PIZZABOX_TOKEN. Exit status: 0 done (gate: ready), 1 gate: blocked,
    2 anything else (bad input, no answer, an error from the server). Uploads are retried with
    back-off on connection errors, timeouts, 429 and 5xx, under one idempotency key.
    """


@ci.command("report")
@click.argument("product")
@click.argument("kind")
@click.option(
    "--outcome",
    type=click.Choice(["passed", "failed"]),
    help="Required unless --junit is given, which decides it (failed if any test failed).",
)
@click.option("--summary", help="A line or a paragraph (at most 2000 characters).")
@click.option("--details-url", help="Where a person reads the whole report.")
@click.option("--commit", "commit_sha", help="The commit tested (7-64 hex characters).")
@click.option("--pipeline-run-id", help="The CI system's id for this run.")
@click.option("--pipeline-url", help="The CI run's page.")
@click.option(
    "--approach",
    "approaches",
    multiple=True,
    type=click.Choice(APPROACHES),
    help="How it was tested; repeat for several.",
)
@click.option(
    "--junit",
    "junit_patterns",
    multiple=True,
    metavar="FILE",
    help="JUnit XML to take the outcome, counts and failing tests from; repeat, or quote a glob.",
)
@_key_option
@_json_option
@_connection_options
def report(
    product: str,
    kind: str,
    outcome: str | None,
    summary: str | None,
    details_url: str | None,
    commit_sha: str | None,
    pipeline_run_id: str | None,
    pipeline_url: str | None,
    approaches: tuple[str, ...],
    junit_patterns: tuple[str, ...],
    idempotency_key: str | None,
    as_json: bool,
    url: str | None,
    token: str | None,
) -> None:
    """Record a checkpoint result for PRODUCT's checkpoint KIND (e.g. resiliency)."""
    if outcome is None and not junit_patterns:
        raise click.UsageError("give --outcome passed|failed, or --junit FILE to take it from")
    key = _idempotency_key(idempotency_key)
    with _failures(as_json):
        connection = _connection(url, token)
        tests: TestRun | None = None
        if junit_patterns:
            tests = read_junit_files(_files(junit_patterns, "--junit"))
            if tests.run == 0 and outcome is None:
                # A suite that ran nothing (a wrong path, a filter that matched no test) is no
                # evidence that anything passed.
                files = ", ".join(str(path) for path in tests.files)
                raise CiFailure(
                    f"{files}: no test cases, so no outcome to take; nothing was sent "
                    "(give --outcome to report one anyway)"
                )
        result = {
            "outcome": outcome or (tests.outcome if tests else None),
            "summary": summary if summary is not None else (tests.summary if tests else None),
            "details_url": details_url,
            "commit_sha": commit_sha,
            "pipeline_run_id": pipeline_run_id,
            "pipeline_url": pipeline_url,
            "approaches": list(dict.fromkeys(approaches)),
            "tests_run": tests.run if tests else None,
            "tests_failed": tests.failed if tests else None,
            "tests_skipped": tests.skipped if tests else None,
            "failing_tests": tests.failing_tests if tests else [],
        }
        with PizzaboxClient(connection) as client:
            answer = client.post_result(product, kind, result, idempotency_key=key)
    if as_json:
        _echo_json(answer.body)
        return
    body = answer.body if isinstance(answer.body, dict) else {}
    line = (
        f"recorded {body.get('outcome', result['outcome'])} result for {product}/{kind} "
        f"(id {body.get('id', '?')})"
    )
    if tests:
        line += f": {tests.run} tests, {tests.failed} failed, {tests.skipped} skipped"
    if answer.replayed:
        line += "; the server had it already (same idempotency key), nothing recorded twice"
    click.echo(line)


@ci.command("findings")
@click.argument("product")
@click.argument("kind")
@click.option(
    "--sarif",
    "sarif_patterns",
    multiple=True,
    required=True,
    metavar="FILE",
    help="SARIF 2.1.0 from a scanner; repeat, or quote a glob. One upload per tool.",
)
@click.option(
    "--partial",
    is_flag=True,
    help="The files are not the tool's whole scan: add and update findings, mark none fixed.",
)
@_key_option
@_json_option
@_connection_options
def findings(
    product: str,
    kind: str,
    sarif_patterns: tuple[str, ...],
    partial: bool,
    idempotency_key: str | None,
    as_json: bool,
    url: str | None,
    token: str | None,
) -> None:
    """Upload the findings in SARIF files for PRODUCT's checkpoint KIND.

    Without --partial each tool's upload is its full scan: open findings of that tool and
    checkpoint that it no longer reports are marked fixed.
    """
    key = _idempotency_key(idempotency_key)
    answers: dict[str, Any] = {}
    with _failures(as_json):
        connection = _connection(url, token)
        # Every file is read before anything is sent: one bad file sends nothing from any.
        scans = read_sarif_files(_files(sarif_patterns, "--sarif"))
        _refuse_unfinished(scans, partial)
        if not scans:
            click.echo("the SARIF files hold no runs: nothing to upload", err=True)
        with PizzaboxClient(connection) as client:
            for scan in scans:
                upload = {
                    "checkpoint": kind,
                    "tool": scan.tool,
                    "full": not partial,
                    "findings": [finding.as_json() for finding in scan.findings],
                }
                scan_key = key if len(scans) == 1 else tool_key(key, scan.tool)
                try:
                    answer = client.post_findings(product, upload, idempotency_key=scan_key)
                except PipelineError:
                    if answers:
                        done = ", ".join(answers)
                        click.echo(
                            f"uploaded already: {done}; re-run with --idempotency-key {key} "
                            "to finish without recording those twice",
                            err=True,
                        )
                    raise
                answers[scan.tool] = answer.body
                if not as_json:
                    click.echo(_describe_upload(scan, answer.body, product, kind, partial))
    if as_json:
        _echo_json(answers)


def _refuse_unfinished(scans: list[ToolScan], partial: bool) -> None:
    unfinished = [place for scan in scans for place in scan.unfinished]
    if unfinished and not partial:
        raise CiFailure(
            f"{'; '.join(unfinished)}: the tool reports that it did not finish "
            "(executionSuccessful: false), so a full upload would mark what it missed as fixed; "
            "nothing was sent. Fix the scan, or send what it found with --partial"
        )


def _describe_upload(scan: ToolScan, body: Any, product: str, kind: str, partial: bool) -> str:
    counts = body if isinstance(body, dict) else {}
    line = (
        f"{scan.tool}: {len(scan.findings)} findings sent to {product}/{kind}: "
        f"{counts.get('created', 0)} new, {counts.get('updated', 0)} updated"
    )
    if not partial:
        line += f", {counts.get('fixed', 0)} marked fixed"
    return line


@ci.command("gate")
@click.argument("product")
@_json_option
@_connection_options
def gate(product: str, as_json: bool, url: str | None, token: str | None) -> None:
    """Exit 0 when PRODUCT is cleared to launch, 1 when something blocks it (each blocker
    printed as `code: detail`, one a line), 2 when the answer could not be had."""
    with _failures(as_json):
        connection = _connection(url, token)
        with PizzaboxClient(connection) as client:
            readiness = client.readiness(product).body
        if not isinstance(readiness, dict) or not isinstance(readiness.get("ready"), bool):
            raise CiFailure("the server's readiness answer has no true or false `ready`")
    if as_json:
        _echo_json(readiness)
    else:
        _describe_readiness(product, readiness)
    if not readiness["ready"]:
        raise SystemExit(BLOCKED)


def _describe_readiness(product: str, readiness: dict[str, Any]) -> None:
    stage = readiness.get("stage")
    at = f" (stage {stage})" if stage else ""
    blockers = [b for b in readiness.get("blockers") or [] if isinstance(b, dict)]
    warnings = [w for w in readiness.get("warnings") or [] if isinstance(w, dict)]
    if readiness["ready"]:
        click.echo(f"{product} is ready{at}", err=True)
    else:
        count = len(blockers)
        click.echo(
            f"{product} is blocked{at}: {count} blocker{'s' if count != 1 else ''}", err=True
        )
    # The blockers alone on standard output, one a line, for a script to read.
    for blocker in blockers:
        click.echo(f"{blocker.get('code', '?')}: {blocker.get('detail', '')}")
    for warning in warnings:
        click.echo(f"warning: {warning.get('code', '?')}: {warning.get('detail', '')}", err=True)
