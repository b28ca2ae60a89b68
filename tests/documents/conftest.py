"""Clients for the documents' roles: the admin who writes (the `client` fixture), a security
reviewer who approves, and a viewer."""

from typing import Any

import pytest
from litestar import Litestar

from api.core.access import Role
from tests.factories import create_person, create_product, unique
from tests.helpers import API, Client, bearer, issue_token

PLAIN_RELEASE = {
    "headline": "Pay with one tap",
    "subheading": "Checkout takes a second, not a minute.",
    "body": "Today you can pay with one tap. It is fast and it is safe. Try it now.",
    "faq": [
        {"question": "Is it safe?", "answer": "Yes, as safe as before.", "audience": "customer"}
    ],
}


@pytest.fixture
async def reviewer(app: Litestar, client: Client) -> dict[str, str]:
    """The headers of a security reviewer, a person on no team."""
    person = await create_person(client, job_family="security")
    token = await issue_token(app, Role.SECURITY_REVIEWER, person_id=person["id"], name=unique("r"))
    return bearer(token)


@pytest.fixture
async def viewer(app: Litestar, client: Client) -> dict[str, str]:
    """The headers of a viewer."""
    person = await create_person(client)
    return bearer(await issue_token(app, Role.VIEWER, person_id=person["id"], name=unique("v")))


@pytest.fixture
async def product(client: Client) -> dict[str, Any]:
    """A confidential product at `idea`."""
    return await create_product(client, data_classification="confidential")


def path(product: dict[str, Any], document: str) -> str:
    """Where a product's document lives."""
    return f"{API}/products/{product['slug']}/{document}"
