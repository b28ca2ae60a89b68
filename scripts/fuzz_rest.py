"""Fuzz the REST API from its OpenAPI document alone, as outside clients do, and summarise.

Starts Pizzabox with uvicorn on a fresh, migrated SQLite database, seeds a team, a person, a
membership and a product so that stateful paths have something to find, runs schemathesis with
every check against `/schema/openapi.json` (bounded by `--max-examples`), and prints the failures
by kind. The exit status is 0 only when schemathesis found nothing.

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

# Outcomes that a schema cannot express, so schemathesis's "schema-valid request rejected" check
# must accept them for these operations: a cursor that is well-formed text but was not issued by
# the API (400), an If-Match that names another version (412), and references to records that
# do not exist or are archived, or dates in the future, which the service refuses with 422.
_LISTS = ["listPeople", "listTeams", "listTeamMembers", "listProducts", "listProductChanges"]
_CONDITIONAL_WRITES = [
    "updatePerson",
    "archivePerson",
    "updateTeam",
    "archiveTeam",
    "updateTeamMember",
    "endTeamMembership",
    "updateProduct",
    "archiveProduct",
]
_REFERENCES = ["createProduct", "updateProduct", "addTeamMember", "listTeamMembers"]
_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


def excluded_checks(*, authenticated: bool) -> list[str]:
    """Checks that do not apply to Pizzabox, or not yet."""
    # DELETE archives teams, products and people: by contract they stay readable afterwards.
    excluded = ["use_after_free"]
    if not authenticated:
        # Without a token there is nothing to learn about authentication.
        excluded += ["ignored_auth", "missing_required_header"]
    return excluded


def schemathesis_config(*, authenticated: bool, member_id: str) -> str:
    """The schemathesis.toml for a run."""
    lines = [] if authenticated else ["[generation]", "with-security-parameters = false"]
    accepted: dict[str, list[str]] = {}
    for operation_id in _LISTS:
        accepted.setdefault(operation_id, []).append("400")
    for operation_id in _CONDITIONAL_WRITES:
        accepted.setdefault(operation_id, []).append("412")
    for operation_id in _REFERENCES:
        accepted.setdefault(operation_id, []).append("422")
    # Nothing in the schema links a membership to the person it names, so point the one operation
    # that needs both at the seeded member; the stateful phase finds the rest through Location.
    parameters = {
        "endTeamMembership": f'{{ slug = "fuzz-team", person_id = "{member_id}" }}',
    }
    # Schemathesis applies the first [[operations]] entry that matches, so one entry per operation.
    for operation_id in sorted({*accepted, *parameters}):
        lines += ["[[operations]]", f"include-operation-id = {json.dumps(operation_id)}"]
        if operation_id in accepted:
            statuses = _toml_list(_ACCEPTED + accepted[operation_id])
            lines.append(f"checks.positive_data_acceptance.expected-statuses = {statuses}")
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


def start_server(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    """Migrate a fresh SQLite database and serve the app on it at 127.0.0.1:port."""
    from api import migrate

    database_url = f"sqlite+aiosqlite:///{workdir / 'fuzz.db'}"
    migrate.upgrade(database_url)
    env = {**os.environ, "PIZZABOX_DATABASE_URL": database_url, "PIZZABOX_LOG_LEVEL": "warning"}
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
                return server
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
    base: str, args: argparse.Namespace, workdir: Path, *, member_id: str
) -> dict[str, Any]:
    """Run schemathesis once and return its JSON report."""
    executable = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    executable = executable or shutil.which("schemathesis")
    if executable is None:
        raise SystemExit("schemathesis is not installed (pip install schemathesis)")
    config = workdir / "schemathesis.toml"
    authenticated = bool(args.token)
    config.write_text(schemathesis_config(authenticated=authenticated, member_id=member_id))
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
        ",".join(excluded_checks(authenticated=authenticated)),
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
    if args.token:
        command += ["--header", f"Authorization: Bearer {args.token}"]
    output = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=workdir
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
    parser.add_argument("--token", default=os.environ.get("PIZZABOX_FUZZ_TOKEN"))
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pizzabox-fuzz-"))
    server: subprocess.Popen[bytes] | None = None
    started = time.monotonic()
    status = 1
    try:
        if args.url:
            base = args.url.rstrip("/")
        else:
            port = free_port()
            server = start_server(workdir, port)
            base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
        member_id = seed(base, headers)
        report = run_schemathesis(base, args, workdir, member_id=member_id)
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
