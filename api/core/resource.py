"""The REST face of one kind of record, declared once: its read, create, change, archive and
history routes, with their guards, problems, headers and ETags.

A domain says what is particular to its record (its name, the path parameters that name one, its
read mapper, and for each route the service function, a summary and a description) and gets
route handlers whose signatures Litestar reads as if they had been written out by hand, so the
OpenAPI document is what hand-written handlers would give:

    PRODUCT = Resource(PRODUCTS, "Product", "/{slug:str}", {"slug": ProductSlug}, product_read)
    get_product = PRODUCT.get(service.get_product)  # "Get a product", and a description

Operations are named after the record (`getProduct`, `createProduct`, `updateProduct`,
`archiveProduct`, `listProductHistory`). Service functions are called as
`fn(session, *key, principal=…)`, with `data=` (its type is read from the function's own
annotation) for a body and `if_match=` for a conditional write.
"""

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, get_type_hints

from litestar import Request, Response
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody
from pydantic import BaseModel

from api.core.access import PrincipalDep
from api.core.db import RecordBase, SessionDep
from api.core.pagination import Page, Paging
from api.core.policy import Policy
from api.core.rest import (
    NESTED_LIST_PROBLEMS,
    IfMatch,
    PagingDep,
    archive_route,
    create_route,
    list_route,
    location,
    read_route,
    update_route,
    versioned,
)

RecordT = TypeVar("RecordT", bound=RecordBase)
ReadT = TypeVar("ReadT", bound=BaseModel)
Service = Callable[..., Awaitable[Any]]
Body = Callable[..., Awaitable[Any]]

_KW = inspect.Parameter.KEYWORD_ONLY


def applied(generic: Any, argument: Any) -> Any:
    """`generic[argument]`, for annotations built at run time (mypy checks only static ones)."""
    return generic[argument]


def endpoint(
    name: str,
    doc: str,
    parameters: Mapping[str, Any],
    returns: Any,
    body: Body,
    *,
    defaults: Mapping[str, Any] | None = None,
) -> Body:
    """A handler function named `name` whose signature is `parameters` (name → annotation, in
    order; `defaults` for the optional ones) returning `returns`, which calls `body` with the
    parameters as keywords. Litestar reads the signature and annotations as it would a
    hand-written function's; its docstring is the operation's description."""
    defaults = defaults or {}

    async def handler(**kwargs: Any) -> Any:
        return await body(**kwargs)

    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = doc
    handler.__annotations__ = {**parameters, "return": returns}
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                param, _KW, annotation=annotation, default=defaults.get(param, inspect._empty)
            )
            for param, annotation in parameters.items()
        ],
        return_annotation=returns,
    )
    return handler


def _body_type(service: Service) -> Any:
    return applied(JSONBody, get_type_hints(service)["data"])


@dataclass(frozen=True)
class Resource(Generic[RecordT, ReadT]):
    """One kind of record: who may act on it, its name, the path and parameters that name one,
    and how a client sees it (`read`, the one mapper from the record to its read schema)."""

    policy: Policy
    noun: str
    path: str
    key: Mapping[str, Any]
    read: Callable[[RecordT], ReadT]
    # The read schema, when `read`'s annotations do not name it (a schema's `model_validate`).
    shows: type[ReadT] | None = None
    # The record's attribute behind each of its own path parameters, where the names differ
    # (`{"person_id": "id"}`): where a new record lives.
    address: Mapping[str, str] = field(default_factory=dict)

    @property
    def answer(self) -> Any:
        """The annotation of a one-record answer."""
        schema = self.shows or get_type_hints(self.read)["return"]
        return applied(Response, schema)

    def _respond(self, record: RecordT) -> Response[ReadT]:
        return versioned(self.read(record), record)

    def _key(self, kwargs: dict[str, Any]) -> list[Any]:
        return [kwargs.pop(name) for name in self.key if name in kwargs]

    def _handler(
        self,
        operation_id: str,
        doc: str,
        returns: Any,
        body: Body,
        *,
        before: Mapping[str, Any] | None = None,
        key: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        defaults: Mapping[str, Any] | None = None,
    ) -> Body:
        # Every handler's parameters in one order: the request (when it needs one), the session
        # and the caller, the record's path parameters, then a body, a precondition or a page.
        parameters = {
            **(before or {}),
            "session": SessionDep,
            "principal": PrincipalDep,
            **(self.key if key is None else key),
            **(after or {}),
        }
        name = "".join(f"_{char.lower()}" if char.isupper() else char for char in operation_id)
        return endpoint(name, doc, parameters, returns, body, defaults=defaults)

    @property
    def label(self) -> str:
        """The record's name in prose: "team member" for `TeamMember`."""
        return "".join(f" {char.lower()}" if char.isupper() else char for char in self.noun)[1:]

    def get(self, load: Service, summary: str = "", doc: str = "") -> HTTPRouteHandler:
        """`GET` one record with its ETag; named by its operation, so a 201 can point at it."""
        summary = summary or f"Get a {self.label}"
        doc = doc or f"One {self.label}, with an ETag for conditional writes."

        async def body(session: Any, principal: Any, **key: Any) -> Response[ReadT]:
            return self._respond(await load(session, *self._key(key), principal=principal))

        operation_id = f"get{self.noun}"
        handler = self._handler(operation_id, doc, self.answer, body)
        return read_route(self.path, operation_id, self.policy, summary=summary)(handler)

    def create(
        self, make: Service, doc: str, summary: str = "", *, verb: str = "create", **options: Any
    ) -> HTTPRouteHandler:
        """`POST` a new record: 201 with its `Location` (where `get` answers) and ETag."""
        summary = summary or f"Create a {self.label}"
        # The path parameters above the new record (a team's slug for a new member).
        parent = {name: kind for name, kind in self.key.items() if "{" + name not in self.path}

        async def body(
            request: Any, session: Any, principal: Any, data: Any, **key: Any
        ) -> Response[ReadT]:
            record = await make(session, *self._key(dict(key)), data=data, principal=principal)
            own = {
                name: getattr(record, self.address.get(name, name))
                for name in self.key
                if name not in key
            }
            where = location(request, f"get{self.noun}", **key, **own)
            return versioned(self.read(record), record, created_at=where)

        operation_id = f"create{self.noun}"
        handler = self._handler(
            operation_id,
            doc,
            self.answer,
            body,
            before={"request": Request[Any, Any, Any]},
            key=parent,
            after={"data": _body_type(make)},
        )
        route = create_route(operation_id, self.policy, summary=summary, verb=verb, **options)
        return route(handler)

    def update(
        self, change: Service, summary: str = "", doc: str = "", *, verb: str = "write"
    ) -> HTTPRouteHandler:
        """`PATCH` some of a record's fields, conditional on `If-Match`."""
        summary = summary or f"Change a {self.label}"
        doc = doc or "Change the fields sent; `If-Match` makes it conditional (412 when stale)."

        async def body(
            session: Any, principal: Any, data: Any, if_match: Any, **key: Any
        ) -> Response[ReadT]:
            record = await change(
                session, *self._key(key), data=data, if_match=if_match, principal=principal
            )
            return self._respond(record)

        operation_id = f"update{self.noun}"
        handler = self._handler(
            operation_id,
            doc,
            self.answer,
            body,
            after={"data": _body_type(change), "if_match": IfMatch},
            defaults={"if_match": None},
        )
        route = update_route(self.path, operation_id, self.policy, summary=summary, verb=verb)
        return route(handler)

    def archive(
        self,
        remove: Service,
        summary: str = "",
        doc: str = "",
        *,
        verb: str = "write",
        operation_id: str | None = None,
    ) -> HTTPRouteHandler:
        """`DELETE` a record: archive it (204), never destroy it."""
        summary = summary or f"Archive a {self.label}"
        doc = doc or f"Archive a {self.label}; its history stays."

        async def body(session: Any, principal: Any, if_match: Any, **key: Any) -> None:
            await remove(session, *self._key(key), if_match=if_match, principal=principal)

        operation_id = operation_id or f"archive{self.noun}"
        handler = self._handler(
            operation_id,
            doc,
            None,
            body,
            after={"if_match": IfMatch},
            defaults={"if_match": None},
        )
        route = archive_route(self.path, operation_id, self.policy, summary=summary, verb=verb)
        return route(handler)

    def history(
        self, load: Service, page: Service, policy: Policy, summary: str = "", doc: str = ""
    ) -> HTTPRouteHandler:
        """`GET` a page of the record's audit history (`page` reads it, under `policy`)."""
        summary = summary or f"A {self.label}'s audit history"
        doc = doc or (
            f"Every change of the {self.label}, with who made it and the values before and after."
        )

        async def body(session: Any, principal: Any, paging: Paging, **key: Any) -> Page[Any]:
            record = await load(session, *self._key(key), principal=principal)
            history: Page[Any] = await page(session, record.id, principal=principal, paging=paging)
            return history

        operation_id = f"list{self.noun}History"
        handler = self._handler(
            operation_id,
            doc,
            get_type_hints(page)["return"],
            body,
            after={"paging": PagingDep},
        )
        path = f"{self.path}/history"
        route = list_route(
            operation_id, policy, path=path, summary=summary, responses=NESTED_LIST_PROBLEMS
        )
        return route(handler)
