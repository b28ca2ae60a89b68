"""Findings: de-duplicated by fingerprint across uploads, fixed when a full upload no longer lists
them, deadlines per severity, triage, accepted risks that expire, and who may read them."""

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from sqlalchemy import func, select
from sqlmodel import col

from api.audit.models import AuditEvent
from api.checkpoints.models import Finding
from tests.checkpoints.conftest import Callers, at, backdate
from tests.helpers import API, Client, assert_problem, seeding


def _finding(n: int, severity: str = "high", **fields: Any) -> dict[str, Any]:
    return {
        "title": f"Finding {n}",
        "severity": severity,
        "fingerprint": f"fp-{n}",
        "external_id": f"rule-{n}",
        "location": f"src/app.py:{n}",
        **fields,
    }


def _upload(*findings: dict[str, Any], tool: str = "semgrep", full: bool = True) -> dict[str, Any]:
    return {"checkpoint": "appsec_review", "tool": tool, "full": full, "findings": list(findings)}


async def _count(app: Litestar) -> int:
    async with seeding(app) as session:
        return int(await session.scalar(select(func.count()).select_from(Finding)) or 0)


async def test_re_uploads_update_and_a_full_upload_fixes_what_it_no_longer_lists(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers
) -> None:
    path = at(product, "findings")
    first = await client.post(path, json=_upload(_finding(1), _finding(2)), headers=callers.ci)
    assert first.status_code == 200, first.text
    assert (first.json()["created"], first.json()["updated"], first.json()["fixed"]) == (2, 0, 0)
    # The same fingerprints again, one with a new severity: updated, not duplicated.
    second = await client.post(
        path, json=_upload(_finding(1, "critical"), _finding(2)), headers=callers.ci
    )
    assert (second.json()["created"], second.json()["updated"], second.json()["fixed"]) == (0, 1, 0)
    assert await _count(app) == 2
    # Another tool's full upload leaves semgrep's alone.
    other = await client.post(path, json=_upload(_finding(9), tool="trivy"), headers=callers.ci)
    assert other.json()["fixed"] == 0
    # A full upload without fp-2 marks it fixed; a partial one fixes nothing.
    partial = await client.post(
        path, json=_upload(_finding(1, "critical"), full=False), headers=callers.ci
    )
    assert partial.json()["fixed"] == 0
    third = await client.post(path, json=_upload(_finding(1, "critical")), headers=callers.ci)
    assert third.json()["fixed"] == 1
    listed = (await client.get(path, headers=callers.ci)).json()["items"]
    by_fingerprint = {(item["tool"], item["fingerprint"]): item for item in listed}
    assert by_fingerprint["semgrep", "fp-1"]["severity"] == "critical"
    assert by_fingerprint["semgrep", "fp-1"]["status"] == "open"
    assert by_fingerprint["semgrep", "fp-2"]["status"] == "fixed"
    assert by_fingerprint["semgrep", "fp-2"]["fixed_at"]
    assert by_fingerprint["trivy", "fp-9"]["status"] == "open"
    # Found again: open again, with a new deadline.
    again = await client.post(
        path, json=_upload(_finding(1, "critical"), _finding(2)), headers=callers.ci
    )
    assert again.json()["updated"] == 1
    reopened = (await client.get(path, params={"status": "open"})).json()["items"]
    assert {item["fingerprint"] for item in reopened} == {"fp-1", "fp-2", "fp-9"}


async def test_deadlines_follow_severity_and_the_org_setting(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers
) -> None:
    path = at(product, "findings")
    await client.post(
        path, json=_upload(_finding(1, "critical"), _finding(2, "low")), headers=callers.ci
    )
    items = {item["severity"]: item for item in (await client.get(path)).json()["items"]}
    for severity, days in (("critical", 7), ("low", 120)):
        opened = datetime.fromisoformat(items[severity]["opened_at"])
        assert datetime.fromisoformat(items[severity]["fix_by"]) - opened == timedelta(days=days)
        assert items[severity]["overdue"] is False
    await backdate(app, Finding, 8, "opened_at", severity="critical")
    overdue = (await client.get(path, params={"overdue": True})).json()["items"]
    assert [item["severity"] for item in overdue] == ["critical"]
    assert overdue[0]["overdue"] is True
    # The org gives criticals ten days: no longer overdue.
    deadlines = await client.get(f"{API}/finding-deadlines")
    assert deadlines.json() == {"critical": 7, "high": 30, "medium": 90, "low": 120}
    refused = await client.put(
        f"{API}/finding-deadlines",
        json={**deadlines.json(), "critical": 10},
        headers=callers.reviewer,
    )
    assert_problem(refused, 403)
    assert_problem(
        await client.put(f"{API}/finding-deadlines", json={**deadlines.json(), "critical": 0}),
        422,
        field="critical",
    )
    changed = await client.put(
        f"{API}/finding-deadlines", json={**deadlines.json(), "critical": 10}
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get(path, params={"overdue": True})).json()["items"] == []


async def test_triage_and_accepted_risk_that_expires(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers
) -> None:
    uploaded = await client.post(
        at(product, "findings"), json=_upload(_finding(1, "high")), headers=callers.ci
    )
    finding = uploaded.json()["items"][0]
    path = f"{API}/findings/{finding['id']}"
    expiry = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    accept = {"status": "accepted_risk", "reason": "Behind the VPN", "risk_expires_at": expiry}
    # The team triages, but only security accepts a risk.
    assert_problem(await client.patch(path, json=accept, headers=callers.contributor), 403)
    assert_problem(
        await client.patch(path, json={**accept, "reason": None}, headers=callers.reviewer),
        422,
        field="reason",
    )
    assert_problem(
        await client.patch(
            path, json={**accept, "risk_expires_at": None}, headers=callers.reviewer
        ),
        422,
        field="risk_expires_at",
    )
    assert_problem(
        await client.patch(
            path,
            json={**accept, "risk_expires_at": "2001-01-01T00:00:00Z"},
            headers=callers.reviewer,
        ),
        422,
        field="risk_expires_at",
    )
    assert_problem(
        await client.patch(path, json={"status": "later"}, headers=callers.reviewer),
        422,
        field="status",
    )
    accepted = await client.patch(path, json=accept, headers=callers.reviewer)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted_risk"
    answer = (await client.get(at(product, "readiness"))).json()
    assert "open_high_findings" not in {item["code"] for item in answer["blockers"]}
    # The acceptance lapses on its own: the finding reads as open, and blocks again.
    await backdate(app, Finding, 1, "risk_expires_at")
    assert (await client.get(path)).json()["status"] == "open"
    answer = (await client.get(at(product, "readiness"))).json()
    assert "open_high_findings" in {item["code"] for item in answer["blockers"]}
    # The team marks it fixed, with an ETag.
    current = await client.get(path, headers=callers.contributor)
    fixed = await client.patch(
        path,
        json={"status": "fixed", "reason": "Patched in 2.3.1"},
        headers={**callers.contributor, "If-Match": current.headers["ETag"]},
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["status"] == "fixed"
    stale = await client.patch(
        path,
        json={"status": "open"},
        headers={**callers.contributor, "If-Match": current.headers["ETag"]},
    )
    assert_problem(stale, 412)


async def test_findings_are_sensitive(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers
) -> None:
    uploaded = await client.post(
        at(product, "findings"), json=_upload(_finding(1)), headers=callers.ci
    )
    finding_id = uploaded.json()["items"][0]["id"]
    assert_problem(await client.get(at(product, "findings"), headers=callers.viewer), 403)
    assert_problem(await client.get(f"{API}/findings/{finding_id}", headers=callers.viewer), 403)
    assert_problem(await client.get(at(product, "findings"), headers=callers.other_ci), 404)
    assert_problem(await client.get(f"{API}/findings/{finding_id}", headers=callers.other_ci), 404)
    assert_problem(
        await client.post(at(product, "findings"), json=_upload(), headers=callers.other_ci), 404
    )
    async with seeding(app) as session:
        before = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(col(AuditEvent.kind) == "access")
        )
    assert (await client.get(at(product, "findings"), headers=callers.ci)).status_code == 200
    assert (
        await client.get(f"{API}/findings/{finding_id}", headers=callers.reviewer)
    ).status_code == 200
    async with seeding(app) as session:
        events = list(
            await session.scalars(
                select(AuditEvent)
                .where(col(AuditEvent.kind) == "access")
                .order_by(col(AuditEvent.created_at).desc())
                .limit(2)
            )
        )
        after = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(col(AuditEvent.kind) == "access")
        )
    assert after == (before or 0) + 2
    assert {(event.record_type, event.record_id) for event in events} == {
        ("findings", product["id"]),
        ("finding", finding_id),
    }
    # Nor do they reach viewers through the product's history.
    history = await client.get(f"{API}/products/{product['slug']}/history", headers=callers.viewer)
    assert history.status_code == 200, history.text
    assert "finding" not in {event["record_type"] for event in history.json()["items"]}


async def test_bad_uploads_change_nothing(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers
) -> None:
    path = at(product, "findings")
    cases = [
        (_upload(_finding(1, "urgent")), "severity"),
        (_upload(_finding(1), _finding(1)), "findings"),
        ({**_upload(_finding(1)), "checkpoint": "Nope!"}, "checkpoint"),
        (_upload({"severity": "low", "fingerprint": "x"}), "title"),
        ({**_upload(), "tool": ""}, "tool"),
    ]
    for body, field in cases:
        assert_problem(await client.post(path, json=body, headers=callers.ci), 422, field=field)
    unknown = {**_upload(_finding(1)), "checkpoint": "chaos_monkey"}
    assert_problem(await client.post(path, json=unknown, headers=callers.ci), 404)
    assert await _count(app) == 0


async def test_concurrent_uploads_of_a_new_finding_record_it_once(
    app: Litestar, client: Client, product: dict[str, Any], callers: Callers
) -> None:
    import asyncio

    path = at(product, "findings")
    answers = await asyncio.gather(
        *(client.post(path, json=_upload(_finding(1)), headers=callers.ci) for _ in range(10))
    )
    assert {answer.status_code for answer in answers} <= {200, 503}, [a.text for a in answers]
    assert await _count(app) == 1
