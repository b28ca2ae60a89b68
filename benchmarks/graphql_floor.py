"""The two floors of the GraphQL benchmark, for the query `PORTFOLIO_QUERY` in pages of 200:

- Strawberry executing the same query over objects already in memory (no database, no HTTP):
  what the GraphQL library itself costs.
- Raw SQL (three statements a page) and orjson: what the data costs to read and encode.
"""

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import orjson
import strawberry
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

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


def _make_query(portfolio: InMemory) -> type:
    positions = {str(index): index for index in range(len(portfolio.products))}

    @strawberry.type
    class Query:
        @strawberry.field
        def products(self, first: int, after: str | None = None) -> ProductConnection:
            start = positions[after] + 1 if after is not None else 0
            window = portfolio.products[start : start + first]
            edges = [
                Edge(cursor=str(start + offset), node=product)
                for offset, product in enumerate(window)
            ]
            more = start + first < len(portfolio.products)
            return ProductConnection(
                edges=edges,
                page_info=PageInfo(
                    has_next_page=more, end_cursor=edges[-1].cursor if edges else None
                ),
            )

    return Query


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


def _today() -> Any:
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


def strawberry_floor(portfolio: InMemory) -> Callable[[], Awaitable[int]]:
    """A function that runs the paged query over `portfolio` and returns how many products it
    read."""
    schema = strawberry.Schema(query=_make_query(portfolio))

    async def run() -> int:
        after: str | None = None
        read = 0
        while True:
            result = await schema.execute(
                PORTFOLIO_QUERY, variable_values={"first": PAGE, "after": after}
            )
            if result.errors:
                raise RuntimeError(f"the floor schema failed: {result.errors}")
            assert result.data is not None
            page = result.data["products"]
            read += len(page["edges"])
            if not page["pageInfo"]["hasNextPage"]:
                return read
            after = page["pageInfo"]["endCursor"]

    return run


def raw_sql_floor(engine: AsyncEngine) -> Callable[[], Awaitable[int]]:
    """A function that reads the same pages with three SQL statements each and encodes each
    page's answer with orjson; returns how many products it read."""

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
                for row in await connection.execute(_MEMBERS, {"ids": team_ids, "today": _today()}):
                    teams[row.team_id]["members"].append(
                        {
                            "role": row.role.upper(),
                            "person": {"name": row.name, "email": row.email},
                        }
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
