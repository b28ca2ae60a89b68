"""A product's PR/FAQ over REST: revisions, scores, review, diff, Markdown, and bad input."""

from typing import Any

from tests.documents.conftest import PLAIN_RELEASE, path
from tests.helpers import API, Client, assert_problem, list_all

DENSE = (
    "Leveraging a best-of-breed, cloud-native paradigm, the platform operationalizes synergistic, "
    "enterprise-grade reconciliation capabilities, thereby facilitating holistic, mission-critical "
    "observability across heterogeneous downstream consumption architectures."
)


async def _save(client: Client, product: dict[str, Any], **changes: Any) -> dict[str, Any]:
    response = await client.post(
        f"{path(product, 'prfaq')}/revisions", json={**PLAIN_RELEASE, **changes}
    )
    assert response.status_code == 201, response.text
    saved: dict[str, Any] = response.json()
    assert response.headers["location"].endswith(f"/prfaq/revisions/{saved['number']}")
    return saved


async def _review(
    client: Client, product: dict[str, Any], headers: dict[str, str] | None = None, **body: Any
) -> Any:
    return await client.post(f"{path(product, 'prfaq')}/review", json=body, headers=headers)


async def _events(client: Client) -> int:
    return len(await list_all(client, f"{API}/audit-events"))


async def test_every_product_starts_with_an_empty_draft(
    client: Client, product: dict[str, Any]
) -> None:
    prfaq = (await client.get(path(product, "prfaq"))).json()
    assert (prfaq["status"], prfaq["latest_revision"], prfaq["latest"]) == ("draft", 0, None)
    assert prfaq["approved"] is None


async def test_revisions_are_numbered_scored_and_kept(
    client: Client, product: dict[str, Any]
) -> None:
    first = await _save(client, product, change_note="first")
    second = await _save(client, product, headline="Pay with one tap, anywhere")
    assert (first["number"], second["number"]) == (1, 2)
    assert first["scores"]["plain_language"]["verdict"] == "pass"
    assert first["scores"]["one_page"]["words"] > 0
    assert first["author"]
    assert first["change_note"] == "first"
    # Revisions never change: the first reads as it was saved.
    again = (await client.get(f"{path(product, 'prfaq')}/revisions/1")).json()
    assert again["headline"] == "Pay with one tap"
    listed = await list_all(client, f"{path(product, 'prfaq')}/revisions")
    assert [revision["number"] for revision in listed] == [1, 2]


async def test_review_submit_approve_and_a_new_revision_starts_over(
    client: Client, product: dict[str, Any], reviewer: dict[str, str]
) -> None:
    await _save(client, product)
    submitted = await _review(client, product, action="submit", revision=1)
    assert submitted.json()["status"] == "in_review"
    # The author may not approve their own words.
    own = await _review(client, product, action="approve", revision=1)
    assert_problem(own, 403)
    approved = await _review(client, product, reviewer, action="approve", revision=1)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["status"], body["approved_revision"]) == ("approved", 1)
    assert [step["action"] for step in body["reviews"]] == ["approve", "submit"]
    await _save(client, product, body="A second try at the words. Short and plain.")
    after = (await client.get(path(product, "prfaq"))).json()
    assert (after["status"], after["latest_revision"], after["approved_revision"]) == (
        "draft",
        2,
        1,
    )
    assert after["approved"]["number"] == 1


async def test_changes_requested_then_resubmitted(
    client: Client, product: dict[str, Any], reviewer: dict[str, str]
) -> None:
    await _save(client, product)
    await _review(client, product, action="submit", revision=1)
    asked = await _review(
        client, product, reviewer, action="request_changes", revision=1, comment="Who is it for?"
    )
    assert asked.json()["status"] == "changes_requested"
    await _save(client, product, subheading="For people who shop on their phone.")
    resubmitted = await _review(client, product, action="submit", revision=2)
    assert resubmitted.json()["reviewing_revision"] == 2


async def test_a_failing_release_needs_an_override_reason_which_is_kept(
    client: Client, product: dict[str, Any], reviewer: dict[str, str]
) -> None:
    saved = await _save(client, product, body=DENSE)
    assert saved["scores"]["plain_language"]["verdict"] == "fail"
    await _review(client, product, action="submit", revision=1)
    before = await _events(client)
    refused = await _review(client, product, reviewer, action="approve", revision=1)
    assert_problem(refused, 422, field="override_reason")
    assert await _events(client) == before
    reason = "Written for data engineers"
    approved = await _review(
        client, product, reviewer, action="approve", revision=1, override_reason=reason
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["reviews"][0]["override_reason"] == reason


async def test_bad_review_steps_change_nothing(
    client: Client, product: dict[str, Any], reviewer: dict[str, str]
) -> None:
    nothing = await _review(client, product, action="submit", revision=1)
    assert_problem(nothing, 409)
    await _save(client, product)
    await _save(client, product)
    before = (await client.get(path(product, "prfaq"))).json()
    events = await _events(client)
    for headers, body, status in (
        (None, {"action": "submit", "revision": 1}, 409),  # not the latest
        (reviewer, {"action": "approve", "revision": 2}, 409),  # not under review
        (None, {"action": "submit", "revision": 9}, 404),
        (None, {"action": "publish", "revision": 2}, 422),
    ):
        assert_problem(await _review(client, product, headers, **body), status)
    assert (await client.get(path(product, "prfaq"))).json() == before
    assert await _events(client) == events


async def test_bad_revisions_are_refused_naming_the_field(
    client: Client, product: dict[str, Any]
) -> None:
    revisions = f"{path(product, 'prfaq')}/revisions"
    events = await _events(client)
    empty = await client.post(revisions, json={**PLAIN_RELEASE, "headline": "  "})
    assert_problem(empty, 422, field="headline")
    many = [{"question": f"Question {n}?", "answer": "Yes."} for n in range(101)]
    assert_problem(await client.post(revisions, json={**PLAIN_RELEASE, "faq": many}), 422)
    huge = {**PLAIN_RELEASE, "faq": [{"question": "Long?", "answer": "x" * 9_999}] * 11}
    assert_problem(await client.post(revisions, json=huge), 413)
    assert (await client.get(path(product, "prfaq"))).json()["latest_revision"] == 0
    assert await _events(client) == events


async def test_diff_by_section_and_markdown_export(client: Client, product: dict[str, Any]) -> None:
    await _save(client, product)
    await _save(client, product, headline="Pay with one tap, anywhere")
    diff = (await client.get(f"{path(product, 'prfaq')}/revisions/2/diff?against=1")).json()
    changed = {section["section"]: section["diff"] for section in diff["sections"]}
    assert "+Pay with one tap, anywhere" in changed["headline"]
    assert changed["body"] == ""
    # Against the one before, by default.
    assert (await client.get(f"{path(product, 'prfaq')}/revisions/2/diff")).json() == diff
    missing = await client.get(f"{path(product, 'prfaq')}/revisions/2/diff?against=7")
    assert_problem(missing, 404)
    # Numbers no revision can have (nor an integer column hold) are bad input, not a 500.
    for number in ("0", "3000000000", "9223372036854775808"):
        for suffix in ("", "/diff"):
            response = await client.get(f"{path(product, 'prfaq')}/revisions/{number}{suffix}")
            assert_problem(response, 422, field="number")
    step = {"action": "submit", "revision": 2199023255552}
    assert_problem(await client.post(f"{path(product, 'prfaq')}/review", json=step), 422)
    exported = await client.get(f"{path(product, 'prfaq')}.md")
    assert exported.headers["content-type"].startswith("text/markdown")
    assert "# Pay with one tap, anywhere" in exported.text
    assert "**Is it safe?**" in exported.text


async def test_graphql_shows_the_prfaq_and_saves_revisions(
    client: Client, product: dict[str, Any]
) -> None:
    mutation = """mutation($input: SavePrfaqRevisionInput!) {
      savePrfaqRevision(input: $input) { status latestRevision latest { number headline
        scores { plainLanguage { verdict readingEase } onePage { words limit } } } } }"""
    variables = {
        "input": {
            "product": product["slug"],
            "headline": "Pay with one tap",
            "body": PLAIN_RELEASE["body"],
            "faq": [{"question": "Is it safe?", "answer": "Yes."}],
        }
    }
    saved = await client.post("/graphql", json={"query": mutation, "variables": variables})
    body = saved.json()
    assert "errors" not in body, body
    assert body["data"]["savePrfaqRevision"]["latest"]["number"] == 1
    query = """query($slug: String!) { product(slug: $slug) { prfaq { status latestRevision
      revisions { edges { node { number } } } } } }"""
    read = await client.post(
        "/graphql", json={"query": query, "variables": {"slug": product["slug"]}}
    )
    prfaq = read.json()["data"]["product"]["prfaq"]
    assert prfaq["latestRevision"] == 1
    assert [edge["node"]["number"] for edge in prfaq["revisions"]["edges"]] == [1]
