"""A product's security FAQ: completeness by classification, sign-off by a security reviewer,
re-opening on a stricter classification, sensitive reads in the audit trail, and the stage gates
both documents keep."""

import csv
import io
from typing import Any

from litestar import Litestar

from api.core.access import Role
from tests.documents.conftest import PLAIN_RELEASE, path
from tests.factories import (
    add_member,
    create_person,
    create_product,
    pass_document_gates,
    unique,
)
from tests.helpers import API, Client, assert_problem, bearer, issue_token, list_all


async def _template(client: Client) -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = (await client.get(f"{API}/security-faq-template")).json()[
        "questions"
    ]
    return questions


def _answers(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"key": question["key"], "answer": "How we do it."} for question in questions]


async def _save(client: Client, product: dict[str, Any], answers: list[dict[str, Any]]) -> Any:
    return await client.post(
        f"{path(product, 'security-faq')}/revisions", json={"answers": answers}
    )


async def _review(
    client: Client, product: dict[str, Any], headers: dict[str, str] | None = None, **body: Any
) -> Any:
    return await client.post(f"{path(product, 'security-faq')}/review", json=body, headers=headers)


async def _contributor(app: Litestar, client: Client, product: dict[str, Any]) -> dict[str, str]:
    person = await create_person(client)
    await add_member(client, product["team"], person["id"], role="engineer")
    return bearer(
        await issue_token(app, Role.CONTRIBUTOR, person_id=person["id"], name=unique("c"))
    )


async def test_completeness_follows_the_classification(
    client: Client, product: dict[str, Any]
) -> None:
    questions = await _template(client)
    assert len(questions) == 11
    confidential = [q for q in questions if "confidential" in q["required_for"]]
    public = [q for q in questions if "public" in q["required_for"]]
    assert 0 < len(public) < len(confidential)
    saved = await _save(client, product, _answers(public))
    assert saved.status_code == 201, saved.text
    faq = (await client.get(path(product, "security-faq"))).json()
    done = faq["completeness"]
    assert (done["classification"], done["required"]) == ("confidential", len(confidential))
    assert done["answered"] == len(public)
    assert set(done["missing"]) == {q["key"] for q in confidential} - {q["key"] for q in public}
    assert await _portfolio_completeness(client, product) == done["ratio"]
    # "Not applicable, because…" answers a question too; a blank answer does not.
    not_applicable = [
        {"key": key, "not_applicable": True, "reason": "No such data here."}
        for key in done["missing"][1:]
    ]
    # Whitespace of any kind is no answer (as the approval gate counts it).
    blank = [{"key": done["missing"][0], "answer": " \t\u00a0 "}]
    await _save(client, product, _answers(public) + not_applicable + blank)
    done = (await client.get(path(product, "security-faq"))).json()["completeness"]
    assert done["answered"] == len(confidential) - 1
    assert await _portfolio_completeness(client, product) == done["ratio"]
    await _save(client, product, _answers(confidential))
    done = (await client.get(path(product, "security-faq"))).json()["completeness"]
    assert (done["ratio"], done["missing"]) == (1.0, [])
    assert await _portfolio_completeness(client, product) == 1.0


async def test_completeness_rounds_a_half_to_even_in_the_api_and_the_csv(
    client: Client, product: dict[str, Any]
) -> None:
    # 32 required questions: k/32 for an odd k ends in a 5 at the fifth decimal place, exactly.
    questions = [
        {"key": f"q{n:02}", "question": f"Question {n}?", "required_for": ["confidential"]}
        for n in range(32)
    ]
    saved = await client.put(f"{API}/security-faq-template", json={"questions": questions})
    assert saved.status_code == 200, saved.text
    for answered, ratio in ((1, 0.0312), (3, 0.0938), (5, 0.1562), (31, 0.9688)):
        assert (await _save(client, product, _answers(questions[:answered]))).status_code == 201
        done = (await client.get(path(product, "security-faq"))).json()["completeness"]
        assert (done["answered"], done["required"], done["ratio"]) == (answered, 32, ratio)
        assert await _portfolio_completeness(client, product) == ratio


async def _portfolio_completeness(client: Client, product: dict[str, Any]) -> float:
    """The product's security FAQ completeness as the portfolio CSV reports it (counted in
    SQL from the keys each revision answers)."""
    response = await client.get(f"{API}/portfolio.csv", params={"team": product["team"]})
    assert response.status_code == 200, response.text
    rows = csv.DictReader(io.StringIO(response.text, newline=""))
    (row,) = [row for row in rows if row["product"] == product["slug"]]
    return float(row["security_faq_completeness"])


async def test_only_a_security_reviewer_approves_and_only_when_complete(
    client: Client, product: dict[str, Any], reviewer: dict[str, str], app: Litestar
) -> None:
    contributor = await _contributor(app, client, product)
    questions = await _template(client)
    await _save(client, product, _answers(questions[:2]))
    await _review(client, product, action="submit", revision=1)
    assert_problem(await _review(client, product, reviewer, action="approve", revision=1), 409)
    # A contributor of the owning team writes and submits, but does not sign off security.
    refused = await _review(client, product, contributor, action="request_changes", revision=1)
    assert_problem(refused, 403)
    await _save(client, product, _answers(questions))
    await _review(client, product, action="submit", revision=2)
    approved = await _review(client, product, reviewer, action="approve", revision=2)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"


async def test_bad_answers_are_refused_and_change_nothing(
    client: Client, product: dict[str, Any]
) -> None:
    for answers, field in (
        ([{"key": "no-such-question", "answer": "x"}], "answers.0.key"),
        (
            [{"key": "incidents", "answer": "x"}, {"key": "incidents", "answer": "y"}],
            "answers.1.key",
        ),
        ([{"key": "incidents", "not_applicable": True}], "answers.0.reason"),
    ):
        assert_problem(await _save(client, product, answers), 422, field=field)
    assert (await client.get(path(product, "security-faq"))).json()["latest_revision"] == 0


async def test_a_stricter_classification_reopens_the_approval(
    client: Client, reviewer: dict[str, str]
) -> None:
    product = await create_product(client, data_classification="public")
    questions = await _template(client)
    public = [q for q in questions if "public" in q["required_for"]]
    await _save(client, product, _answers(public))
    await _review(client, product, action="submit", revision=1)
    await _review(client, product, reviewer, action="approve", revision=1)
    stricter = await client.patch(
        f"{API}/products/{product['slug']}", json={"data_classification": "restricted"}
    )
    assert stricter.status_code == 200, stricter.text
    faq = (await client.get(path(product, "security-faq"))).json()
    assert faq["status"] == "changes_requested"
    assert faq["reviews"][0]["action"] == "reopen"
    assert faq["completeness"]["missing"]


async def test_viewers_and_ci_cannot_read_it_and_reads_are_recorded(
    client: Client, product: dict[str, Any], viewer: dict[str, str], app: Litestar
) -> None:
    assert_problem(await client.get(path(product, "security-faq"), headers=viewer), 403)
    ci = bearer(await issue_token(app, Role.CI, products=[product["slug"]], name=unique("ci")))
    assert_problem(await client.get(path(product, "security-faq"), headers=ci), 403)
    assert (await client.get(path(product, "prfaq"), headers=ci)).status_code == 200
    await client.get(path(product, "security-faq"))
    query = """query($slug: String!) { product(slug: $slug) { securityFaq { status } } }"""
    answer = await client.post(
        "/graphql", json={"query": query, "variables": {"slug": product["slug"]}}
    )
    assert "errors" not in answer.json(), answer.text
    reads = await list_all(client, f"{API}/audit-events", kind="access", record_type="security_faq")
    assert len(reads) == 2
    assert {event["record_id"] for event in reads} == {product["id"]}


async def test_stage_gates_list_every_reason_with_a_code(
    client: Client, product: dict[str, Any], app: Litestar
) -> None:
    slug = product["slug"]
    await client.patch(f"{API}/products/{slug}", json={"stage": "prfaq_review"})
    refused = await client.patch(f"{API}/products/{slug}", json={"stage": "approved"})
    problem = assert_problem(refused, 409)
    assert [error["code"] for error in problem["errors"]] == ["prfaq_not_approved"]
    await pass_document_gates(app, client, slug)
    for stage in ("approved", "building"):
        moved = await client.patch(f"{API}/products/{slug}", json={"stage": stage})
        assert moved.status_code == 200, moved.text


async def test_building_needs_an_approved_complete_security_faq(
    client: Client, product: dict[str, Any], reviewer: dict[str, str]
) -> None:
    slug = product["slug"]
    prfaq = f"{path(product, 'prfaq')}"
    await client.post(f"{prfaq}/revisions", json=PLAIN_RELEASE)
    await client.post(f"{prfaq}/review", json={"action": "submit", "revision": 1})
    await client.post(
        f"{prfaq}/review", json={"action": "approve", "revision": 1}, headers=reviewer
    )
    for stage in ("prfaq_review", "approved"):
        assert (await client.patch(f"{API}/products/{slug}", json={"stage": stage})).is_success
    refused = await client.patch(f"{API}/products/{slug}", json={"stage": "building"})
    codes = [error["code"] for error in assert_problem(refused, 409)["errors"]]
    assert codes == ["security_faq_not_approved", "security_faq_incomplete"]
