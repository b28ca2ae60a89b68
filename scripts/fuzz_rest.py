"""Fuzz the REST API from its OpenAPI document alone, as outside clients do, and summarise.

Starts Pizzabox with uvicorn on a fresh, migrated SQLite database (rate limiting off), creates an
admin token with `pizzabox token create`, seeds a team, a person, a membership and a product so
that stateful paths have something to find, runs schemathesis with every check but one against
`/schema/openapi.json` (bounded by `--max-examples`), and prints the failures by kind. The exit
status is 0 only when schemathesis found nothing.

The token is given to schemathesis as the `bearerAuth` credential (not as a plain header), so it
knows the token is real: it sends it on every call, tests missing and malformed tokens on their
own, and `ignored_auth` checks that each operation refuses a call without it.

    python scripts/fuzz_rest.py                      # 25 examples per operation, seed 1
    python scripts/fuzz_rest.py -n 100 --seed 7      # longer
    python scripts/fuzz_rest.py --url http://127.0.0.1:8000 --token pzb_...   # a running server
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

# The allowances live beside the fuzz test, so the two never disagree.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.core.fuzz_rules import RULE_422_OPERATIONS

# Outcomes that a schema cannot express, so schemathesis's "schema-valid request rejected" check
# must accept them: a cursor that is well-formed text but was not issued by the API (400, every
# operation with a `cursor`), an If-Match that names another version (412, every operation with
# an `If-Match`), and, for the operations below, references to records that do not exist or are
# archived, dates in the future, and rules across fields (`until` after `since`, a `ci` token
# lists a product), which the service refuses with 422: tests/core/fuzz_rules.py lists them for both
# this script and tests/core/test_fuzz.py.
_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


# The checkout this script belongs to: the server, the CLI and the migrations all run its code.
REPO = Path(__file__).resolve().parents[1]
# The environment variable that hands the token to schemathesis, so it is never written to disk.
TOKEN_ENV = "PIZZABOX_FUZZ_TOKEN"


def excluded_checks() -> list[str]:
    """Checks that do not apply to Pizzabox."""
    # DELETE archives teams, products and people: by contract they stay readable afterwards.
    # A team's size exception is optional: a team created a moment ago has none, so its GET is
    # rightly 404, which the stateful "created resource not found" check takes for a bug.
    return ["use_after_free", "ensure_resource_availability"]


def schemathesis_config(document: dict[str, Any], *, member_id: str) -> str:
    """The schemathesis.toml for a run against the OpenAPI `document`."""
    lines = ["[auth.openapi.bearerAuth]", f'bearer = "${{{TOKEN_ENV}}}"']
    accepted: dict[str, list[str]] = {operation_id: ["422"] for operation_id in RULE_422_OPERATIONS}
    for item in document["paths"].values():
        for operation in item.values():
            names = {parameter["name"].lower() for parameter in operation.get("parameters", [])}
            statuses = accepted.setdefault(operation["operationId"], [])
            if "cursor" in names:
                statuses.append("400")
            if "if-match" in names:
                statuses.append("412")
    accepted = {operation_id: statuses for operation_id, statuses in accepted.items() if statuses}
    # Nothing in the schema links a membership to the person it names, so point the operations
    # on one membership at the seeded member; the stateful phase finds the rest through Location.
    member = f'{{ slug = "fuzz-team", person_id = "{member_id}" }}'
    parameters = {
        "getTeamMember": member,
        "updateTeamMember": member,
        "endTeamMembership": member,
    }
    # Schemathesis applies the first [[operations]] entry that matches, so one entry per operation.
    for operation_id in sorted({*accepted, *parameters}):
        lines += ["[[operations]]", f"include-operation-id = {json.dumps(operation_id)}"]
        if operation_id in accepted:
            expected = _toml_list(_ACCEPTED + accepted[operation_id])
            lines.append(f"checks.positive_data_acceptance.expected-statuses = {expected}")
        if operation_id in parameters:
            lines.append(f"parameters = {parameters[operation_id]}")
    return "\n".join(lines) + "\n"


def say(text: str = "") -> None:
    """Print a line of the report."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def create_token(env: dict[str, str]) -> str:
    """An admin token for the database in `env`, made as an operator makes one."""
    command = [sys.executable, "-c", "from api.cli import main; main()"]
    command += ["token", "create", "--name", "fuzz", "--role", "admin"]
    output = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    lines = output.stdout.strip().splitlines()
    if output.returncode != 0 or not lines:
        raise SystemExit(f"pizzabox token create failed: {output.stderr or output.stdout}")
    return lines[-1].strip()


def start_server(workdir: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """Migrate a fresh SQLite database, create an admin token, and serve the app on it at
    127.0.0.1:port; returns the server and the token."""
    sys.path.insert(0, str(REPO))
    from api import migrate

    database_url = f"sqlite+aiosqlite:///{workdir / 'fuzz.db'}"
    migrate.upgrade(database_url)
    env = {
        **os.environ,
        "PIZZABOX_DATABASE_URL": database_url,
        "PIZZABOX_LOG_LEVEL": "warning",
        # One token sends every request: a rate limit would answer most of them with 429.
        "PIZZABOX_RATE_LIMIT_PER_MINUTE": "0",
        # It sends bad credentials on purpose, far more often than the guessing limit allows.
        "PIZZABOX_AUTH_FAILURES_PER_MINUTE": "0",
    }
    token = create_token(env)
    log = (workdir / "server.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited; see {workdir / 'server.log'}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return server, token
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("server did not become healthy within 30 s")


def seed(base: str, headers: dict[str, str]) -> str:
    """A team with a member and a product, so lookups find something; returns the member's id."""
    with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=10) as client:
        team = client.post(
            "/teams", json={"slug": "fuzz-team", "name": "Fuzz team", "org": "fuzzing"}
        )
        person = client.post(
            "/people",
            json={
                "email": "fuzz@example.com",
                "name": "Fuzz Person",
                "job_family": "engineering",
                "home_org": "fuzzing",
            },
        )
        for response in (team, person):
            if response.status_code not in (201, 409):
                raise SystemExit(f"seeding failed: {response.status_code} {response.text}")
        if person.status_code == 201:
            member_id: str = person.json()["id"]
            client.post(
                "/teams/fuzz-team/members", json={"person_id": member_id, "role": "lead"}
            ).raise_for_status()
        else:
            found = client.get("/people", params={"q": "fuzz@example.com"}).json()["items"]
            member_id = found[0]["id"]
        product = client.post(
            "/products",
            json={
                "slug": "fuzz-product",
                "name": "Fuzz product",
                "team": "fuzz-team",
                "data_classification": "internal",
            },
        )
        if product.status_code not in (201, 409):
            raise SystemExit(f"seeding failed: {product.status_code} {product.text}")
    return member_id


def run_schemathesis(
    base: str, args: argparse.Namespace, workdir: Path, *, token: str, member_id: str
) -> dict[str, Any]:
    """Run schemathesis once and return its JSON report."""
    executable = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    executable = executable or shutil.which("schemathesis")
    if executable is None:
        raise SystemExit("schemathesis is not installed (pip install schemathesis)")
    config = workdir / "schemathesis.toml"
    document = httpx.get(f"{base}/schema/openapi.json", timeout=10).json()
    config.write_text(schemathesis_config(document, member_id=member_id))
    report = workdir / "report.json"
    command = [
        executable,
        "--config-file",
        str(config),
        "run",
        f"{base}/schema/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        ",".join(excluded_checks()),
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--workers",
        str(args.workers),
        "--exclude-path-regex",
        "^/graphql",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
        # Every run starts from the seed alone, and leaves no example database behind.
        "--generation-database",
        "none",
    ]
    if args.phases:
        command += ["--phases", args.phases]
    env = {**os.environ, TOKEN_ENV: token}
    output = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=workdir, env=env
    )
    (workdir / "schemathesis.txt").write_text(output.stdout + output.stderr)
    if args.verbose:
        say(output.stdout + output.stderr)
    if not report.exists():
        say(output.stdout[-4000:] + output.stderr[-4000:])
        raise SystemExit("schemathesis produced no report")
    result: dict[str, Any] = json.loads(report.read_text())
    return result


def summarise(report: dict[str, Any], elapsed: float, workdir: Path) -> int:
    """Print the numbers; 0 when nothing failed."""
    operations = report["operations"]
    cases = report["test_cases"]
    failures = report.get("failures", [])
    errors = report.get("errors", [])
    server_errors = sum(f["count"] for f in failures if f.get("type") == "ServerError")
    say("REST fuzz summary")
    say(f"  schemathesis      {report['schemathesis_version']}, seed {report['seed']}")
    say(f"  command           {report['command']}")
    say(f"  operations        {operations['tested']} tested of {operations['selected']} selected")
    phases = ", ".join(f"{name}={phase['status']}" for name, phase in report["phases"].items())
    say(f"  phases            {phases}")
    say(f"  test cases        {cases['generated']} generated, {cases['with_failures']} failing")
    say(f"  unique failures   {cases['unique_failures']}")
    say(f"  5xx responses     {server_errors}")
    say(f"  errors            {len(errors)}")
    say(f"  time              {elapsed:.1f} s")
    for failure in failures:
        say(f"  - {failure['code']} {failure['title']}: {failure['count']}")
        for operation in failure.get("operations", [])[:8]:
            say(f"      {operation}")
    for error in errors:
        say(f"  ! {str(error)[:300]}")
    warnings = {name: value for name, value in report.get("warnings", {}).items() if value}
    for name, value in warnings.items():
        say(f"  ~ warning {name}: {value}")
    failed = bool(failures or errors)
    if failed:
        say(f"  details           {workdir / 'schemathesis.txt'}")
    return 1 if failed else 0


def main() -> int:
    """Parse arguments, run the fuzzer, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--max-examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", default="1")
    parser.add_argument("--phases", help="e.g. coverage,fuzzing,stateful (default: all)")
    parser.add_argument("--url", help="fuzz this running server instead of starting one")
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV),
        help=f"admin token for --url (default ${TOKEN_ENV}); made with `pizzabox token create`",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    if args.url and not args.token:
        parser.error(f"--url needs an admin --token (or ${TOKEN_ENV})")

    workdir = Path(tempfile.mkdtemp(prefix="pizzabox-fuzz-"))
    server: subprocess.Popen[bytes] | None = None
    started = time.monotonic()
    status = 1
    try:
        if args.url:
            base, token = args.url.rstrip("/"), args.token
        else:
            port = free_port()
            server, token = start_server(workdir, port)
            base = f"http://127.0.0.1:{port}"
        member_id = seed(base, {"Authorization": f"Bearer {token}"})
        report = run_schemathesis(base, args, workdir, token=token, member_id=member_id)
        status = summarise(report, time.monotonic() - started, workdir)
        return status
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        # A failing run keeps its report and server log for reading.
        if status == 0 and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
