"""Products over REST: create, read, change, archive, list filters and pagination, bad input."""

from typing import Any

import pytest

from tests.factories import create_product, create_team
from tests.helpers import API, Client, assert_problem, list_all

PRODUCTS = f"{API}/products"


async def _slugs(client: Client, **params: object) -> set[str]:
    return {product["slug"] for product in await list_all(client, PRODUCTS, **params)}


async def _all_products(client: Client) -> list[dict[str, Any]]:
    return await list_all(client, PRODUCTS, include_archived="true")


async def test_create_starts_at_idea_with_location(client: Client) -> None:
    team = await create_team(client)
    body = {
        "slug": "rocket",
        "name": "Rocket",
        "summary": "Gets you there fast",
        "team": team["slug"],
        "data_classification": "confidential",
        "target_launch_date": "2027-03-01",
    }
    response = await client.post(PRODUCTS, json=body)
    assert response.status_code == 201, response.text
    product = response.json()
    assert {k: product[k] for k in body} == body
    assert product["stage"] == "idea"
    assert product["version"] == 1
    assert product["archived_at"] is None
    assert {"id", "created_at", "updated_at"} <= set(product)
    assert response.headers["location"] == f"{PRODUCTS}/rocket"
    fetched = await client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == product
    assert fetched.headers["etag"]


async def test_stage_cannot_be_set_on_create(client: Client) -> None:
    team = await create_team(client)
    body = {
        "slug": "shortcut",
        "name": "Shortcut",
        "team": team["slug"],
        "data_classification": "public",
        "stage": "launched",
    }
    assert_problem(await client.post(PRODUCTS, json=body), 422, field="stage")
    assert await _all_products(client) == []


async def test_patch_bumps_version_and_can_move_team(client: Client) -> None:
    product = await create_product(client, name="Before")
    other = await create_team(client)
    path = f"{PRODUCTS}/{product['slug']}"
    response = await client.patch(path, json={"name": "After", "team": other["slug"]})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["name"] == "After"
    assert changed["team"] == other["slug"]
    assert changed["version"] == product["version"] + 1
    assert (await client.get(path)).json() == changed
    assert await _slugs(client, team=other["slug"]) == {product["slug"]}


async def test_archive_hides_from_list_and_freezes_the_product(client: Client) -> None:
    kept = await create_product(client)
    gone = await create_product(client)
    path = f"{PRODUCTS}/{gone['slug']}"
    assert (await client.delete(path)).status_code == 204
    assert await _slugs(client) == {kept["slug"]}
    assert await _slugs(client, include_archived="true") == {kept["slug"], gone["slug"]}
    fetched = await client.get(path)
    assert fetched.status_code == 200
    assert fetched.json()["archived_at"] is not None
    assert_problem(await client.patch(path, json={"name": "Zombie"}), 409)
    assert (await client.get(path)).json()["name"] == gone["name"]
    # With its product archived, the team may now be archived too.
    assert (await client.delete(f"{API}/teams/{gone['team']}")).status_code == 204


async def test_list_filters(client: Client) -> None:
    search = await create_team(client, slug="search", org="Discovery")
    ads = await create_team(client, slug="ads", org="revenue")
    maps = await create_product(
        client,
        slug="maps",
        name="Maps",
        summary="Where things are",
        team=search["slug"],
        data_classification="public",
    )
    lens = await create_product(
        client,
        slug="lens",
        name="Lens",
        summary="Search by photo",
        team=search["slug"],
        data_classification="restricted",
    )
    bids = await create_product(
        client,
        slug="bids",
        name="Bidder",
        summary="Auctions for ad slots",
        team=ads["slug"],
        data_classification="restricted",
    )
    await client.patch(f"{PRODUCTS}/lens", json={"stage": "prfaq_review"})

    assert await _slugs(client, stage="idea") == {maps["slug"], bids["slug"]}
    assert await _slugs(client, stage="prfaq_review") == {lens["slug"]}
    assert await _slugs(client, stage="launched") == set()
    assert await _slugs(client, team="search") == {maps["slug"], lens["slug"]}
    assert await _slugs(client, team="nobody") == set()
    assert await _slugs(client, data_classification="restricted") == {lens["slug"], bids["slug"]}
    assert await _slugs(client, org="discovery") == {maps["slug"], lens["slug"]}
    assert await _slugs(client, org="REVENUE") == {bids["slug"]}
    assert await _slugs(client, q="photo") == {lens["slug"]}
    assert await _slugs(client, q="BIDD") == {bids["slug"]}
    assert await _slugs(client, q="ma") == {maps["slug"]}
    assert await _slugs(client, data_classification="restricted", org="discovery") == {lens["slug"]}
    assert await _slugs(client, q="%") == set()


async def test_pagination_walks_every_product_once(client: Client) -> None:
    team = await create_team(client)
    created = [(await create_product(client, team=team["slug"]))["slug"] for _ in range(7)]
    seen = [product["slug"] for product in await list_all(client, PRODUCTS, limit="3")]
    assert seen == created
    first = (await client.get(PRODUCTS, params={"limit": "3"})).json()
    second = await client.get(PRODUCTS, params={"limit": "3", "cursor": first["next_cursor"]})
    assert [p["slug"] for p in second.json()["items"]] == created[3:6]


async def test_limit_bounds(client: Client) -> None:
    await create_product(client)
    for limit in ("0", "201", "-1", "ten"):
        response = await client.get(PRODUCTS, params={"limit": limit})
        assert_problem(response, (400, 422), field="limit")
    for limit in ("1", "200"):
        assert (await client.get(PRODUCTS, params={"limit": limit})).status_code == 200


async def test_bad_cursor_is_400(client: Client) -> None:
    await create_product(client)
    # A cursor must be one this API issued; each of these is not, in a different way.
    for cursor in ("garbage", "eyJhZnRlciI6IDEyM30", "eyJhZnRlciI6ICJ4In0", "W10", "é"):
        response = await client.get(PRODUCTS, params={"cursor": cursor})
        assert_problem(response, 400, field="cursor")


async def test_bad_list_filters_are_4xx(client: Client) -> None:
    for params in ({"stage": "dreaming"}, {"data_classification": "secret"}):
        assert_problem(await client.get(PRODUCTS, params=params), (400, 422))


async def test_unknown_team_is_422_naming_team(client: Client) -> None:
    body = {
        "slug": "orphan",
        "name": "Orphan",
        "team": "no-such-team",
        "data_classification": "public",
    }
    assert_problem(await client.post(PRODUCTS, json=body), 422, field="team")
    assert await _all_products(client) == []

    product = await create_product(client)
    path = f"{PRODUCTS}/{product['slug']}"
    assert_problem(await client.patch(path, json={"team": "no-such-team"}), 422, field="team")
    assert (await client.get(path)).json() == product


async def test_archived_team_cannot_own_a_new_product(client: Client) -> None:
    team = await create_team(client)
    await client.delete(f"{API}/teams/{team['slug']}")
    body = {"slug": "late", "name": "Late", "team": team["slug"], "data_classification": "public"}
    assert_problem(await client.post(PRODUCTS, json=body), 422, field="team")
    assert await _all_products(client) == []


async def test_missing_and_malformed_product_fields_are_422(client: Client) -> None:
    team = await create_team(client)
    good = {"slug": "fine", "name": "Fine", "team": team["slug"], "data_classification": "public"}
    for missing in ("slug", "name", "team", "data_classification"):
        body = {k: v for k, v in good.items() if k != missing}
        assert_problem(await client.post(PRODUCTS, json=body), 422, field=missing)
    for field, value in [
        ("slug", "Not A Slug"),
        ("slug", "x"),
        ("data_classification", "top-secret"),
        ("target_launch_date", "next spring"),
        ("summary", "two\nlines"),
        ("summary", "x" * 301),
        ("name", ""),
        ("team", "Bad Team"),
        ("launch_party", True),
    ]:
        assert_problem(await client.post(PRODUCTS, json={**good, field: value}), 422, field=field)
    assert await _all_products(client) == []


async def test_a_duplicate_product_slug_is_409(client: Client) -> None:
    product = await create_product(client, name="Original")
    body = {
        "slug": product["slug"],
        "name": "Copy",
        "team": product["team"],
        "data_classification": "public",
    }
    assert_problem(await client.post(PRODUCTS, json=body), 409, field="slug")
    assert [p["name"] for p in await _all_products(client)] == ["Original"]


async def test_required_fields_may_not_be_patched_to_null(client: Client) -> None:
    product = await create_product(client)
    path = f"{PRODUCTS}/{product['slug']}"
    for field in ("name", "team", "stage", "data_classification"):
        assert_problem(await client.patch(path, json={field: None}), 422, field=field)
    assert (await client.get(path)).json() == product


async def test_unknown_product_is_404(client: Client) -> None:
    missing = f"{PRODUCTS}/no-such-product"
    assert_problem(await client.get(missing), 404)
    assert_problem(await client.patch(missing, json={"name": "x"}), 404)
    assert_problem(await client.delete(missing), 404)
    assert_problem(await client.get(f"{missing}/changes"), 404)


async def test_a_stale_if_match_on_a_product_is_412_and_changes_nothing(client: Client) -> None:
    product = await create_product(client)
    path = f"{PRODUCTS}/{product['slug']}"
    stale = (await client.get(path)).headers["etag"]
    await client.patch(path, json={"name": "Newer"})
    for response in (
        await client.patch(path, json={"stage": "prfaq_review"}, headers={"If-Match": stale}),
        await client.delete(path, headers={"If-Match": stale}),
    ):
        assert_problem(response, 412)
    current = (await client.get(path)).json()
    assert (current["stage"], current["archived_at"], current["version"]) == ("idea", None, 2)
    changes = (await client.get(f"{path}/changes")).json()["items"]
    assert [c["new_value"] for c in changes] == ["idea"]


@pytest.mark.parametrize("value", [0, 1767225600, "2027-01-15T00:00:00Z"])
async def test_a_launch_date_must_be_a_date(client: Client, value: Any) -> None:
    product = await create_product(client)
    path = f"{PRODUCTS}/{product['slug']}"
    refused = await client.patch(path, json={"target_launch_date": value})
    assert_problem(refused, 422, field="target_launch_date")
    assert (await client.get(path)).json() == product
    team = await create_team(client)
    body = {
        "slug": "dated",
        "name": "Dated",
        "team": team["slug"],
        "data_classification": "internal",
        "target_launch_date": value,
    }
    assert_problem(await client.post(PRODUCTS, json=body), 422, field="target_launch_date")
    assert (await client.get(f"{PRODUCTS}/dated")).status_code == 404
