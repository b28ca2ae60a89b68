"""The floors of the GraphQL benchmark, for `PORTFOLIO_QUERY` read in pages of 200:

- `strawberry`: Strawberry executing the same query over objects already in memory, each
  relation a plain attribute (no database, no HTTP): what the GraphQL library itself costs.
- `dataloaders`: the same, but each relation (a product's team, a team's members, a member's
  person) resolved by an async resolver through a DataLoader, as an API over a database resolves
  them without N+1 queries; still no database.
- `raw`: raw SQL (three statements a page) and orjson: what the data costs to read and encode.

Run as a process of its own (`python -m benchmarks.graphql_floor DATABASE_URL`), which imports
nothing of Pizzabox: each line naming a floor on stdin runs it once and answers with a line
`milliseconds products`. Its heap is a bare Strawberry app's, not the benchmark's.
"""

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import orjson
import strawberry
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from strawberry.dataloader import DataLoader

PAGE = 200
PORTFOLIO_QUERY = """
query Portfolio($first: Int!, $after: String) {
  products(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        slug name stage
        team { slug name members { role person { name email } } }
      }
    }
  }
}
"""
FLOORS = ("strawberry", "dataloaders", "raw")


@strawberry.enum
class Stage(Enum):
    IDEA = "idea"
    PRFAQ_REVIEW = "prfaq_review"
    APPROVED = "approved"
    BUILDING = "building"
    LAUNCH_REVIEW = "launch_review"
    LAUNCHED = "launched"
    RETIRED = "retired"


@strawberry.enum
class TeamRole(Enum):
    LEAD = "lead"
    ENGINEER = "engineer"
    PRODUCT_MANAGER = "product_manager"
    DESIGNER = "designer"
    SECURITY_CHAMPION = "security_champion"
    SPECIALIST = "specialist"
    OTHER = "other"


# Relations as attributes ----------------------------------------------------------------------


@strawberry.type
class Person:
    name: str
    email: str


@strawberry.type
class Membership:
    role: TeamRole
    person: Person


@strawberry.type
class Team:
    slug: str
    name: str
    members: list[Membership]


@strawberry.type
class Product:
    slug: str
    name: str
    stage: Stage
    team: Team


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    edges: list[Edge]
    page_info: PageInfo


@dataclass
class InMemory:
    """Every live product, in id order, with its team, members and people."""

    products: list[Product]


def _page_bounds(after: str | None, first: int, total: int) -> tuple[int, int, bool]:
    start = int(after) + 1 if after is not None else 0
    return start, min(start + first, total), start + first < total


def _attribute_schema(portfolio: InMemory) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def products(self, first: int, after: str | None = None) -> ProductConnection:
            start, end, more = _page_bounds(after, first, len(portfolio.products))
            edges = [
                Edge(cursor=str(index), node=portfolio.products[index])
                for index in range(start, end)
            ]
            return ProductConnection(
                edges=edges,
                page_info=PageInfo(
                    has_next_page=more, end_cursor=edges[-1].cursor if edges else None
                ),
            )

    return strawberry.Schema(query=Query)


# Relations through DataLoaders ----------------------------------------------------------------


@strawberry.type(name="Person")
class LoadedPerson:
    name: str
    email: str


@strawberry.type(name="Membership")
class LoadedMembership:
    role: TeamRole
    person_key: strawberry.Private[int]

    @strawberry.field
    async def person(self, info: strawberry.Info) -> LoadedPerson:
        person: Person = await info.context["people"].load(self.person_key)
        return LoadedPerson(name=person.name, email=person.email)


@strawberry.type(name="Team")
class LoadedTeam:
    slug: str
    name: str
    key: strawberry.Private[int]

    @strawberry.field
    async def members(self, info: strawberry.Info) -> list[LoadedMembership]:
        members: list[Membership] = await info.context["rosters"].load(self.key)
        return [LoadedMembership(role=item.role, person_key=id(item.person)) for item in members]


@strawberry.type(name="Product")
class LoadedProduct:
    slug: str
    name: str
    stage: Stage
    team_key: strawberry.Private[int]

    @strawberry.field
    async def team(self, info: strawberry.Info) -> LoadedTeam:
        team: Team = await info.context["teams"].load(self.team_key)
        return LoadedTeam(slug=team.slug, name=team.name, key=self.team_key)


@strawberry.type(name="Edge")
class LoadedEdge:
    cursor: str
    node: LoadedProduct


@strawberry.type(name="ProductConnection")
class LoadedConnection:
    edges: list[LoadedEdge]
    page_info: PageInfo


def _loader_schema(portfolio: InMemory) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        async def products(self, first: int, after: str | None = None) -> LoadedConnection:
            start, end, more = _page_bounds(after, first, len(portfolio.products))
            edges = [
                LoadedEdge(
                    cursor=str(index),
                    node=LoadedProduct(
                        slug=product.slug,
                        name=product.name,
                        stage=product.stage,
                        team_key=id(product.team),
                    ),
                )
                for index, product in enumerate(portfolio.products[start:end], start)
            ]
            return LoadedConnection(
                edges=edges,
                page_info=PageInfo(
                    has_next_page=more, end_cursor=edges[-1].cursor if edges else None
                ),
            )

    return strawberry.Schema(query=Query)


def _loaders(portfolio: InMemory) -> dict[str, DataLoader[int, Any]]:
    """Fresh DataLoaders over the portfolio, as a request would have."""
    teams = {id(product.team): product.team for product in portfolio.products}
    people = {
        id(member.person): member.person for team in teams.values() for member in team.members
    }

    def by_key(found: dict[int, Any]) -> Callable[[list[int]], Awaitable[list[Any]]]:
        async def load(keys: list[int]) -> list[Any]:
            return [found[key] for key in keys]

        return load

    return {
        "teams": DataLoader(load_fn=by_key(teams)),
        "rosters": DataLoader(load_fn=by_key({key: team.members for key, team in teams.items()})),
        "people": DataLoader(load_fn=by_key(people)),
    }


# Reading it -----------------------------------------------------------------------------------

_LIVE_PRODUCTS = "SELECT id, slug, name, stage, team_id FROM products WHERE archived_at IS NULL"
_FIRST_PAGE = text(f"{_LIVE_PRODUCTS} ORDER BY id LIMIT :limit")
_NEXT_PAGE = text(f"{_LIVE_PRODUCTS} AND id > :after ORDER BY id LIMIT :limit")
_TEAMS = text("SELECT id, slug, name FROM teams WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_MEMBERS = text(
    "SELECT m.team_id, m.role, p.name, p.email FROM memberships m "
    "JOIN people p ON p.id = m.person_id WHERE m.team_id IN :ids AND m.start_date <= :today "
    "AND (m.end_date IS NULL OR m.end_date > :today) ORDER BY m.id"
).bindparams(bindparam("ids", expanding=True))


def _today() -> date:
    return datetime.now(UTC).date()


async def load_in_memory(engine: AsyncEngine) -> InMemory:
    """Read the whole portfolio once, into the floor schema's own objects."""
    async with engine.connect() as connection:
        rows = (await connection.execute(text(f"{_LIVE_PRODUCTS} ORDER BY id"))).all()
        team_ids = list({row.team_id for row in rows})
        teams = {
            row.id: Team(slug=row.slug, name=row.name, members=[])
            for row in await connection.execute(_TEAMS, {"ids": team_ids})
        }
        for row in await connection.execute(_MEMBERS, {"ids": team_ids, "today": _today()}):
            teams[row.team_id].members.append(
                Membership(role=TeamRole(row.role), person=Person(name=row.name, email=row.email))
            )
    return InMemory(
        products=[
            Product(slug=row.slug, name=row.name, stage=Stage(row.stage), team=teams[row.team_id])
            for row in rows
        ]
    )


async def _paged(
    schema: strawberry.Schema, context: Callable[[], dict[str, Any]] | None = None
) -> int:
    """Read every page; how many products came back."""
    after: str | None = None
    read = 0
    while True:
        result = await schema.execute(
            PORTFOLIO_QUERY,
            variable_values={"first": PAGE, "after": after},
            context_value=context() if context else None,
        )
        if result.errors:
            raise RuntimeError(f"the floor schema failed: {result.errors}")
        assert result.data is not None
        page = result.data["products"]
        read += len(page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            return read
        after = page["pageInfo"]["endCursor"]


def strawberry_floor(portfolio: InMemory) -> Callable[[], Awaitable[int]]:
    """The paged query over `portfolio`'s attributes; returns how many products it read."""
    schema = _attribute_schema(portfolio)
    return lambda: _paged(schema)


def dataloader_floor(portfolio: InMemory) -> Callable[[], Awaitable[int]]:
    """The paged query over `portfolio`, relations through DataLoaders (fresh per page, as per
    request)."""
    schema = _loader_schema(portfolio)
    return lambda: _paged(schema, lambda: _loaders(portfolio))


def raw_sql_floor(engine: AsyncEngine) -> Callable[[], Awaitable[int]]:
    """The same pages read with three SQL statements each, each page's answer encoded with
    orjson; returns how many products it read."""

    async def run() -> int:
        after: Any = None
        read = 0
        async with engine.connect() as connection:
            while True:
                page = (
                    connection.execute(_FIRST_PAGE, {"limit": PAGE + 1})
                    if after is None
                    else connection.execute(_NEXT_PAGE, {"after": after, "limit": PAGE + 1})
                )
                rows = (await page).all()
                more = len(rows) > PAGE
                rows = rows[:PAGE]
                team_ids = list({row.team_id for row in rows})
                teams: dict[Any, dict[str, Any]] = {
                    row.id: {"slug": row.slug, "name": row.name, "members": []}
                    for row in await connection.execute(_TEAMS, {"ids": team_ids})
                }
                members = await connection.execute(_MEMBERS, {"ids": team_ids, "today": _today()})
                for row in members:
                    teams[row.team_id]["members"].append(
                        {"role": row.role.upper(), "person": {"name": row.name, "email": row.email}}
                    )
                edges = [
                    {
                        "node": {
                            "slug": row.slug,
                            "name": row.name,
                            "stage": row.stage.upper(),
                            "team": teams[row.team_id],
                        }
                    }
                    for row in rows
                ]
                end = str(rows[-1].id) if rows else None
                orjson.dumps(
                    {
                        "data": {
                            "products": {
                                "pageInfo": {"hasNextPage": more, "endCursor": end},
                                "edges": edges,
                            }
                        }
                    }
                )
                read += len(rows)
                if not more:
                    return read
                after = rows[-1].id

    return run


async def timed(run: Callable[[], Awaitable[int]]) -> tuple[float, int]:
    """Milliseconds `run` took, and what it returned."""
    started = time.perf_counter()
    read = await run()
    return (time.perf_counter() - started) * 1000, read


async def _serve(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        portfolio = await load_in_memory(engine)
        floors = {
            "strawberry": strawberry_floor(portfolio),
            "dataloaders": dataloader_floor(portfolio),
            "raw": raw_sql_floor(engine),
        }
        for floor in floors.values():
            await floor()  # warm: parsers, validation caches, the database's pages
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        for line in sys.stdin:
            elapsed, read = await timed(floors[line.strip()])
            sys.stdout.write(f"{elapsed:.3f} {read}\n")
            sys.stdout.flush()
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    """Serve floor runs on stdin and stdout, over the database `argv` names."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        raise SystemExit("usage: python -m benchmarks.graphql_floor DATABASE_URL")
    asyncio.run(_serve(args[0]))


if __name__ == "__main__":
    main()
