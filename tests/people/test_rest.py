"""People over REST: create, read, change, archive, list filters and pagination, bad input."""

import uuid

from litestar import Litestar

from api.core.access import Role
from tests.factories import create_person, unique
from tests.graphql import gql_error
from tests.helpers import API, Client, assert_problem, bearer, list_all
from tests.identity.world import build_world, gql_as, new_person

PEOPLE = f"{API}/people"


async def _emails(client: Client, **params: object) -> set[str]:
    return {person["email"] for person in await list_all(client, PEOPLE, **params)}


async def test_create_returns_the_record_with_location_and_etag(client: Client) -> None:
    body = {
        "email": "Ada.Lovelace@Example.com",
        "name": "Ada Lovelace",
        "job_family": "engineering",
        "home_org": "platform",
    }
    response = await client.post(PEOPLE, json=body)
    assert response.status_code == 201, response.text
    person = response.json()
    assert uuid.UUID(person["id"])
    assert person["email"] == "ada.lovelace@example.com"
    assert person["name"] == "Ada Lovelace"
    assert person["job_family"] == "engineering"
    assert person["home_org"] == "platform"
    assert person["version"] == 1
    assert person["created_at"]
    assert person["updated_at"]
    assert response.headers["location"] == f"{PEOPLE}/{person['id']}"

    fetched = await client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == person
    assert fetched.headers["etag"]


async def test_timestamps_are_rfc3339_utc(client: Client) -> None:
    person = await create_person(client)
    for name in ("created_at", "updated_at"):
        assert person[name].endswith(("Z", "+00:00")), person[name]


async def test_patch_changes_only_what_is_sent_and_bumps_the_version(client: Client) -> None:
    person = await create_person(client, name="Grace", job_family="engineering")
    response = await client.patch(f"{PEOPLE}/{person['id']}", json={"job_family": "security"})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["job_family"] == "security"
    assert changed["name"] == "Grace"
    assert changed["version"] == person["version"] + 1
    assert changed["updated_at"] >= person["updated_at"]
    assert changed["created_at"] == person["created_at"]
    fetched = (await client.get(f"{PEOPLE}/{person['id']}")).json()
    assert fetched == changed


async def test_etag_changes_with_each_version(client: Client) -> None:
    person = await create_person(client)
    first = (await client.get(f"{PEOPLE}/{person['id']}")).headers["etag"]
    await client.patch(f"{PEOPLE}/{person['id']}", json={"name": "Renamed"})
    second = (await client.get(f"{PEOPLE}/{person['id']}")).headers["etag"]
    assert first != second


async def test_a_stale_if_match_on_a_person_is_412_and_changes_nothing(client: Client) -> None:
    person = await create_person(client, name="Before")
    path = f"{PEOPLE}/{person['id']}"
    stale = (await client.get(path)).headers["etag"]
    assert (await client.patch(path, json={"name": "Middle"})).status_code == 200

    response = await client.patch(path, json={"name": "After"}, headers={"If-Match": stale})
    assert_problem(response, 412)
    current = (await client.get(path)).json()
    assert current["name"] == "Middle"
    assert current["version"] == 2


async def test_fresh_if_match_is_accepted(client: Client) -> None:
    person = await create_person(client)
    path = f"{PEOPLE}/{person['id']}"
    fresh = (await client.get(path)).headers["etag"]
    response = await client.patch(path, json={"name": "Fresh"}, headers={"If-Match": fresh})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Fresh"


async def test_archive_hides_from_list_but_keeps_the_record(client: Client) -> None:
    kept = await create_person(client)
    gone = await create_person(client)
    response = await client.delete(f"{PEOPLE}/{gone['id']}")
    assert response.status_code == 204
    assert await _emails(client) == {kept["email"]}
    assert await _emails(client, include_archived="true") == {kept["email"], gone["email"]}
    fetched = await client.get(f"{PEOPLE}/{gone['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["archived_at"] is not None


async def test_list_filters_by_org_job_family_and_text(client: Client) -> None:
    ada = await create_person(
        client, name="Ada Lovelace", home_org="Research", job_family="engineering"
    )
    bob = await create_person(client, name="Bob Builder", home_org="platform", job_family="design")
    cy = await create_person(
        client, name="Cy Twombly", home_org="platform", job_family="engineering"
    )

    assert await _emails(client, org="research") == {ada["email"]}
    assert await _emails(client, org="PLATFORM") == {bob["email"], cy["email"]}
    assert await _emails(client, job_family="engineering") == {ada["email"], cy["email"]}
    assert await _emails(client, org="platform", job_family="engineering") == {cy["email"]}
    assert await _emails(client, q="lovel") == {ada["email"]}
    assert await _emails(client, q=bob["email"].upper()) == {bob["email"]}
    assert await _emails(client, q="%") == set()
    assert await _emails(client, q="nobody-by-this-name") == set()


async def test_pagination_walks_every_person_once(client: Client) -> None:
    created = [(await create_person(client))["id"] for _ in range(7)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = (await client.get(PEOPLE, params=params)).json()
        assert len(page["items"]) <= 3
        seen.extend(item["id"] for item in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == created


async def test_default_page_size_is_50(client: Client) -> None:
    for _ in range(51):
        await create_person(client)
    page = (await client.get(PEOPLE)).json()
    assert len(page["items"]) == 50
    assert page["next_cursor"] is not None


async def test_create_with_missing_fields_names_each_one(client: Client) -> None:
    response = await client.post(PEOPLE, json={"name": "No Email"})
    problem = assert_problem(response, 422, field="email")
    fields = {error["field"] for error in problem["errors"]}
    assert {"email", "job_family", "home_org"} <= fields
    assert await list_all(client, PEOPLE, include_archived="true") == []


async def test_malformed_fields_are_422_naming_the_field(client: Client) -> None:
    good = {"email": "ok@example.com", "name": "Ok", "job_family": "sales", "home_org": "x"}
    for field, value in [
        ("email", "not-an-email"),
        ("email", "two@@example.com"),
        ("job_family", "astronaut"),
        ("name", ""),
        ("name", "x" * 201),
        ("home_org", "   "),
    ]:
        response = await client.post(PEOPLE, json={**good, field: value})
        assert_problem(response, 422, field=field)
    assert await list_all(client, PEOPLE, include_archived="true") == []


async def test_unknown_fields_are_refused(client: Client) -> None:
    good = {"email": "ok@example.com", "name": "Ok", "job_family": "sales", "home_org": "x"}
    response = await client.post(PEOPLE, json={**good, "is_admin": True})
    assert_problem(response, 422, field="is_admin")
    person = await create_person(client)
    patched = await client.patch(f"{PEOPLE}/{person['id']}", json={"version": 99})
    assert_problem(patched, 422, field="version")
    assert (await client.get(f"{PEOPLE}/{person['id']}")).json() == person


async def test_duplicate_email_is_409_whatever_the_case(client: Client) -> None:
    await create_person(client, email="dup@example.com")
    body = {"email": "DUP@Example.COM", "name": "Again", "job_family": "sales", "home_org": "x"}
    assert_problem(await client.post(PEOPLE, json=body), 409, field="email")
    assert len(await list_all(client, PEOPLE, include_archived="true")) == 1


async def test_changing_email_to_a_taken_one_is_409(client: Client) -> None:
    await create_person(client, email="taken@example.com")
    other = await create_person(client)
    response = await client.patch(f"{PEOPLE}/{other['id']}", json={"email": "Taken@example.com"})
    assert_problem(response, 409, field="email")
    assert (await client.get(f"{PEOPLE}/{other['id']}")).json() == other


async def test_required_field_may_not_be_patched_to_null(client: Client) -> None:
    person = await create_person(client)
    response = await client.patch(f"{PEOPLE}/{person['id']}", json={"name": None})
    assert_problem(response, 422, field="name")
    assert (await client.get(f"{PEOPLE}/{person['id']}")).json() == person


async def test_unknown_person_is_404(client: Client) -> None:
    missing = f"{PEOPLE}/{uuid.uuid4()}"
    assert_problem(await client.get(missing), 404)
    assert_problem(await client.patch(missing, json={"name": "x"}), 404)
    assert_problem(await client.delete(missing), 404)


async def test_bad_query_parameters_are_4xx(client: Client) -> None:
    await create_person(client)
    assert_problem(await client.get(PEOPLE, params={"job_family": "astronaut"}), (400, 422))
    assert_problem(await client.get(PEOPLE, params={"limit": "many"}), (400, 422))


async def test_same_email_reusable_only_by_nobody(client: Client) -> None:
    # An archived person still owns their email: history must keep pointing at one person.
    person = await create_person(client, email=f"{unique('gone')}@example.com")
    await client.delete(f"{PEOPLE}/{person['id']}")
    body = {"email": person["email"], "name": "New", "job_family": "sales", "home_org": "x"}
    assert_problem(await client.post(PEOPLE, json=body), 409, field="email")


async def test_a_patch_that_changes_nothing_keeps_the_version(client: Client) -> None:
    person = await create_person(client, name="Same")
    response = await client.patch(f"{PEOPLE}/{person['id']}", json={"name": "Same"})
    assert response.status_code == 200
    assert response.json()["version"] == person["version"]
    assert (await client.get(f"{PEOPLE}/{person['id']}")).json() == person


async def test_stale_if_match_on_archive_is_412(client: Client) -> None:
    person = await create_person(client)
    path = f"{PEOPLE}/{person['id']}"
    stale = (await client.get(path)).headers["etag"]
    await client.patch(path, json={"name": "Changed"})
    assert_problem(await client.delete(path, headers={"If-Match": stale}), 412)
    assert (await client.get(path)).json()["archived_at"] is None


async def test_an_archived_person_cannot_be_changed(client: Client) -> None:
    person = await create_person(client, name="Archie Ved")
    path = f"{API}/people/{person['id']}"
    assert (await client.delete(path)).status_code == 204
    archived = await client.get(path)
    assert archived.status_code == 200, archived.text
    before = archived.json()
    assert before["archived_at"] is not None

    assert_problem(await client.patch(path, json={"name": "Back Again"}), 409)
    # A current If-Match does not make it acceptable, and is not reported as stale.
    conditional = await client.patch(
        path, json={"name": "Back Again"}, headers={"If-Match": archived.headers["etag"]}
    )
    assert_problem(conditional, 409)

    error = await gql_error(
        client,
        'mutation($id: UUID!) { updatePerson(input: {id: $id, name: "Back Again"}) { name } }',
        "CONFLICT",
        id=person["id"],
    )
    assert "archived" in error["message"], error
    after = (await client.get(path)).json()
    assert after == before


async def test_only_admins_create_people(app: Litestar, client: Client) -> None:
    world = await build_world(app, client)
    people_before = len(await list_all(client, f"{API}/people"))
    for role in (Role.VIEWER, Role.CONTRIBUTOR, Role.SECURITY_REVIEWER, Role.CI):
        response = await client.post(
            f"{API}/people", json=new_person(), headers=bearer(world.tokens[role])
        )
        assert_problem(response, 403)
        body = await gql_as(
            client,
            world.tokens[role],
            'mutation($email: String!) { createPerson(input: {email: $email, name: "X",'
            ' jobFamily: ENGINEERING, homeOrg: "x"}) { id } }',
            email=f"{unique('refused')}@example.com",
        )
        assert body["data"] == {"createPerson": None}
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert len(await list_all(client, f"{API}/people")) == people_before
    response = await client.post(
        f"{API}/people", json=new_person(), headers=bearer(world.tokens[Role.ADMIN])
    )
    assert response.status_code == 201, response.text
