"""`pizzabox ci gate`: 0 ready, 1 blocked, 2 when the answer could not be had."""

import json

import httpx
from click.testing import CliRunner

from api.cli import main
from api.pipelines.commands import Tuning
from tests.pipelines.conftest import Pizzabox
from tests.pipelines.fake_server import FakePizzabox

BLOCKED = {
    "product": "payments",
    "stage": "building",
    "ready": False,
    "blockers": [
        {
            "code": "checkpoint_failed",
            "detail": "resiliency: the latest result failed",
            "checkpoint": "resiliency",
        },
        {
            "code": "open_critical_findings",
            "detail": "2 open critical findings",
            "checkpoint": None,
        },
    ],
    "warnings": [
        {
            "code": "advisory_checkpoint_missing",
            "detail": "operational_readiness has no result",
            "checkpoint": "operational_readiness",
        }
    ],
}


def test_gate_exits_0_when_ready(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    result = pizzabox("gate", "payments")

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "payments is ready (stage building)" in result.stderr
    [seen] = server.requests
    assert (seen.method, seen.path) == ("GET", "/api/v1/products/payments/readiness")


def test_gate_exits_1_printing_each_blocker(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    server.readiness["payments"] = BLOCKED

    result = pizzabox("gate", "payments")

    assert result.exit_code == 1
    assert result.stdout == (
        "checkpoint_failed: resiliency: the latest result failed\n"
        "open_critical_findings: 2 open critical findings\n"
    )
    assert "payments is blocked (stage building): 2 blockers" in result.stderr
    assert "warning: advisory_checkpoint_missing" in result.stderr


def test_gate_with_json_prints_readiness(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    server.readiness["payments"] = BLOCKED

    result = pizzabox("gate", "payments", "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout) == BLOCKED


def test_gate_exits_2_for_an_unknown_product(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    result = pizzabox("gate", "nope")

    assert result.exit_code == 2
    assert "404 Not Found" in result.stderr
    assert "no product 'nope'" in result.stderr


def test_gate_retries_then_exits_2_when_the_server_keeps_failing(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    server.fail_next(500, times=5)

    result = pizzabox("gate", "payments")

    assert result.exit_code == 2
    assert len(server.requests) == 5
    assert "500 Internal Server Error" in result.stderr


def test_gate_survives_one_failure(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    server.fail_next(None)

    result = pizzabox("gate", "payments")

    assert result.exit_code == 0, result.output
    assert len(server.requests) == 2


def test_gate_exits_2_when_nothing_listens(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    # Port 9 (discard) on the loopback: nobody listens there in a test environment.
    result = pizzabox("gate", "payments", env={"PIZZABOX_URL": "http://127.0.0.1:9"})

    assert result.exit_code == 2
    assert "no answer from http://127.0.0.1:9/api/v1/ after 5 attempts" in result.stderr


def test_gate_exits_2_with_a_bad_token(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    result = pizzabox("gate", "payments", env={"PIZZABOX_TOKEN": "pzb_nope"})

    assert result.exit_code == 2
    assert "401 Unauthorized" in result.stderr


def test_gate_exits_2_without_configuration(pizzabox: Pizzabox, server: FakePizzabox) -> None:
    result = pizzabox("gate", "payments", env={"PIZZABOX_URL": None, "PIZZABOX_TOKEN": None})

    assert result.exit_code == 2
    assert "PIZZABOX_URL is not set" in result.stderr
    assert server.requests == []


def test_gate_exits_2_when_the_answer_makes_no_sense(
    pizzabox: Pizzabox, server: FakePizzabox
) -> None:
    server.readiness["payments"] = {"product": "payments", "ready": "yes"}

    result = pizzabox("gate", "payments")

    assert result.exit_code == 2
    assert "ready" in result.stderr


def test_gate_does_not_follow_a_redirect_with_the_token() -> None:
    sent: list[httpx.Request] = []

    def redirect(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(308, headers={"Location": "https://pizzabox.example.com/api/v1/"})

    result = CliRunner().invoke(
        main,
        ["ci", "gate", "payments"],
        env={"PIZZABOX_URL": "http://pizzabox.example.com", "PIZZABOX_TOKEN": "pzb_x"},
        obj=Tuning(transport=httpx.MockTransport(redirect)),
    )

    assert result.exit_code == 2
    assert len(sent) == 1
    assert "redirects to https://pizzabox.example.com/api/v1/" in result.stderr
