"""Every marked example of the README and the docs runs against `pizzabox serve --demo`.

Each page gets a demo of its own, on a fresh SQLite file, and runs its examples in the order they
appear, so an example may rely on what the ones before it on its page did, never on another page.
"""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.docs.examples import DOCUMENTED_BASE_URL, ROOT, Block, blocks, page_name, pages
from tests.helpers import serve_until_up

# curl writes each answer's status to standard error after the body (`%{stderr}`), where the
# test reads it and the example's own pipes never see it.
_STATUS = "@@pizzabox-docs-status"
_CURL = f"curl() {{ command curl -w '%{{stderr}}\\n{_STATUS} %{{http_code}}\\n' \"$@\"; }}"
_STATUS_LINE = re.compile(rf"^{_STATUS} (\d{{3}})$", re.MULTILINE)
_GRAPHQL_ANSWER = re.compile(r'\{\s*"(?:data|errors)"\s*:')
# A variable an example sets (`PERSON=$(…)`, `export ETAG=…`), for the examples after it.
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=", re.MULTILINE)

EXAMPLE_PAGES = [path for path in pages() if any(block.is_example for block in blocks(path))]


def _documented_paths() -> set[str]:
    openapi = json.loads((ROOT / "schema" / "openapi.json").read_text(encoding="utf-8"))
    return set(openapi["paths"])


class Demo:
    """A demo server for one page, and the shell state its examples leave for the next."""

    def __init__(self, base_url: str, token: str, workdir: Path, database_url: str) -> None:
        self.base_url = base_url
        self.token = token
        self.workdir = workdir
        self.state = workdir / "state.sh"
        self.state.write_text("")
        self.environment = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "TOKEN": token,
            "API": f"{base_url}/api/v1",
            "AUTH": f"Authorization: Bearer {token}",
            "PIZZABOX_URL": base_url,
            "PIZZABOX_TOKEN": token,
            "PIZZABOX_DATABASE_URL": database_url,
            "PIZZABOX_LOG_LEVEL": "WARNING",
        }

    def run_shell(self, block: Block) -> tuple[int, str, list[int]]:
        """Run a shell example: its exit status, its output, and the statuses curl got."""
        code = block.code.replace(DOCUMENTED_BASE_URL, self.base_url)
        assigned = sorted(set(_ASSIGNMENT.findall(code)))
        keep = f"declare -p {' '.join(assigned)} >> {shlex.quote(str(self.state))}"
        script = "\n".join(
            [
                "set -eo pipefail",
                _CURL,
                f". {shlex.quote(str(self.state))}",
                code,
                keep if assigned else "",
            ]
        )
        finished = subprocess.run(
            ["bash", "-c", script],
            cwd=self.workdir,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        statuses = [int(status) for status in _STATUS_LINE.findall(finished.stderr)]
        stderr = _STATUS_LINE.sub("", finished.stderr)
        return finished.returncode, finished.stdout + stderr, statuses

    def run_graphql(self, block: Block) -> tuple[int, str, dict[str, object]]:
        """Send a GraphQL example: the HTTP status, the body, and the answer."""
        response = httpx.post(
            f"{self.base_url}/graphql",
            json={"query": block.code},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
        )
        return response.status_code, response.text, response.json()


def _graphql_error_codes(output: str) -> set[str]:
    """The `extensions.code` of every error in the GraphQL answers a block printed."""
    decoder = json.JSONDecoder()
    codes: set[str] = set()
    position = 0
    while (found := _GRAPHQL_ANSWER.search(output, position)) is not None:
        try:
            answer, position = decoder.raw_decode(output, found.start())
        except ValueError:
            position = found.end()
            continue
        for error in answer.get("errors") or []:
            codes.add(str(error.get("extensions", {}).get("code", "NO_CODE")))
    return codes


def _check_shell(demo: Demo, block: Block) -> list[str]:
    exit_status, output, statuses = demo.run_shell(block)
    problems = []
    expected_exit = int(block.options.get("exit", ["0"])[-1])
    if exit_status != expected_exit:
        problems.append(f"exit status {exit_status}, expected {expected_exit}")
    if "status" in block.options:
        expected = [int(status) for status in block.options["status"][-1].split(",")]
        if statuses != expected:
            problems.append(f"HTTP statuses {statuses}, expected {expected}")
    elif any(status >= 400 or status < 100 for status in statuses):
        problems.append(f"HTTP statuses {statuses}: an example must not fail unless it says so")
    for text in block.options.get("contains", []):
        if text not in output:
            problems.append(f"output does not contain {text!r}")
    # GraphQL answers 200 with `errors` beside `data`: a curl example's status says nothing.
    codes = _graphql_error_codes(output)
    if codes != set(block.options.get("errors", [])):
        expected_codes = block.options.get("errors", [])
        problems.append(f"GraphQL error codes {sorted(codes)}, expected {expected_codes}")
    return [f"{problem}\n--- output ---\n{output[-3000:]}" for problem in problems]


def _check_graphql(demo: Demo, block: Block) -> list[str]:
    status, body, answer = demo.run_graphql(block)
    codes = [
        error.get("extensions", {}).get("code")
        for error in answer.get("errors") or []  # type: ignore[attr-defined]
    ]
    expected = block.options.get("errors", [])
    problems = []
    if status != 200:
        problems.append(f"HTTP status {status}")
    if sorted(set(codes)) != sorted(set(expected)):
        problems.append(f"error codes {codes}, expected {expected}")
    for text in block.options.get("contains", []):
        if text not in body:
            problems.append(f"answer does not contain {text!r}")
    return [f"{problem}\n--- answer ---\n{body[-3000:]}" for problem in problems]


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=page_name)
def test_the_examples_of_a_page_run_against_the_demo(page: Path, tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "PIZZABOX_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        "PIZZABOX_LOG_LEVEL": "WARNING",
    }
    environment.pop("PIZZABOX_WORKERS", None)
    log = tmp_path / "serve.log"
    server = serve_until_up(environment, log, "--demo")
    documented = _documented_paths()
    failures: list[str] = []
    try:
        token = [line for line in log.read_text().splitlines() if line.startswith("pzb_")][-1]
        workdir = tmp_path / "work"
        workdir.mkdir()
        demo = Demo(server.base_url, token, workdir, environment["PIZZABOX_DATABASE_URL"])
        for block in blocks(page):
            if not block.is_example:
                continue
            if any(path not in documented for path in block.options.get("needs", [])):
                continue  # a feature another branch is adding; see the marker
            if block.language == "graphql":
                problems = _check_graphql(demo, block)
            else:
                problems = _check_shell(demo, block)
            failures += [f"{block.where}: {problem}" for problem in problems]
    finally:
        server.stop()
    assert not failures, "\n\n".join(failures)


def test_every_example_is_marked() -> None:
    """A block that calls the API runs in CI, or says why it cannot."""
    unmarked = [
        block.where
        for path in pages()
        for block in blocks(path)
        if block.looks_runnable() and block.marker is None
    ]
    assert not unmarked, f"mark each <!-- example --> or <!-- not-an-example: why -->: {unmarked}"


def test_the_readme_tour_is_among_the_examples() -> None:
    readme = [block for block in blocks(ROOT / "README.md") if block.is_example]
    assert len(readme) >= 4
    assert ROOT / "README.md" in EXAMPLE_PAGES
