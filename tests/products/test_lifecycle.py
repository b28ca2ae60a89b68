"""A product's stage lifecycle, and the kept history of stage and launch-date changes."""

import itertools
from typing import Any

import pytest
from litestar import Litestar

from tests.factories import create_product, pass_document_gates, pass_launch_gates
from tests.helpers import API, Client, assert_problem, list_all

PRODUCTS = f"{API}/products"
STAGES = ["idea", "prfaq_review", "approved", "building", "launch_review", "launched", "retired"]


async def _move(client: Client, slug: str, stage: str) -> dict[str, Any]:
    response = await client.patch(f"{PRODUCTS}/{slug}", json={"stage": stage})
    assert response.status_code == 200, response.text
    product: dict[str, Any] = response.json()
    assert product["stage"] == stage
    return product


async def _cleared_product(app: Litestar, client: Client) -> dict[str, Any]:
    # A product whose documents are approved and checkpoints passed, so its stage may move
    # past every gate.
    product = await create_product(client)
    await pass_document_gates(app, client, product["slug"])
    await pass_launch_gates(app, client, product["slug"])
    return product


async def _changes(client: Client, slug: str, **params: object) -> list[dict[str, Any]]:
    return await list_all(client, f"{PRODUCTS}/{slug}/changes", **params)


async def test_walks_forward_one_step_at_a_time_to_retired(app: Litestar, client: Client) -> None:
    product = await _cleared_product(app, client)
    version = product["version"]
    for stage in STAGES[1:]:
        moved = await _move(client, product["slug"], stage)
        version += 1
        assert moved["version"] == version
    history = [
        (c["old_value"], c["new_value"])
        for c in await _changes(client, product["slug"], field="stage")
    ]
    assert history == [(None, "idea"), *itertools.pairwise(STAGES)]


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("idea", "approved"),
        ("idea", "launched"),
        ("prfaq_review", "building"),
        ("building", "launched"),
    ],
)
async def test_skipping_a_stage_is_409_naming_stage(
    app: Litestar, client: Client, start: str, target: str
) -> None:
    product = await _cleared_product(app, client)
    for stage in STAGES[1 : STAGES.index(start) + 1]:
        await _move(client, product["slug"], stage)
    before = (await client.get(f"{PRODUCTS}/{product['slug']}")).json()
    changes_before = await _changes(client, product["slug"])

    response = await client.patch(f"{PRODUCTS}/{product['slug']}", json={"stage": target})
    problem = assert_problem(response, 409, field="stage")
    assert target in problem["detail"]
    assert (await client.get(f"{PRODUCTS}/{product['slug']}")).json() == before
    assert await _changes(client, product["slug"]) == changes_before


async def test_moving_back_is_allowed(app: Litestar, client: Client) -> None:
    product = await _cleared_product(app, client)
    for stage in STAGES[1:4]:
        await _move(client, product["slug"], stage)
    await _move(client, product["slug"], "idea")
    await _move(client, product["slug"], "prfaq_review")
    history = [c["new_value"] for c in await _changes(client, product["slug"], field="stage")]
    assert history == ["idea", "prfaq_review", "approved", "building", "idea", "prfaq_review"]


@pytest.mark.parametrize("start", STAGES[:-1])
async def test_retired_is_reachable_from_any_stage(
    app: Litestar, client: Client, start: str
) -> None:
    product = await _cleared_product(app, client)
    for stage in STAGES[1 : STAGES.index(start) + 1]:
        await _move(client, product["slug"], stage)
    await _move(client, product["slug"], "retired")
    last = (await _changes(client, product["slug"]))[-1]
    assert (last["field"], last["old_value"], last["new_value"]) == ("stage", start, "retired")


async def test_setting_the_same_stage_records_nothing(client: Client) -> None:
    product = await create_product(client)
    response = await client.patch(f"{PRODUCTS}/{product['slug']}", json={"stage": "idea"})
    assert response.status_code == 200
    assert len(await _changes(client, product["slug"])) == 1


async def test_a_slipped_launch_date_keeps_both_dates(client: Client) -> None:
    product = await create_product(client, target_launch_date="2027-01-15")
    path = f"{PRODUCTS}/{product['slug']}"
    moved = await client.patch(path, json={"target_launch_date": "2027-04-01"})
    assert moved.status_code == 200
    assert moved.json()["target_launch_date"] == "2027-04-01"
    cleared = await client.patch(path, json={"target_launch_date": None})
    assert cleared.json()["target_launch_date"] is None

    dates = await _changes(client, product["slug"], field="target_launch_date")
    assert [(c["old_value"], c["new_value"]) for c in dates] == [
        (None, "2027-01-15"),
        ("2027-01-15", "2027-04-01"),
        ("2027-04-01", None),
    ]
    for change in dates:
        assert change["field"] == "target_launch_date"
        assert change["changed_by"]
        assert change["changed_at"]


async def test_changes_list_both_fields_in_order_and_pages(app: Litestar, client: Client) -> None:
    product = await _cleared_product(app, client)
    await client.patch(f"{PRODUCTS}/{product['slug']}", json={"target_launch_date": "2027-06-01"})
    await _move(client, product["slug"], "prfaq_review")
    await client.patch(
        f"{PRODUCTS}/{product['slug']}",
        json={"target_launch_date": "2027-09-01", "stage": "approved"},
    )
    changes = await _changes(client, product["slug"], limit="2")
    seen = [(c["field"], c["new_value"]) for c in changes]
    assert seen[:3] == [
        ("stage", "idea"),
        ("target_launch_date", "2027-06-01"),
        ("stage", "prfaq_review"),
    ]
    # One PATCH changed both fields; their relative order is not part of the contract.
    assert set(seen[3:]) == {("stage", "approved"), ("target_launch_date", "2027-09-01")}
    assert len({c["id"] for c in changes}) == 5
    stages = await _changes(client, product["slug"], field="stage")
    assert [c["new_value"] for c in stages] == ["idea", "prfaq_review", "approved"]


async def test_other_changes_are_not_tracked(client: Client) -> None:
    product = await create_product(client)
    await client.patch(f"{PRODUCTS}/{product['slug']}", json={"name": "Renamed"})
    assert len(await _changes(client, product["slug"])) == 1


async def test_bad_stage_value_is_422(client: Client) -> None:
    product = await create_product(client)
    response = await client.patch(f"{PRODUCTS}/{product['slug']}", json={"stage": "shipped"})
    assert_problem(response, 422, field="stage")
    bad_filter = await client.get(f"{PRODUCTS}/{product['slug']}/changes", params={"field": "x"})
    assert_problem(bad_filter, (400, 422))
