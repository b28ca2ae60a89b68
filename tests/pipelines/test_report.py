"""`pizzabox ci report`: results from flags and from JUnit XML, retries, and what fails."""

import json
import re
from pathlib import Path

import pytest

from tests.pipelines.conftest import FIXTURES, Pizzabox
from tests.pipelines.fake_server import FakePizzabox

JUNIT = FIXTURES / "junit"


def test_report_sends_the_result_with_a_key_and_prints_what_was_recorded(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    result = pizzabox(
        "report", "payments", "resiliency",
        "--outcome", "passed",
        "--summary", "Failover drill: primary killed, 0 errors",
        "--details-url", "https://ci.example.com/payments/1234/report",
        "--commit", "3f9c2e1ab",
        "--pipeline-run-id", "1234",
        "--pipeline-url", "https://ci.example.com/payments/1234",
        "--approach", "black_box", "--approach", "negative",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    [seen] = server.requests
    assert seen.method == "POST"
    assert seen.path == "/api/v1/products/payments/checkpoints/resiliency/results"
    assert seen.headers["authorization"] == "Bearer pzb_ci_payments_test_token"
    assert re.fullmatch(r"[0-9a-f]{32}", seen.key or "")
    assert seen.body == {
        "outcome": "passed",
        "summary": "Failover drill: primary killed, 0 errors",
        "details_url": "https://ci.example.com/payments/1234/report",
        "commit_sha": "3f9c2e1ab",
        "pipeline_run_id": "1234",
        "pipeline_url": "https://ci.example.com/payments/1234",
        "approaches": ["black_box", "negative"],
        "tests_run": None,
        "tests_failed": None,
        "tests_skipped": None,
        "failing_tests": [],
    }
    recorded = server.results[0]["id"]
    assert result.stdout == f"recorded passed result for payments/resiliency (id {recorded})\n"


def test_report_prints_the_servers_answer_with_json(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    result = pizzabox("report", "payments", "durability", "--outcome", "failed", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == server.results[0]
    assert server.results[0]["checkpoint"] == "durability"


@pytest.mark.parametrize(
    ("files", "tests_run", "tests_failed", "tests_skipped", "failing"),
    [
        pytest.param(
            ["pytest.xml"], 6, 2, 1,
            [
                "tests.test_payments.test_charge_declined",
                "tests.test_ledger.test_balance_after_refund",
            ],
            id="pytest",
        ),
        pytest.param(
            # The flaky test that passed on a rerun (<flakyFailure>) passed.
            ["TEST-com.example.payments.PaymentServiceTest.xml"], 5, 1, 1,
            ["com.example.payments.PaymentServiceTest.rejectsNegativeAmount"],
            id="maven-surefire",
        ),
        pytest.param(
            ["TEST-com.example.ledger.LedgerTest.xml"], 4, 1, 1,
            ["com.example.ledger.LedgerTest.postsDoubleEntry()"],
            id="gradle",
        ),
        pytest.param(
            ["go-junit-report.xml"], 5, 2, 1,
            [
                "example.com/payments/ledger.TestPost/negative_amount",
                "example.com/payments/fx.[build failed]",
            ],
            id="go-junit-report",
        ),
        pytest.param(
            # jest-junit repeats the describe block in both names: it is said once.
            ["jest-junit.xml"], 5, 1, 1, ["Checkout refuses an expired card"], id="jest-junit",
        ),
    ],
)  # fmt: skip
def test_report_takes_outcome_counts_and_failing_tests_from_junit(
    pizzabox: Pizzabox,
    server: FakePizzabox,
    files: list[str],
    tests_run: int,
    tests_failed: int,
    tests_skipped: int,
    failing: list[str],
) -> None:
    result = pizzabox("report", "payments", "resiliency", *(f"--junit={JUNIT / f}" for f in files))

    assert result.exit_code == 0, result.output
    body = server.posts()[0].body
    assert body["outcome"] == "failed"
    assert (body["tests_run"], body["tests_failed"], body["tests_skipped"]) == (
        tests_run,
        tests_failed,
        tests_skipped,
    )
    assert body["failing_tests"] == failing
    assert body["summary"].startswith(f"{tests_run} tests, {tests_failed} failed")
    assert f"{tests_run} tests, {tests_failed} failed, {tests_skipped} skipped" in result.stdout


def test_report_passes_when_every_junit_test_passed(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    result = pizzabox(
        "report", "payments", "resiliency", "--junit", JUNIT / "pytest-all-passed.xml",
        "--summary", "chaos suite",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    body = server.posts()[0].body
    assert body["outcome"] == "passed"
    assert (body["tests_run"], body["tests_failed"], body["failing_tests"]) == (3, 0, [])
    assert body["summary"] == "chaos suite"


def test_report_adds_up_several_junit_files_and_a_quoted_glob(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    result = pizzabox(
        "report", "payments", "resiliency",
        "--junit", JUNIT / "pytest.xml", "--junit", str(JUNIT / "TEST-*.xml"),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    body = server.posts()[0].body
    assert (body["tests_run"], body["tests_failed"], body["tests_skipped"]) == (15, 4, 3)
    assert len(body["failing_tests"]) == 4


def test_report_outcome_given_wins_over_junit(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    result = pizzabox(
        "report", "payments", "resiliency", "--outcome", "passed", "--junit", JUNIT / "pytest.xml"
    )

    assert result.exit_code == 0, result.output
    body = server.posts()[0].body
    assert body["outcome"] == "passed"
    assert body["tests_failed"] == 2


def test_report_sends_at_most_200_failing_test_names(
    pizzabox: Pizzabox, server: FakePizzabox, tmp_path: Path
) -> None:
    cases = "".join(
        f'<testcase classname="tests.test_load" name="test_{n}"><failure message="x"/></testcase>'
        for n in range(250)
    )
    report = tmp_path / "big.xml"
    report.write_text(f'<testsuite name="pytest" tests="250">{cases}</testsuite>')

    result = pizzabox("report", "payments", "resiliency", "--junit", report)

    assert result.exit_code == 0, result.output
    body = server.posts()[0].body
    assert body["tests_failed"] == 250
    assert len(body["failing_tests"]) == 200
    assert body["failing_tests"][0] == "tests.test_load.test_0"


def test_report_needs_an_outcome_or_junit(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    result = pizzabox("report", "payments", "resiliency")

    assert result.exit_code == 2
    assert "--outcome" in result.stderr
    assert server.requests == []


@pytest.mark.parametrize(
    ("content", "where"),
    [
        pytest.param(
            '<testsuite name="x">\n  <testcase name="a">\n</testsuite>', "line 3", id="not-xml"
        ),
        pytest.param("", "line 1", id="empty"),
        pytest.param('<?xml version="1.0"?>\n<report><test/></report>', "line 1", id="not-junit"),
    ],
)
def test_report_refuses_malformed_junit_naming_file_and_line_and_sends_nothing(
    pizzabox: Pizzabox, server: FakePizzabox, tmp_path: Path, content: str, where: str
) -> None:
    bad = tmp_path / "TEST-broken.xml"
    bad.write_text(content)

    # The good file comes first: it must not be sent either.
    result = pizzabox(
        "report", "payments", "resiliency", "--junit", JUNIT / "pytest.xml", "--junit", bad
    )

    assert result.exit_code == 2
    assert f"{bad}: {where}" in result.stderr
    assert server.requests == []


def test_report_refuses_a_junit_file_that_is_not_there(
    pizzabox: Pizzabox, server: FakePizzabox, tmp_path: Path
) -> None:
    result = pizzabox("report", "payments", "resiliency", "--junit", tmp_path / "missing.xml")

    assert result.exit_code == 2
    assert "missing.xml: no such file" in result.stderr
    assert server.requests == []


def test_report_retries_a_503_with_the_same_key(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    server.fail_next(503)

    result = pizzabox("report", "payments", "resiliency", "--outcome", "passed")

    assert result.exit_code == 0, result.output
    first, second = server.requests
    assert first.key == second.key
    assert first.body == second.body
    assert pizzabox.slept == [0.5]
    assert "attempt 1 of 5 failed (503" in result.stderr
    assert len(server.results) == 1


def test_report_retries_a_dropped_connection_and_429_honouring_retry_after(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    server.fail_next(None)
    server.fail_next(429, headers={"Retry-After": "7"})
    server.fail_next(502)

    result = pizzabox("report", "payments", "resiliency", "--outcome", "passed")

    assert result.exit_code == 0, result.output
    assert len({seen.key for seen in server.requests}) == 1
    assert len(server.requests) == 4
    assert pizzabox.slept == [0.5, 7, 2]
    assert len(server.results) == 1


def test_report_caps_a_long_retry_after(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    server.fail_next(503, headers={"Retry-After": "3600"})

    result = pizzabox("report", "payments", "resiliency", "--outcome", "passed")

    assert result.exit_code == 0, result.output
    assert pizzabox.slept == [30]


def test_report_gives_up_after_five_attempts(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    server.fail_next(503, times=5)

    result = pizzabox("report", "payments", "resiliency", "--outcome", "passed")

    assert result.exit_code == 2
    assert len(server.requests) == 5
    assert len({seen.key for seen in server.requests}) == 1
    assert pizzabox.slept == [0.5, 1, 2, 4]
    assert "503 Service Unavailable" in result.stderr
    assert "after 5 attempts" in result.stderr


def test_report_does_not_retry_a_422_and_prints_the_field_errors(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    result = pizzabox("report", "payments", "resiliency", "--outcome", "passed", "--commit", "main")

    assert result.exit_code == 2
    assert len(server.requests) == 1
    assert pizzabox.slept == []
    assert "422 Unprocessable" in result.stderr
    assert "the result is not valid" in result.stderr
    assert "commit_sha: must be 7-64 hexadecimal characters" in result.stderr
    assert server.results == []


def test_report_with_json_prints_the_problem_too(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    result = pizzabox("report", "nope", "resiliency", "--outcome", "passed", "--json")

    assert result.exit_code == 2
    assert json.loads(result.stdout)["status"] == 404
    assert "404 Not Found" in result.stderr


def test_report_replays_an_upload_whose_key_the_server_has_seen(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    upload = ("report", "payments", "resiliency", "--outcome", "passed")
    first = pizzabox(*upload, "--idempotency-key", "ci-1234.resiliency")
    again = pizzabox(*upload, "--idempotency-key", "ci-1234.resiliency")

    assert (first.exit_code, again.exit_code) == (0, 0), again.output
    assert len(server.results) == 1
    assert "nothing recorded twice" in again.stdout
    assert [seen.key for seen in server.requests] == ["ci-1234.resiliency"] * 2


def test_report_refuses_a_malformed_idempotency_key(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    result = pizzabox(
        "report", "payments", "resiliency", "--outcome", "passed", "--idempotency-key", "run 12/3"
    )

    assert result.exit_code == 2
    assert "--idempotency-key" in result.stderr
    assert server.requests == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param({"PIZZABOX_URL": None}, "PIZZABOX_URL is not set", id="no-url"),
        pytest.param({"PIZZABOX_URL": "pizzabox.example.com"}, "not an http", id="bad-url"),
        pytest.param({"PIZZABOX_TOKEN": None}, "PIZZABOX_TOKEN is not set", id="no-token"),
    ],
)
def test_report_without_configuration_fails_clearly(
    pizzabox: Pizzabox, server: FakePizzabox, env: dict[str, str | None], message: str
) -> None:
    result = pizzabox("report", "payments", "resiliency", "--outcome", "passed", env=env)

    assert result.exit_code == 2
    assert message in result.stderr
    assert server.requests == []


def test_report_accepts_url_and_token_options_and_an_api_v1_url(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    result = pizzabox(
        "report", "payments", "resiliency", "--outcome", "passed",
        "--url", f"{server.url}/api/v1/", "--token", pizzabox.token,
        env={"PIZZABOX_URL": None, "PIZZABOX_TOKEN": None},
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert server.requests[0].path == "/api/v1/products/payments/checkpoints/resiliency/results"


def test_report_with_a_wrong_token_fails_without_retrying(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    result = pizzabox(
        "report",
        "payments",
        "resiliency",
        "--outcome",
        "passed",
        env={"PIZZABOX_TOKEN": "pzb_wrong"},
    )

    assert result.exit_code == 2
    assert "401 Unauthorized" in result.stderr
    assert len(server.requests) == 1


def test_report_for_an_unknown_kind_is_an_error(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    result = pizzabox("report", "payments", "vibes", "--outcome", "passed")

    assert result.exit_code == 2
    assert "404 Not Found" in result.stderr
    assert "no checkpoint 'vibes'" in result.stderr


def test_report_escapes_the_product_in_the_path(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    result = pizzabox("report", "../teams", "resiliency", "--outcome", "passed")

    assert result.exit_code == 2
    assert server.requests[0].path == "/api/v1/products/..%2Fteams/checkpoints/resiliency/results"


def test_report_does_not_call_an_empty_junit_file_passed(
    pizzabox: Pizzabox, server: FakePizzabox, tmp_path: Path
) -> None:
    empty = tmp_path / "TEST-none.xml"
    empty.write_text('<testsuite name="com.example.NoTests" tests="0"/>')

    refused = pizzabox("report", "payments", "resiliency", "--junit", empty)
    given = pizzabox("report", "payments", "resiliency", "--junit", empty, "--outcome", "failed")

    assert refused.exit_code == 2
    assert f"{empty}: no test cases" in refused.stderr
    assert given.exit_code == 0, given.output
    [upload] = server.posts()
    assert (upload.body["outcome"], upload.body["tests_run"]) == ("failed", 0)
