"""Placeholder until the GraphQL layer lands."""

from typing import Any

from api.config import Settings


def graphql_controller(settings: Settings) -> Any:
    from litestar import get

    @get("/graphql-placeholder")
    async def placeholder() -> str:
        return "x"

    return placeholder
