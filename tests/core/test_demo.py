"""The demo portfolio a newcomer sees with `pizzabox serve --demo`."""

from collections import Counter

from litestar import Litestar

from api.demo import load_demo, portfolio_size
from tests.helpers import API, Client, list_all, seeding


async def test_demo_portfolio_shows_every_stage_and_team_size(
    app: Litestar, client: Client
) -> None:
    async with seeding(app) as session:
        assert (await portfolio_size(session)).is_empty
        await load_demo(session)
        await session.commit()

    products = await list_all(client, f"{API}/products")
    assert len(products) == 15
    assert set(Counter(product["stage"] for product in products)) == {
        "idea",
        "prfaq_review",
        "approved",
        "building",
        "launch_review",
        "launched",
        "retired",
    }
    teams = await list_all(client, f"{API}/teams")
    assert len(teams) == 8
    assert len({team["org"] for team in teams}) >= 3
    people = await list_all(client, f"{API}/people")
    assert len(people) == 40
    assert len({person["job_family"] for person in people}) >= 6

    sizes = [len(await list_all(client, f"{API}/teams/{team['slug']}/members")) for team in teams]
    assert sum(size > 10 for size in sizes) >= 2
    assert any(size < 3 for size in sizes)

    slips = (
        await client.get(
            f"{API}/products/wallet-top-up/changes", params={"field": "target_launch_date"}
        )
    ).json()["items"]
    assert len(slips) >= 3  # set once, then slipped twice

    # Documents in every state, an approval over a failing score, an incomplete security FAQ.
    prfaqs = [(await client.get(f"{API}/products/{p['slug']}/prfaq")).json() for p in products]
    assert {prfaq["status"] for prfaq in prfaqs} == {
        "draft",
        "in_review",
        "changes_requested",
        "approved",
    }
    ledger = next(prfaq for prfaq in prfaqs if prfaq["product"] == "streaming-ledger")
    assert ledger["approved"]["scores"]["plain_language"]["verdict"] == "fail"
    assert ledger["reviews"][0]["override_reason"]
    mtls = (await client.get(f"{API}/products/service-mtls/security-faq")).json()
    assert mtls["completeness"]["missing"]

    async with seeding(app) as session:
        assert not (await portfolio_size(session)).is_empty
