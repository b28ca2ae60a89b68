"""`pizzabox ci` against a real `pizzabox serve`: a pipeline reports JUnit results and SARIF
findings, and gates on readiness, with the exit codes the contract promises."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar

from api.core.access import Role
from tests.factories import create_product, pass_document_gates, pass_launch_gates
from tests.helpers import API, Client, Server, issue_token, serve_until_up

FIXTURES = Path(__file__).parent.parent / "pipelines" / "fixtures"


@pytest.fixture
def served(migrated_database: str, tmp_path: Path, client: Client) -> Iterator[Server]:
    """`pizzabox serve` on the test database (emptied by `client` first)."""
    environment = {
        **os.environ,
        "PIZZABOX_DATABASE_URL": migrated_database,
        "PIZZABOX_LOG_LEVEL": "WARNING",
        "PIZZABOX_RATE_LIMIT_PER_MINUTE": "0",
    }
    environment.pop("PIZZABOX_WORKERS", None)
    server = serve_until_up(environment, tmp_path / "serve.log")
    try:
        yield server
    finally:
        server.stop()


def ci(server: Server, token: str, *arguments: str | Path) -> subprocess.CompletedProcess[str]:
    """Run `pizzabox ci …` as a pipeline would, configured by the environment."""
    environment = {**os.environ, "PIZZABOX_URL": server.base_url, "PIZZABOX_TOKEN": token}
    command = [sys.executable, "-c", "from api.cli import main; main()", "ci"]
    return subprocess.run(
        [*command, *map(str, arguments)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_pipeline_reports_and_gates(app: Litestar, client: Client, served: Server) -> None:
    product: dict[str, Any] = await create_product(client, data_classification="internal")
    slug = product["slug"]
    token = await issue_token(app, Role.CI, products=[slug], name="ci-e2e")

    # JUnit with failures: the outcome and counts come from the file.
    reported = ci(
        served,
        token,
        "report",
        slug,
        "resiliency",
        "--junit",
        FIXTURES / "junit" / "pytest.xml",
        "--commit",
        "9f2c1e7",
    )
    assert reported.returncode == 0, reported.stderr
    results = (await client.get(f"{API}/products/{slug}/checkpoints/resiliency/results")).json()
    (result,) = results["items"]
    assert result["outcome"] == "failed"
    assert result["tests_failed"] >= 1
    assert result["failing_tests"]
    assert result["commit_sha"] == "9f2c1e7"

    # SARIF from Semgrep: findings, de-duplicated on a second upload.
    sarif = FIXTURES / "sarif" / "semgrep.sarif"
    for _ in range(2):
        uploaded = ci(served, token, "findings", slug, "appsec_review", "--sarif", sarif, "--json")
        assert uploaded.returncode == 0, uploaded.stderr
    findings = (await client.get(f"{API}/products/{slug}/findings")).json()["items"]
    assert findings
    assert len({item["fingerprint"] for item in findings}) == len(findings)

    # Blocked: exit 1, a blocker a line.
    gate = ci(served, token, "gate", slug)
    assert gate.returncode == 1, (gate.stdout, gate.stderr)
    lines = gate.stdout.strip().splitlines()
    assert any(line.startswith("checkpoint_failed:") for line in lines), lines
    assert any(line.startswith("prfaq_not_approved:") for line in lines), lines

    # Cleared: documents approved, every checkpoint passed, findings fixed by a clean scan.
    await pass_document_gates(app, client, slug)
    await pass_launch_gates(app, client, slug)
    empty = served.log.parent / "empty.sarif"
    empty.write_text(
        '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "'
        + findings[0]["tool"]
        + '"}}, "results": []}]}'
    )
    cleared = ci(served, token, "findings", slug, "appsec_review", "--sarif", empty)
    assert cleared.returncode == 0, cleared.stderr
    gate = ci(served, token, "gate", slug)
    assert gate.returncode == 0, (gate.stdout, gate.stderr)

    # An error is exit 2: a product the token does not list, or a bad token.
    assert ci(served, token, "gate", "someone-elses").returncode == 2
    assert ci(served, "pzb_not-a-token", "gate", slug).returncode == 2
    bad = ci(served, token, "report", slug, "resiliency", "--outcome", "maybe")
    assert bad.returncode == 2
