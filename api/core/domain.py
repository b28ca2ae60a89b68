"""What a domain package contributes to the app, declared by the domain and collected by the app."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from litestar.types import ControllerRouterHandler


@dataclass(frozen=True)
class Domain:
    """A domain's REST routes (mounted under /api/v1) and its GraphQL root fields.

    Each domain package declares one in its `domain.py`; `api.domains` lists them in layer order,
    and the app and the GraphQL schema are built from that list alone. Models, audit metadata
    (`__audit__`), policies and DataLoader groups need no registration: they are declared where
    they live, and found by use.
    """

    name: str
    routes: Sequence[ControllerRouterHandler] = ()
    # Strawberry types whose fields join Query and Mutation.
    queries: Sequence[type] = ()
    mutations: Sequence[type] = ()
    # Root query fields so costly (a whole portfolio added up) that a document may ask each once.
    once_per_document: Sequence[str] = ()
    # Routes for people, mounted outside /api/v1 (they authenticate themselves), and the
    # directories their Jinja templates are found in.
    pages: Sequence[ControllerRouterHandler] = ()
    templates: Sequence[Path] = ()
