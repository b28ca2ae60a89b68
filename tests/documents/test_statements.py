"""A page of products with both documents and their latest scores costs the same SQL reads for
100 products as for 10, and one or two writes for the audit trail's access events."""

from typing import Any

from litestar import Litestar
from sqlmodel import col, select

from api.core.access import Principal, Role
from api.documents.models import DocumentKind
from api.documents.schemas import PrfaqRevisionCreate, SecurityFaqRevisionCreate
from api.documents.service import save_revision
from api.products.models import Product
from tests.documents.conftest import PLAIN_RELEASE
from tests.factories import seed_products, seed_teams
from tests.helpers import Client, app_engine, count_statements, seeding

QUERY = """{ products(first: 200) { edges { node { slug
  prfaq { status latest { number scores { plainLanguage { verdict } onePage { words } } } }
  securityFaq { status completeness { ratio missing } latest { number } } } } } }"""
WRITER = Principal(name="seed", role=Role.ADMIN)


async def _with_documents(app: Litestar, count: int) -> None:
    (team,) = await seed_teams(app, 1)
    product_ids = await seed_products(app, team, count)
    async with seeding(app) as session:
        products = await session.scalars(select(Product).where(col(Product.id).in_(product_ids)))
        for product in products:
            prfaq = PrfaqRevisionCreate.model_validate(PLAIN_RELEASE)
            security = SecurityFaqRevisionCreate.model_validate(
                {"answers": [{"key": "incidents", "answer": "We page the on-call."}]}
            )
            for kind, data in ((DocumentKind.PRFAQ, prfaq), (DocumentKind.SECURITY_FAQ, security)):
                await save_revision(
                    session, product.slug, kind, data=data, if_match=None, principal=WRITER
                )
        await session.commit()


async def _statements(app: Litestar, client: Client, expected: int) -> tuple[int, int]:
    await client.post("/graphql", json={"query": QUERY})  # warm connections and caches
    with count_statements(app_engine(app)) as counter:
        response = await client.post("/graphql", json={"query": QUERY})
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    edges = body["data"]["products"]["edges"]
    assert len(edges) == expected
    assert all(edge["node"]["prfaq"]["latest"]["number"] == 1 for edge in edges)
    # Reads, and the writes that record who read the security FAQs: the audit trail writes a
    # few events with the statement that moves its chain's head, many in one batched INSERT
    # beside it (api/audit/seal.py), so one or two statements, however many products.
    reads = [
        statement for statement in counter.statements if statement.lstrip().startswith("SELECT")
    ]
    writes = counter.count - len(reads)
    assert 1 <= writes <= 2, counter.statements
    return len(reads), writes


async def test_documents_cost_no_query_per_product(app: Litestar, client: Client) -> None:
    await _with_documents(app, 10)
    few = await _statements(app, client, 10)
    await _with_documents(app, 90)
    many = await _statements(app, client, 100)
    assert few[0] == many[0], (few, many)
