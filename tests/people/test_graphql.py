"""People through GraphQL."""

from tests.factories import create_person
from tests.graphql import error_fields, gql_data, gql_error
from tests.helpers import API, Client

CREATE = """
mutation($input: CreatePersonInput!) { createPerson(input: $input) { id email jobFamily } }
"""


async def test_create_and_find_by_id_or_email(client: Client) -> None:
    created = await gql_data(
        client,
        CREATE,
        input={
            "email": "Grace@Example.com",
            "name": "Grace",
            "jobFamily": "SECURITY",
            "homeOrg": "trust",
        },
    )
    person = created["createPerson"]
    assert (person["email"], person["jobFamily"]) == ("grace@example.com", "SECURITY")

    by_email = await gql_data(client, '{ person(email: "GRACE@example.com") { id name } }')
    assert by_email["person"] == {"id": person["id"], "name": "Grace"}
    by_id = await gql_data(
        client, "query($id: UUID!) { person(id: $id) { email } }", id=person["id"]
    )
    assert by_id["person"] == {"email": "grace@example.com"}
    await gql_error(client, '{ person(email: "nobody@example.com") { id } }', "NOT_FOUND")
    await gql_error(client, "{ person { id } }", "BAD_USER_INPUT")


async def test_bad_and_duplicate_people_write_nothing(client: Client) -> None:
    await create_person(client, email="taken@example.com")
    duplicate = await gql_error(
        client,
        CREATE,
        "CONFLICT",
        input={"email": "TAKEN@example.com", "name": "T", "jobFamily": "SALES", "homeOrg": "x"},
    )
    assert error_fields(duplicate) == ["email"]
    bad = await gql_error(
        client,
        CREATE,
        "BAD_USER_INPUT",
        input={"email": "not-an-email", "name": " ", "jobFamily": "SALES", "homeOrg": "x"},
    )
    assert set(error_fields(bad)) == {"email", "name"}
    unknown_enum = await gql_error(
        client,
        CREATE,
        "BAD_USER_INPUT",
        input={"email": "a@example.com", "name": "A", "jobFamily": "WIZARD", "homeOrg": "x"},
    )
    assert "WIZARD" in unknown_enum["message"]
    people = (await client.get(f"{API}/people")).json()["items"]
    assert [person["email"] for person in people] == ["taken@example.com"]


async def test_update_archive_and_filter_people(client: Client) -> None:
    person = await create_person(client, home_org="data", job_family="data_science")
    await create_person(client, home_org="data", job_family="design")
    updated = await gql_data(
        client,
        'mutation($id: UUID!) { updatePerson(input: {id: $id, name: "Renamed", '
        "expectedVersion: 1}) { name version } }",
        id=person["id"],
    )
    assert updated["updatePerson"] == {"name": "Renamed", "version": 2}
    nulled = await gql_error(
        client,
        "mutation($id: UUID!) { updatePerson(input: {id: $id, name: null}) { name } }",
        "BAD_USER_INPUT",
        id=person["id"],
    )
    assert error_fields(nulled) == ["name"]

    found = await gql_data(
        client,
        '{ people(filter: {org: "DATA", jobFamily: DATA_SCIENCE}) '
        "{ totalCount edges { node { name } } } }",
    )
    assert found["people"] == {"totalCount": 1, "edges": [{"node": {"name": "Renamed"}}]}
    await gql_data(
        client,
        "mutation($id: UUID!) { archivePerson(input: {id: $id}) { archivedAt } }",
        id=person["id"],
    )
    left = await gql_data(client, '{ people(filter: {org: "data"}) { totalCount } }')
    assert left["people"]["totalCount"] == 1


async def test_graphql_writes_times_as_rest_does(client: Client) -> None:
    """RFC 3339 in UTC with `Z`, the very string REST answers, not Python's `+00:00`."""
    person = await create_person(client)
    data = await gql_data(
        client,
        "query($id: UUID!) { person(id: $id) { createdAt updatedAt } }",
        id=person["id"],
    )
    shown = data["person"]
    assert shown["createdAt"].endswith("Z"), shown
    rest = (await client.get(f"{API}/people/{person['id']}")).json()
    assert (shown["createdAt"], shown["updatedAt"]) == (rest["created_at"], rest["updated_at"])
