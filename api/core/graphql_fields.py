"""The GraphQL face of one kind of record, declared once: a connection of records, a relation
read through a DataLoader, and a mutation that runs a service function in its savepoint.

Each returns a Strawberry field for a domain's `Query`, `Mutation` or object type, with a
resolver whose signature Strawberry reads as if it had been written out by hand:

    PRODUCT = Face(ProductType, PRODUCTS)

    class ProductsMutation:
        archive_product = PRODUCT.mutation(
            ArchiveProductInput, service.archive_product, "Archive a product.", key=["slug"]
        )
"""

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, get_type_hints

import strawberry
from pydantic import BaseModel

from api.core.graphql import (
    After,
    Connection,
    First,
    GraphQLInfo,
    Requires,
    connection,
    node,
    page_size,
    parse_input,
    provided,
    write,
)
from api.core.pagination import Paging
from api.core.policy import Policy

Service = Callable[..., Awaitable[Any]]
# How a page of records becomes GraphQL objects, given the page's `info`: for a list whose
# objects show relations the page can load up front, in one query each, from the selection.
PageNodes = Callable[[GraphQLInfo, Sequence[Any]], Awaitable[Sequence[Any]]]


def resolver(
    name: str,
    parameters: Mapping[str, Any],
    returns: Any,
    body: Callable[..., Awaitable[Any]],
    *,
    defaults: Mapping[str, Any] | None = None,
) -> Callable[..., Awaitable[Any]]:
    """A resolver named `name` with the signature `parameters` (name → annotation, in order;
    `defaults` for the optional ones) returning `returns`, which calls `body` with them."""
    defaults = defaults or {}

    async def resolve(**kwargs: Any) -> Any:
        return await body(**kwargs)

    resolve.__name__ = resolve.__qualname__ = name
    resolve.__annotations__ = {**parameters, "return": returns}
    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                param,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=annotation,
                default=defaults.get(param, inspect.Parameter.empty),
            )
            for param, annotation in parameters.items()
        ],
        return_annotation=returns,
    )
    return resolve


def connection_field(
    kind: type,
    filter_input: type,
    rows: Service,
    requires: Requires,
    description: str,
    *,
    show: Callable[[Any], Any] | None = None,
    page: PageNodes | None = None,
) -> Any:
    """A root field answering a page of records (`first`, `after`) matching `filter_input`,
    read by `rows` (a service taking `filters=`, the caller and the `paging`), with a
    `totalCount` computed only when asked for. Each record is shown by `show` (`node` by
    default), or the whole page at once by `page`."""
    filters_schema = get_type_hints(rows)["filters"]
    as_node = show or (lambda row: node(kind, row))

    async def body(
        info: GraphQLInfo, first: int | None, after: str | None, filter: Any
    ) -> Connection[Any]:
        filters = parse_input(filters_schema, provided(filter) if filter else {})
        session, principal = info.context.session, info.context.principal
        paging = Paging(after, page_size(first))
        window = await rows(session, filters=filters, principal=principal, paging=paging)
        if page is not None:
            return connection(window, nodes=await page(info, window.rows), after=after)
        return connection(window, node=as_node, after=after)

    resolve = resolver(
        rows.__name__,
        {
            "info": GraphQLInfo,
            "first": First,
            "after": After,
            "filter": Annotated[
                filter_input | None,
                strawberry.argument(description="Only the items that match every filter given."),
            ],
        },
        Connection[kind] | None,  # type: ignore[valid-type]
        body,
        defaults={"first": None, "after": None, "filter": None},
    )
    return strawberry.field(resolver=resolve, extensions=[requires], description=description)


def mutation_field(
    kind: type,
    input_type: type,
    action: Service,
    requires: Requires,
    description: str,
    *,
    key: Sequence[str] = (),
    data: type[BaseModel] | None = None,
    show: Callable[[Any], Any] | None = None,
) -> Any:
    """A mutation taking one `input`, running `action` in a savepoint for the caller (see
    `write`; `data` is the body's schema when `action`'s annotations do not say), and answering
    the record it returns as `kind` (or as `show` makes it)."""
    as_node = show or (lambda record: node(kind, record))

    async def body(info: GraphQLInfo, input: Any) -> Any:
        return as_node(await write(info, input, action, key=key, data=data))

    name = getattr(action, "__name__", input_type.__name__)
    argument = strawberry.argument(description="What to change, and the record to change.")
    parameters = {"info": GraphQLInfo, "input": Annotated[input_type, argument]}
    resolve = resolver(name, parameters, kind | None, body)
    return strawberry.mutation(resolver=resolve, extensions=[requires], description=description)


def related_field(
    kind: type,
    load: Callable[[GraphQLInfo, Any], Awaitable[Any]],
    requires: Requires,
    description: str | None = None,
) -> Any:
    """A field of an object type showing one related record, which `load(info, root)` reads
    (through a DataLoader, so a page of parents costs one query)."""

    async def body(root: Any, info: GraphQLInfo) -> Any:
        return node(kind, await load(info, root))

    resolve = resolver(
        f"related_{kind.__name__}", {"root": Any, "info": GraphQLInfo}, kind | None, body
    )
    return strawberry.field(resolver=resolve, extensions=[requires], description=description)


@dataclass(frozen=True)
class Face:
    """One kind of record's GraphQL type and the policy that guards it: its fields, declared
    with what is particular to each."""

    kind: type
    policy: Policy
    # How a record becomes a `kind`, when not field by field (`node`).
    show: Callable[[Any], Any] | None = None
    # How a page of the connection's records becomes `kind`s, when not record by record.
    page: PageNodes | None = None
    # The policy's verb a mutation needs, unless it says otherwise.
    writes: str = "write"

    def one(self, load: Service, description: str, **key: Any) -> Any:
        """A root field answering one record, which `load(session, *key, principal=…)` finds by
        the field's arguments `key` (name → type)."""
        kind = self.kind
        as_node = self.show or (lambda record: node(kind, record))

        async def body(info: GraphQLInfo, **arguments: Any) -> Any:
            context = info.context
            record = await load(context.session, *arguments.values(), principal=context.principal)
            return as_node(record)

        resolve = resolver(load.__name__, {"info": GraphQLInfo, **key}, kind | None, body)
        requires = Requires(self.policy, "read")
        return strawberry.field(resolver=resolve, extensions=[requires], description=description)

    def connection(self, filter_input: type, rows: Service, description: str) -> Any:
        """A root field answering a page of records; see `connection_field`."""
        requires = Requires(self.policy, "read")
        return connection_field(
            self.kind, filter_input, rows, requires, description, show=self.show, page=self.page
        )

    def mutation(
        self,
        input_type: type,
        action: Service,
        description: str,
        *,
        verb: str | None = None,
        key: Sequence[str] = (),
        data: type[BaseModel] | None = None,
    ) -> Any:
        """A mutation answering this kind of record; see `mutation_field`."""
        requires = Requires(self.policy, verb or self.writes)
        return mutation_field(
            self.kind, input_type, action, requires, description, key=key, data=data, show=self.show
        )
