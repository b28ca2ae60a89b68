"""`pizzabox ci findings`: SARIF from real scanners, one upload per tool, and malformed files."""

import json
from pathlib import Path
from typing import Any

import pytest

from api.pipelines.commands import tool_key
from tests.pipelines.conftest import FIXTURES, Pizzabox
from tests.pipelines.fake_server import FakePizzabox, Seen

SARIF = FIXTURES / "sarif"


def by_rule(upload: Seen) -> dict[str, dict[str, Any]]:
    return {finding["external_id"]: finding for finding in upload.body["findings"]}


def test_findings_from_semgrep(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    result = pizzabox("findings", "payments", "appsec_review", "--sarif", SARIF / "semgrep.sarif")

    assert result.exit_code == 0, result.output
    [upload] = server.posts()
    assert upload.path == "/api/v1/products/payments/findings"
    assert upload.body["checkpoint"] == "appsec_review"
    assert upload.body["tool"] == "Semgrep OSS"
    assert upload.body["full"] is True
    findings = by_rule(upload)
    # The `# nosemgrep` result is suppressed in source: not a finding.
    assert set(findings) == {
        "python.flask.security.injection.tainted-sql-string.tainted-sql-string",
        "python.flask.security.audit.debug-enabled.debug-enabled",
    }
    sql = findings["python.flask.security.injection.tainted-sql-string.tainted-sql-string"]
    # No level on the result: the rule's default level (error) decides.
    assert sql["severity"] == "high"
    assert sql["location"] == "app/routes/charges.py:27"
    assert sql["fingerprint"].startswith("0b1e6f1f4f1b7a3c")
    assert len(sql["title"]) == 300
    assert sql["title"].startswith("Detected user input used to manually construct a SQL string.")
    assert sql["description"].endswith("available by default in most database engines.")
    debug = findings["python.flask.security.audit.debug-enabled.debug-enabled"]
    assert debug["severity"] == "medium"
    assert debug["description"] is None
    assert result.stdout == (
        "Semgrep OSS: 2 findings sent to payments/appsec_review: 2 new, 0 updated, 0 marked fixed\n"
    )


def test_findings_from_codeql_in_two_files_make_one_upload(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    result = pizzabox(
        "findings", "payments", "appsec_review",
        "--sarif", SARIF / "codeql-python.sarif", "--sarif", SARIF / "codeql-javascript.sarif",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    [upload] = server.posts()
    assert upload.body["tool"] == "CodeQL"
    findings = by_rule(upload)
    # Rules live in tool.extensions[], found through rule.toolComponent and rule.index.
    assert {rule: f["severity"] for rule, f in findings.items()} == {
        "py/sql-injection": "high",  # security-severity 8.8
        "py/command-line-injection": "critical",  # 9.8
        "py/clear-text-logging-sensitive-data": "medium",  # 5.0
        "py/unused-import": "low",  # no score; the rule's level is note
        "js/xss": "medium",  # 6.1
    }
    # The artifact's uri comes from run.artifacts[] when the result gives only its index.
    assert findings["py/command-line-injection"]["location"] == "app/admin/export.py:12"
    # Two rules on one line share CodeQL's line hash; with the rule they stay two findings.
    assert findings["py/sql-injection"]["fingerprint"] == "py/sql-injection:5e4f2b0d8c9a1e3f:1"
    assert (
        findings["py/clear-text-logging-sensitive-data"]["fingerprint"]
        == "py/clear-text-logging-sensitive-data:5e4f2b0d8c9a1e3f:1"
    )


def test_findings_from_bandit(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    result = pizzabox("findings", "payments", "appsec_review", "--sarif", SARIF / "bandit.sarif")

    assert result.exit_code == 0, result.output
    findings = by_rule(server.posts()[0])
    # No security-severity: the level decides (error high, warning medium, note low).
    assert {rule: f["severity"] for rule, f in findings.items()} == {
        "B608": "medium",
        "B105": "low",
        "B602": "high",
    }
    assert findings["B602"]["title"] == (
        "subprocess call with shell=True identified, security issue."
    )
    # No fingerprint in the file: a stable hash of rule, place and message.
    assert findings["B602"]["fingerprint"].startswith("sha256:")


def test_findings_from_trivy(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    result = pizzabox("findings", "payments", "security_posture", "--sarif", SARIF / "trivy.sarif")

    assert result.exit_code == 0, result.output
    findings = by_rule(server.posts()[0])
    assert {rule: f["severity"] for rule, f in findings.items()} == {
        "CVE-2024-26130": "high",  # 7.5
        "CVE-2023-37920": "critical",  # 9.8
        "CVE-2024-35195": "medium",  # 5.6
    }
    certifi = findings["CVE-2023-37920"]
    assert certifi["title"] == "Package: certifi"
    assert certifi["location"] == "requirements.txt:1"
    assert "Fixed Version: 2023.7.22" in certifi["description"]


def test_findings_fingerprints_are_stable_across_runs(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    for _ in range(2):
        result = pizzabox(
            "findings", "payments", "appsec_review", "--sarif", SARIF / "bandit.sarif"
        )
        assert result.exit_code == 0, result.output

    first, second = server.posts()
    assert first.key != second.key
    assert first.body == second.body
    assert "0 new, 3 updated, 0 marked fixed" in result.stdout


def test_findings_upload_each_tool_under_a_key_of_its_own(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    files = [f"--sarif={SARIF / name}" for name in ("trivy.sarif", "bandit.sarif")]

    result = pizzabox(
        "findings", "payments", "appsec_review", "--idempotency-key", "run-77", *files
    )

    assert result.exit_code == 0, result.output
    uploads = {seen.body["tool"]: seen.key for seen in server.posts()}
    assert uploads == {"Trivy": tool_key("run-77", "Trivy"), "Bandit": tool_key("run-77", "Bandit")}
    assert len(set(uploads.values())) == 2
    assert result.stdout.splitlines()[0].startswith("Trivy: 3 findings")
    assert result.stdout.splitlines()[1].startswith("Bandit: 3 findings")


def test_findings_rerun_with_the_same_key_records_nothing_twice(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    args = ("findings", "payments", "appsec_review", "--idempotency-key", "run-78")
    files = ("--sarif", SARIF / "trivy.sarif", "--sarif", SARIF / "bandit.sarif")
    # Trivy's upload arrives; Bandit's meets a server that stays down.
    server.fail_next(503, times=5, after=1)

    failed = pizzabox(*args, *files)
    again = pizzabox(*args, *files)

    assert failed.exit_code == 2
    assert "uploaded already: Trivy; re-run with --idempotency-key run-78" in failed.stderr
    assert again.exit_code == 0, again.output
    # Trivy's second upload is answered with the first answer (3 new), not counted again.
    assert again.stdout.splitlines()[0].endswith("3 new, 0 updated, 0 marked fixed")
    assert len(server.findings) == 6
    trivy = [seen.key for seen in server.posts() if seen.body["tool"] == "Trivy"]
    assert trivy == [tool_key("run-78", "Trivy")] * 2


def test_findings_full_upload_marks_missing_ones_fixed(
    pizzabox: Pizzabox, server: FakePizzabox, tmp_path: Path
) -> None:
    document = json.loads((SARIF / "trivy.sarif").read_text())
    first = pizzabox("findings", "payments", "security_posture", "--sarif", SARIF / "trivy.sarif")
    document["runs"][0]["results"] = document["runs"][0]["results"][:1]
    later = tmp_path / "trivy.sarif"
    later.write_text(json.dumps(document))

    partial = pizzabox("findings", "payments", "security_posture", "--sarif", later, "--partial")
    full = pizzabox("findings", "payments", "security_posture", "--sarif", later)

    assert (first.exit_code, partial.exit_code, full.exit_code) == (0, 0, 0), full.output
    assert server.posts()[1].body["full"] is False
    assert partial.stdout.endswith("0 new, 1 updated\n")
    assert full.stdout.endswith("0 new, 1 updated, 2 marked fixed\n")


def test_findings_keep_one_of_each_fingerprint_the_most_severe(
    pizzabox: Pizzabox, server: FakePizzabox, tmp_path: Path
) -> None:
    result = {
        "ruleId": "R1",
        "level": "note",
        "message": {"text": "weak hash"},
        "fingerprints": {"v1": "abc"},
    }
    run = {
        "tool": {"driver": {"name": "Scanner"}},
        "results": [result, {**result, "level": "error"}],
    }
    path = tmp_path / "scan.sarif"
    path.write_text(json.dumps({"version": "2.1.0", "runs": [run]}))

    outcome = pizzabox("findings", "payments", "appsec_review", "--sarif", path)

    assert outcome.exit_code == 0, outcome.output
    [finding] = server.posts()[0].body["findings"]
    assert (finding["fingerprint"], finding["severity"]) == ("abc", "high")


def test_findings_do_not_trust_a_fingerprint_many_results_share(
    pizzabox: Pizzabox, server: FakePizzabox, tmp_path: Path
) -> None:
    results = [
        {
            "ruleId": f"R{n}",
            "message": {"text": f"problem {n}"},
            "fingerprints": {"v1": "requires login"},
        }
        for n in range(3)
    ]
    run = {"tool": {"driver": {"name": "Semgrep OSS"}}, "results": results}
    path = tmp_path / "scan.sarif"
    path.write_text(json.dumps({"version": "2.1.0", "runs": [run]}))

    outcome = pizzabox("findings", "payments", "appsec_review", "--sarif", path)

    assert outcome.exit_code == 0, outcome.output
    fingerprints = [f["fingerprint"] for f in server.posts()[0].body["findings"]]
    assert len(set(fingerprints)) == 3
    assert all(fingerprint.startswith("sha256:") for fingerprint in fingerprints)


def test_findings_resolve_a_message_from_the_rules_message_strings(
    pizzabox: Pizzabox, server: FakePizzabox, tmp_path: Path
) -> None:
    rule = {"id": "R1", "messageStrings": {"default": {"text": "{0} is built from {1}"}}}
    message = {"id": "default", "arguments": ["query", "request.args"]}
    run = {
        "tool": {"driver": {"name": "Scanner", "rules": [rule]}},
        "results": [{"ruleId": "R1", "ruleIndex": 0, "message": message}],
    }
    path = tmp_path / "scan.sarif"
    path.write_text(json.dumps({"version": "2.1.0", "runs": [run]}))

    outcome = pizzabox("findings", "payments", "appsec_review", "--sarif", path)

    assert outcome.exit_code == 0, outcome.output
    assert server.posts()[0].body["findings"][0]["title"] == "query is built from request.args"


def test_findings_with_json_print_each_tools_answer(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    result = pizzabox(
        "findings", "payments", "appsec_review", "--json",
        "--sarif", SARIF / "bandit.sarif", "--sarif", SARIF / "semgrep.sarif",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    answers = json.loads(result.stdout)
    assert list(answers) == ["Bandit", "Semgrep OSS"]
    assert answers["Bandit"]["created"] == 3
    assert len(answers["Semgrep OSS"]["items"]) == 2


def test_findings_retry_a_503_with_the_same_key(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    server.fail_next(503)

    result = pizzabox("findings", "payments", "appsec_review", "--sarif", SARIF / "bandit.sarif")

    assert result.exit_code == 0, result.output
    first, second = server.posts()
    assert first.key == second.key
    assert first.body == second.body
    assert pizzabox.slept == [0.5]


def test_findings_do_not_retry_a_422(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    server.fail_next(422)

    result = pizzabox("findings", "payments", "appsec_review", "--sarif", SARIF / "bandit.sarif")

    assert result.exit_code == 2
    assert len(server.requests) == 1
    assert pizzabox.slept == []


def _sarif(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken.sarif"
    path.write_text(text)
    return path


RESULT = {"ruleId": "R1", "message": {"text": "m"}}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        pytest.param(
            '{\n  "version": "2.1.0",\n  "runs": [\n}', "line 4, column 1: not JSON", id="json"
        ),
        pytest.param(
            '{"version": "2.0.0", "runs": []}', "$.version: '2.0.0' is not 2.1.0", id="version"
        ),
        pytest.param('{"version": "2.1.0"}', "$.runs: missing", id="runs"),
        pytest.param('[{"version": "2.1.0"}]', "$: a SARIF log is a JSON object", id="not-object"),
        pytest.param(
            json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": []}]}),
            "$.runs[0].tool.driver.name: missing",
            id="tool",
        ),
        pytest.param(
            json.dumps(
                {
                    "version": "2.1.0",
                    "runs": [
                        {"tool": {"driver": {"name": "T"}}, "results": [RESULT, {"ruleId": "R2"}]}
                    ],
                }
            ),
            "$.runs[0].results[1].message: missing",
            id="message",
        ),
        pytest.param(
            json.dumps(
                {
                    "version": "2.1.0",
                    "runs": [
                        {
                            "tool": {"driver": {"name": "T"}},
                            "results": [{**RESULT, "level": "fatal"}],
                        }
                    ],
                }
            ),
            "$.runs[0].results[0].level: 'fatal' is not one of",
            id="level",
        ),
        pytest.param(
            json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T"}}}]}),
            "$.runs[0].results: missing",
            id="results",
        ),
    ],
)
def test_findings_refuse_malformed_sarif_naming_file_and_place_and_send_nothing(
    pizzabox: Pizzabox, server: FakePizzabox, tmp_path: Path, text: str, where: str
) -> None:
    bad = _sarif(tmp_path, text)

    # The good file comes first: nothing from it is sent either.
    result = pizzabox(
        "findings", "payments", "appsec_review", "--sarif", SARIF / "trivy.sarif", "--sarif", bad
    )

    assert result.exit_code == 2
    assert f"{bad}: {where}" in result.stderr
    assert server.requests == []


def test_findings_refuse_a_full_upload_of_a_scan_that_did_not_finish(
    pizzabox: Pizzabox, server: FakePizzabox, tmp_path: Path
) -> None:
    document = json.loads((SARIF / "bandit.sarif").read_text())
    document["runs"][0]["invocations"][0]["executionSuccessful"] = False
    path = _sarif(tmp_path, json.dumps(document))

    full = pizzabox("findings", "payments", "appsec_review", "--sarif", path)
    partial = pizzabox("findings", "payments", "appsec_review", "--sarif", path, "--partial")

    assert full.exit_code == 2
    assert "did not finish" in full.stderr
    assert partial.exit_code == 0, partial.output
    [upload] = server.posts()
    assert upload.body["full"] is False


def test_findings_need_a_sarif_file(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    result = pizzabox("findings", "payments", "appsec_review")

    assert result.exit_code == 2
    assert "--sarif" in result.stderr
    assert server.requests == []


def test_findings_without_runs_upload_nothing(
    pizzabox: Pizzabox, server: FakePizzabox, tmp_path: Path
) -> None:
    path = _sarif(tmp_path, '{"version": "2.1.0", "runs": []}')

    result = pizzabox("findings", "payments", "appsec_review", "--sarif", path)

    assert result.exit_code == 0, result.output
    assert "nothing to upload" in result.stderr
    assert server.requests == []
