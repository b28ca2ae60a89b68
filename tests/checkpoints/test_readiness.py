"""Readiness: every blocking situation, once all clear, and the stage gates that need it."""

from typing import Any

from litestar import Litestar

from api.checkpoints.models import Checkpoint, Finding, Waiver
from tests.checkpoints.conftest import (
    KINDS,
    Callers,
    at,
    backdate,
    codes,
    pass_all,
    post_result,
    readiness,
)
from tests.factories import create_product, pass_document_gates
from tests.helpers import API, Client, assert_problem


async def test_a_new_product_is_blocked_by_its_documents_and_every_checkpoint(
    client: Client,
) -> None:
    product = await create_product(client, data_classification="internal")
    answer = await readiness(client, product)
    assert answer["ready"] is False
    assert answer["product"] == product["slug"]
    assert codes(answer) == {
        "prfaq_not_approved",
        "security_faq_not_approved",
        "security_faq_incomplete",
        "checkpoint_not_started",
    }
    blocked = {item["checkpoint"] for item in answer["blockers"] if item["checkpoint"]}
    # operational_readiness is advisory: a warning, not a blocker.
    assert blocked == {"resiliency", "durability", "security_posture", "appsec_review"}
    assert codes(answer, "warnings") == {"advisory_checkpoint_not_passed"}
    for item in answer["blockers"]:
        assert item["detail"]


async def test_all_clear_is_ready_and_the_product_launches(
    client: Client, product: dict[str, Any], callers: Callers
) -> None:
    await pass_all(client, product, callers)
    answer = await readiness(client, product)
    assert answer == {
        "product": product["slug"],
        "stage": "building",
        "ready": True,
        "blockers": [],
        "warnings": [],
    }
    for stage in ("launch_review", "launched"):
        moved = await client.patch(f"{API}/products/{product['slug']}", json={"stage": stage})
        assert moved.status_code == 200, moved.text


async def test_the_stage_gate_refuses_with_the_same_blockers(
    client: Client, product: dict[str, Any], callers: Callers
) -> None:
    await post_result(client, product, "resiliency", "failed", headers=callers.ci)
    answer = await readiness(client, product)
    moved = await client.patch(f"{API}/products/{product['slug']}", json={"stage": "launch_review"})
    problem = assert_problem(moved, 409, field="stage")
    assert {error["code"] for error in problem["errors"]} == codes(answer)
    assert "checkpoint_failed" in codes(answer)
    still = await client.get(f"{API}/products/{product['slug']}")
    assert still.json()["stage"] == "building"


async def test_each_checkpoint_state_is_its_own_blocker(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers
) -> None:
    await pass_all(client, product, callers)
    # Failed: the latest result of an automatic kind decides.
    await post_result(client, product, "resiliency", "failed", headers=callers.ci)
    # In progress: new evidence on a reviewer kind that a reviewer then failed, then reviewed
    # again would pass; here a reviewer fails it outright.
    result = await post_result(client, product, "appsec_review", headers=callers.ci)
    failed = await client.patch(
        at(product, "checkpoints", "appsec_review"),
        json={"status": "failed", "comment": "XSS in search", "evidence": [result["id"]]},
        headers=callers.reviewer,
    )
    assert failed.status_code == 200, failed.text
    assert failed.json()["status"] == "failed"
    answer = await readiness(client, product)
    by_kind = {item["checkpoint"]: item["code"] for item in answer["blockers"]}
    assert by_kind == {"resiliency": "checkpoint_failed", "appsec_review": "checkpoint_failed"}
    # Passing again clears it.
    await post_result(client, product, "resiliency", headers=callers.ci)
    passed = await client.patch(
        at(product, "checkpoints", "appsec_review"),
        json={"status": "passed", "comment": "Fixed", "evidence": [result["id"]]},
        headers=callers.reviewer,
    )
    assert passed.status_code == 200, passed.text
    assert (await readiness(client, product))["ready"] is True


async def test_a_reviewer_kind_with_evidence_and_no_decision_is_in_progress(
    client: Client, product: dict[str, Any], callers: Callers
) -> None:
    await post_result(client, product, "security_posture", headers=callers.ci)
    checkpoint = (await client.get(at(product, "checkpoints", "security_posture"))).json()
    assert checkpoint["status"] == "in_progress"
    answer = await readiness(client, product)
    assert {"checkpoint": "security_posture", "code": "checkpoint_in_progress"} in [
        {"checkpoint": item["checkpoint"], "code": item["code"]} for item in answer["blockers"]
    ]


async def test_a_launched_products_old_pass_goes_stale_and_blocks(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers
) -> None:
    await pass_all(client, product, callers)
    for stage in ("launch_review", "launched"):
        moved = await client.patch(f"{API}/products/{product['slug']}", json={"stage": stage})
        assert moved.status_code == 200, moved.text
    assert (await readiness(client, product))["ready"] is True
    # Resiliency holds for 90 days after launch.
    await backdate(app, Checkpoint, 91, "last_passed_at", kind="resiliency")
    checkpoint = (await client.get(at(product, "checkpoints", "resiliency"))).json()
    assert checkpoint["status"] == "stale"
    answer = await readiness(client, product)
    assert [(item["code"], item["checkpoint"]) for item in answer["blockers"]] == [
        ("checkpoint_stale", "resiliency")
    ]
    queue = await client.get(f"{API}/checkpoints")
    assert queue.status_code == 200, queue.text
    assert [(item["product"], item["kind"], item["status"]) for item in queue.json()["items"]] == [
        (product["slug"], "resiliency", "stale")
    ]
    # A re-test passes it again.
    await post_result(client, product, "resiliency", headers=callers.ci)
    assert (await readiness(client, product))["ready"] is True
    assert (await client.get(f"{API}/checkpoints")).json()["items"] == []


async def test_the_retest_queue_looks_ahead(
    client: Client, product: dict[str, Any], callers: Callers
) -> None:
    await pass_all(client, product, callers)
    for stage in ("launch_review", "launched"):
        await client.patch(f"{API}/products/{product['slug']}", json={"stage": stage})
    soon = await client.get(f"{API}/checkpoints", params={"due_before": "2999-01-01T00:00:00Z"})
    assert soon.status_code == 200, soon.text
    due = {item["kind"]: item["status"] for item in soon.json()["items"]}
    # operational_readiness has no re-test interval.
    assert due == dict.fromkeys(
        ["resiliency", "durability", "security_posture", "appsec_review"], "passed"
    )
    bad = await client.get(f"{API}/checkpoints", params={"due_before": "tomorrow"})
    assert_problem(bad, 422, field="due_before")


async def test_a_waiver_clears_a_blocker_until_it_expires(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers
) -> None:
    await pass_all(client, product, callers)
    await post_result(client, product, "durability", "failed", headers=callers.ci)
    waived = await client.put(
        at(product, "checkpoints", "durability", "waiver"),
        json={"justification": "Restore drill next week", "expires_at": "2000-01-01T00:00:00Z"},
    )
    assert_problem(waived, 422, field="expires_at")
    from datetime import UTC, datetime, timedelta

    expires = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    waived = await client.put(
        at(product, "checkpoints", "durability", "waiver"),
        json={"justification": "Restore drill next week", "expires_at": expires},
    )
    assert waived.status_code == 200, waived.text
    assert waived.json()["active"] is True
    answer = await readiness(client, product)
    assert answer["ready"] is True
    assert codes(answer, "warnings") == {"launching_on_waiver", "waiver_expiring"}
    # The waiver expires on its own, with no job.
    await backdate(app, Waiver, 1, "expires_at")
    answer = await readiness(client, product)
    assert [(item["code"], item["checkpoint"]) for item in answer["blockers"]] == [
        ("waiver_expired", "durability")
    ]
    checkpoint = (await client.get(at(product, "checkpoints", "durability"))).json()
    assert checkpoint["status"] == "failed"
    assert checkpoint["waiver"]["active"] is False


async def test_open_critical_high_and_overdue_findings_block(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers
) -> None:
    await pass_all(client, product, callers)

    def finding(severity: str, n: int) -> dict[str, Any]:
        return {"title": f"{severity} {n}", "severity": severity, "fingerprint": f"{severity}-{n}"}

    upload = {
        "checkpoint": "appsec_review",
        "tool": "semgrep",
        "findings": [finding("critical", 1), finding("high", 1), finding("medium", 1)],
    }
    uploaded = await client.post(at(product, "findings"), json=upload, headers=callers.ci)
    assert uploaded.status_code == 200, uploaded.text
    answer = await readiness(client, product)
    assert codes(answer) == {"open_critical_findings", "open_high_findings"}
    # Fixing the critical and high leaves the medium, harmless until it is overdue.
    upload["findings"] = [finding("medium", 1)]
    await client.post(at(product, "findings"), json=upload, headers=callers.ci)
    assert (await readiness(client, product))["ready"] is True
    await backdate(app, Finding, 91, "opened_at", severity="medium")
    assert codes(await readiness(client, product)) == {"overdue_findings"}


async def test_a_stricter_classification_adds_required_checkpoints(
    client: Client, callers: Callers
) -> None:
    product = await create_product(client, data_classification="public")
    checkpoints = (await client.get(at(product, "checkpoints"))).json()["items"]
    required = {item["kind"]: item["required"] for item in checkpoints}
    # appsec_review is required from `internal` up.
    assert required == {**dict.fromkeys(KINDS, True), "appsec_review": False}
    await client.patch(
        f"{API}/products/{product['slug']}", json={"data_classification": "internal"}
    )
    checkpoints = (await client.get(at(product, "checkpoints"))).json()["items"]
    assert all(item["required"] for item in checkpoints)


async def test_readiness_is_read_by_anyone_who_sees_the_product(
    client: Client, product: dict[str, Any], callers: Callers
) -> None:
    for headers in (callers.viewer, callers.ci, callers.contributor):
        assert (await client.get(at(product, "readiness"), headers=headers)).status_code == 200
    # A ci token for another product learns nothing: the same 404 as a missing product.
    other = await client.get(at(product, "readiness"), headers=callers.other_ci)
    missing = await client.get(f"{API}/products/no-such-product/readiness")
    assert_problem(other, 404)
    assert_problem(missing, 404)


async def test_the_gate_judges_the_product_as_the_change_leaves_it(
    app: Litestar, client: Client, callers: Callers
) -> None:
    # A public product needs no appsec review; made restricted in the same change, it does.
    product = await create_product(client, data_classification="public")
    slug = product["slug"]
    await pass_document_gates(app, client, slug)
    for stage in ("prfaq_review", "approved", "building"):
        assert (
            await client.patch(f"{API}/products/{slug}", json={"stage": stage})
        ).status_code == 200
    for kind in ("resiliency", "durability", "operational_readiness", "security_posture"):
        result = await post_result(client, product, kind)
        if kind == "security_posture":
            signed = await client.patch(
                at(product, "checkpoints", kind),
                json={"status": "passed", "comment": "ok", "evidence": [result["id"]]},
                headers=callers.reviewer,
            )
            assert signed.status_code == 200, signed.text
    both = {"stage": "launch_review", "data_classification": "restricted"}
    refused = await client.patch(f"{API}/products/{slug}", json=both)
    problem = assert_problem(refused, 409, field="stage")
    assert ("checkpoint_not_started", "stage") in {
        (error["code"], error["field"]) for error in problem["errors"]
    }
    assert (await client.get(f"{API}/products/{slug}")).json()["data_classification"] == "public"
    moved = await client.patch(f"{API}/products/{slug}", json={"stage": "launch_review"})
    assert moved.status_code == 200, moved.text


async def test_a_pass_too_old_for_launch_blocks_the_launch(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers
) -> None:
    await pass_all(client, product, callers)
    moved = await client.patch(f"{API}/products/{product['slug']}", json={"stage": "launch_review"})
    assert moved.status_code == 200, moved.text
    await backdate(app, Checkpoint, 91, "last_passed_at", kind="resiliency")
    # Not launched yet, so not stale yet; but launching would make it so.
    assert (await readiness(client, product))["ready"] is True
    launch = await client.patch(f"{API}/products/{product['slug']}", json={"stage": "launched"})
    problem = assert_problem(launch, 409, field="stage")
    assert [error["code"] for error in problem["errors"]] == ["checkpoint_stale"]


async def test_new_evidence_reopens_a_reviewers_decision(
    client: Client, product: dict[str, Any], callers: Callers
) -> None:
    await pass_all(client, product, callers)
    await post_result(client, product, "security_posture", "failed", headers=callers.ci)
    checkpoint = (await client.get(at(product, "checkpoints", "security_posture"))).json()
    assert checkpoint["status"] == "in_progress"
    answer = await readiness(client, product)
    assert [(item["code"], item["checkpoint"]) for item in answer["blockers"]] == [
        ("checkpoint_in_progress", "security_posture")
    ]
