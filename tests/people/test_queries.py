"""The people list runs the same SQL statements for 10 people as for 200."""

from litestar import Litestar

from tests.factories import seed_people
from tests.helpers import API, Client, app_engine, list_statements


async def test_people_list_statements_do_not_grow_with_rows(app: Litestar, client: Client) -> None:
    engine = app_engine(app)
    await seed_people(app, 10)
    few = await list_statements(client, engine, f"{API}/people", expect_items=10)
    await seed_people(app, 190)
    many = await list_statements(client, engine, f"{API}/people", expect_items=200)
    assert few == many
    assert few <= 3
