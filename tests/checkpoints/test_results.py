"""Evidence from pipelines: results, who may post them, idempotent retries, sign-off and
waivers, and the catalogue they follow."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import func, select

from api.checkpoints.models import CheckpointResult
from tests.checkpoints.conftest import KINDS, Callers, at, post_result
from tests.helpers import API, Client, assert_problem, seeding

RESULT = {
    "outcome": "passed",
    "approaches": ["negative", "black_box"],
    "summary": "412 tests",
    "details_url": "https://ci.example.com/runs/7",
    "commit_sha": "9f2c1e7d",
    "pipeline_run_id": "run-7",
    "pipeline_url": "https://ci.example.com/pipelines/7",
    "tests_run": 412,
    "tests_failed": 0,
    "tests_skipped": 3,
    "failing_tests": [],
}


async def _results_in_db(app: Litestar) -> int:
    async with seeding(app) as session:
        return int(await session.scalar(select(func.count()).select_from(CheckpointResult)) or 0)


async def test_a_ci_token_posts_a_result_for_its_product(
    client: Client, product: dict[str, Any], callers: Callers
) -> None:
    posted = await client.post(
        at(product, "checkpoints", "resiliency", "results"), json=RESULT, headers=callers.ci
    )
    assert posted.status_code == 201, posted.text
    result = posted.json()
    assert {key: result[key] for key in RESULT} == RESULT
    fetched = await client.get(posted.headers["Location"], headers=callers.ci)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json() == result
    assert result["checkpoint"] == "resiliency"
    assert result["product"] == product["slug"]
    assert result["recorded_by"].startswith("ci")
    checkpoint = (await client.get(at(product, "checkpoints", "resiliency"))).json()
    assert checkpoint["status"] == "passed"
    assert checkpoint["last_result"]["id"] == result["id"]
    assert checkpoint["results_count"] == 1
    listed = await client.get(at(product, "checkpoints", "resiliency", "results"))
    assert [item["id"] for item in listed.json()["items"]] == [result["id"]]
    # The ci token reads its product's checkpoints too.
    mine = await client.get(at(product, "checkpoints"), headers=callers.ci)
    assert [item["kind"] for item in mine.json()["items"]] == KINDS


async def test_a_ci_token_may_not_touch_another_product(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers
) -> None:
    refused = await client.post(
        at(product, "checkpoints", "resiliency", "results"), json=RESULT, headers=callers.other_ci
    )
    missing = await client.post(
        f"{API}/products/no-such-product/checkpoints/resiliency/results", json=RESULT
    )
    assert_problem(refused, 404)
    assert_problem(missing, 404)
    assert refused.json()["detail"] == f"no product with slug {product['slug']!r}"
    assert_problem(await client.get(at(product, "checkpoints"), headers=callers.other_ci), 404)
    # Nor sign off, nor waive: a ci token is a pipeline, not a person.
    signed = await client.patch(
        at(product, "checkpoints", "appsec_review"),
        json={"status": "passed", "comment": "ok", "evidence": []},
        headers=callers.ci,
    )
    assert_problem(signed, 403)
    assert await _results_in_db(app) == 0


async def test_viewers_read_checkpoints_but_post_nothing(
    client: Client, product: dict[str, Any], callers: Callers
) -> None:
    assert (await client.get(at(product, "checkpoints"), headers=callers.viewer)).status_code == 200
    posted = await client.post(
        at(product, "checkpoints", "resiliency", "results"), json=RESULT, headers=callers.viewer
    )
    assert_problem(posted, 403)
    # The team's contributor may post (a manual test run, say).
    posted = await client.post(
        at(product, "checkpoints", "resiliency", "results"),
        json=RESULT,
        headers=callers.contributor,
    )
    assert posted.status_code == 201, posted.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": None}, "outcome"),
        ({"approaches": ["sideways"]}, "approaches.0"),
        ({"details_url": "javascript:alert(1)"}, "details_url"),
        ({"commit_sha": "not-a-sha"}, "commit_sha"),
        ({"tests_run": -1}, "tests_run"),
        ({"tests_failed": 1.5}, "tests_failed"),
        ({"failing_tests": ["x"] * 201}, "failing_tests"),
        ({"summary": "a" * 2001}, "summary"),
        ({"colour": "green"}, "colour"),
    ],
)
async def test_bad_results_are_refused_naming_the_field(
    app: Litestar, client: Client, product: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    posted = await client.post(
        at(product, "checkpoints", "resiliency", "results"), json={**RESULT, **change}
    )
    assert_problem(posted, (400, 422), field=field)
    assert await _results_in_db(app) == 0


async def test_an_unknown_kind_is_404_and_a_malformed_one_is_refused(
    client: Client, product: dict[str, Any]
) -> None:
    assert_problem(
        await client.post(at(product, "checkpoints", "chaos", "results"), json=RESULT), 404
    )
    assert_problem(
        await client.post(at(product, "checkpoints", "Bad Kind!", "results"), json=RESULT),
        (400, 404, 422),
    )


async def test_a_retried_upload_with_its_key_records_once(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers
) -> None:
    headers = {**callers.ci, "Idempotency-Key": "run-7:resiliency"}
    path = at(product, "checkpoints", "resiliency", "results")
    first = await client.post(path, json=RESULT, headers=headers)
    again = await client.post(path, json=RESULT, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotency-Replayed"] == "true"
    assert "Idempotency-Replayed" not in first.headers
    assert await _results_in_db(app) == 1
    # The same key with another body is refused; nothing is recorded.
    other = await client.post(path, json={**RESULT, "outcome": "failed"}, headers=headers)
    assert_problem(other, 422, field="Idempotency-Key")
    # A malformed key is refused before anything happens.
    bad = await client.post(path, json=RESULT, headers={"Idempotency-Key": "has spaces"})
    assert_problem(bad, 422, field="Idempotency-Key")
    long = await client.post(path, json=RESULT, headers={"Idempotency-Key": "k" * 129})
    assert_problem(long, (400, 422), field="Idempotency-Key")
    assert await _results_in_db(app) == 1
    # Keys belong to their token: another caller's same key is a new upload.
    mine = await client.post(path, json=RESULT, headers={"Idempotency-Key": "run-7:resiliency"})
    assert mine.status_code == 201
    assert "Idempotency-Replayed" not in mine.headers
    assert await _results_in_db(app) == 2


async def test_twenty_concurrent_uploads_with_one_key_record_one_result(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers, is_postgres: bool
) -> None:
    headers = {**callers.ci, "Idempotency-Key": "concurrent-1"}
    path = at(product, "checkpoints", "durability", "results")
    answers = await asyncio.gather(
        *(client.post(path, json=RESULT, headers=headers) for _ in range(20))
    )
    statuses = [answer.status_code for answer in answers]
    assert set(statuses) <= {201, 503}, [answer.text for answer in answers]
    ok = [answer for answer in answers if answer.status_code == 201]
    assert ok
    assert len({answer.json()["id"] for answer in ok}) == 1
    assert await _results_in_db(app) == 1
    if is_postgres:
        assert statuses == [201] * 20


async def test_only_the_kinds_reviewer_role_signs_off_naming_its_evidence(
    client: Client, product: dict[str, Any], callers: Callers
) -> None:
    path = at(product, "checkpoints", "appsec_review")
    result = await post_result(client, product, "appsec_review", headers=callers.ci)
    decision = {"status": "passed", "comment": "Pen test clean", "evidence": [result["id"]]}
    for headers in (callers.contributor, callers.viewer, {}):
        refused = await client.patch(path, json=decision, headers=headers)
        assert_problem(refused, 403)
    assert (await client.get(path)).json()["status"] == "in_progress"
    assert_problem(
        await client.patch(path, json={**decision, "evidence": []}, headers=callers.reviewer),
        422,
        field="evidence",
    )
    other = await post_result(client, product, "security_posture", headers=callers.ci)
    assert_problem(
        await client.patch(
            path, json={**decision, "evidence": [other["id"]]}, headers=callers.reviewer
        ),
        422,
        field="evidence",
    )
    assert_problem(
        await client.patch(path, json={**decision, "comment": ""}, headers=callers.reviewer),
        422,
        field="comment",
    )
    signed = await client.patch(path, json=decision, headers=callers.reviewer)
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["status"] == "passed"
    assert body["evidence"] == [result["id"]]
    assert body["decision_comment"] == "Pen test clean"
    assert body["decided_by"]
    # A stale ETag is refused.
    stale = await client.patch(
        path, json=decision, headers={**callers.reviewer, "If-Match": f'"{result["id"]}:1"'}
    )
    assert_problem(stale, 412)
    # An automatic kind has no sign-off.
    automatic = await client.patch(
        at(product, "checkpoints", "resiliency"), json=decision, headers=callers.reviewer
    )
    assert_problem(automatic, (403, 409))


async def test_waivers_need_a_reason_an_approver_and_at_most_ninety_days(
    client: Client, product: dict[str, Any], callers: Callers
) -> None:
    path = at(product, "checkpoints", "appsec_review", "waiver")
    soon = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    late = (datetime.now(UTC) + timedelta(days=91)).isoformat()
    assert_problem(await client.put(path, json={"expires_at": soon}), 422, field="justification")
    assert_problem(
        await client.put(path, json={"justification": "  ", "expires_at": soon}),
        422,
        field="justification",
    )
    assert_problem(
        await client.put(path, json={"justification": "Later", "expires_at": late}),
        422,
        field="expires_at",
    )
    assert_problem(
        await client.put(path, json={"justification": "Later", "expires_at": "soon"}),
        422,
        field="expires_at",
    )
    refused = await client.put(
        path, json={"justification": "Later", "expires_at": soon}, headers=callers.contributor
    )
    assert_problem(refused, 403)
    assert_problem(await client.get(path), 404)
    granted = await client.put(
        path,
        json={"justification": "Pen test booked", "expires_at": soon},
        headers=callers.reviewer,
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["active"] is True
    assert (await client.get(at(product, "checkpoints", "appsec_review"))).json()[
        "status"
    ] == "waived"
    # An automatic kind's waiver is an admin's to approve.
    automatic = at(product, "checkpoints", "resiliency", "waiver")
    body = {"justification": "Drill next week", "expires_at": soon}
    assert_problem(await client.put(automatic, json=body, headers=callers.reviewer), 403)
    assert (await client.put(automatic, json=body)).status_code == 200
    revoked = await client.delete(path, headers=callers.reviewer)
    assert revoked.status_code == 204, revoked.text
    assert (await client.get(path)).json()["active"] is False
    assert_problem(await client.delete(path, headers=callers.reviewer), 404)


async def test_the_catalogue_is_the_admins_to_change(
    client: Client, product: dict[str, Any], callers: Callers
) -> None:
    listed = await client.get(f"{API}/checkpoint-kinds")
    assert listed.status_code == 200, listed.text
    kinds = {kind["key"]: kind for kind in listed.json()["items"]}
    assert list(kinds) == KINDS
    assert kinds["appsec_review"]["sign_off"] == "reviewer"
    assert kinds["appsec_review"]["reviewer_role"] == "security_reviewer"
    assert kinds["operational_readiness"]["blocking"] is False
    new = {
        "key": "chaos_drill",
        "name": "Chaos drill",
        "required_for": ["restricted"],
        "retest_interval_days": 30,
    }
    assert_problem(
        await client.post(f"{API}/checkpoint-kinds", json=new, headers=callers.reviewer), 403
    )
    assert_problem(
        await client.post(f"{API}/checkpoint-kinds", json={**new, "sign_off": "reviewer"}),
        422,
        field="reviewer_role",
    )
    assert_problem(
        await client.post(f"{API}/checkpoint-kinds", json={**new, "key": "Chaos Drill"}),
        422,
        field="key",
    )
    made = await client.post(f"{API}/checkpoint-kinds", json=new)
    assert made.status_code == 201, made.text
    assert made.headers["Location"].endswith("/checkpoint-kinds/chaos_drill")
    assert_problem(await client.post(f"{API}/checkpoint-kinds", json=new), 409, field="key")
    # The product is internal: the new kind is listed but not required.
    checkpoints = {
        item["kind"]: item
        for item in (await client.get(at(product, "checkpoints"))).json()["items"]
    }
    assert checkpoints["chaos_drill"]["required"] is False
    fetched = await client.get(f"{API}/checkpoint-kinds/chaos_drill")
    changed = await client.patch(
        f"{API}/checkpoint-kinds/chaos_drill",
        json={"required_for": ["internal", "restricted"]},
        headers={"If-Match": fetched.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    checkpoints = {
        item["kind"]: item
        for item in (await client.get(at(product, "checkpoints"))).json()["items"]
    }
    assert checkpoints["chaos_drill"]["required"] is True
    assert_problem(
        await client.patch(
            f"{API}/checkpoint-kinds/chaos_drill",
            json={"name": "x"},
            headers={"If-Match": fetched.headers["ETag"]},
        ),
        412,
    )
    archived = await client.delete(f"{API}/checkpoint-kinds/chaos_drill")
    assert archived.status_code == 204, archived.text
    assert "chaos_drill" not in {
        item["kind"] for item in (await client.get(at(product, "checkpoints"))).json()["items"]
    }
    with_archived = await client.get(f"{API}/checkpoint-kinds", params={"include_archived": True})
    assert "chaos_drill" in {kind["key"] for kind in with_archived.json()["items"]}
    assert_problem(await client.get(f"{API}/checkpoint-kinds/nope"), 404)
