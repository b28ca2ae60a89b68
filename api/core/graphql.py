"""What every domain's GraphQL face shares: context, connections, inputs, errors, mutations."""

import dataclasses
import functools
import inspect
import logging
import operator
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping, Sequence
from contextlib import asynccontextmanager
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar, cast, get_type_hints

import msgspec
import strawberry
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver, SyncExtensionResolver
from strawberry.litestar import BaseContext
from strawberry.types import Info
from strawberry.types.field import StrawberryField
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection
from strawberry.types.unset import UnsetType

from api.core.access import Principal
from api.core.described import attribute_docstrings
from api.core.errors import FieldError, InvalidInput
from api.core.pagination import DEFAULT_LIMIT, Window, check_limit, cursor_kind, encode_cursor
from api.core.policy import Policy

logger = logging.getLogger("api.graphql")

NodeT = TypeVar("NodeT")
KeyT = TypeVar("KeyT", bound=Hashable)
RowT = TypeVar("RowT")
ModelT = TypeVar("ModelT", bound=BaseModel)


class LoaderGroup:
    """One domain's DataLoaders for one request: a subclass makes them in `__init__`."""

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal


GroupT = TypeVar("GroupT", bound=LoaderGroup)


class Loaders:
    """A request's DataLoaders, by domain: `loaders[TeamLoaders].roster`, typed as declared.

    Each group is made the first time a resolver asks for it, with the request's session and
    caller, so nothing is cached across callers and no central list names every domain.
    """

    def __init__(self, session: AsyncSession, principal: Principal) -> None:
        self._session = session
        self._principal = principal
        self._groups: dict[type[LoaderGroup], LoaderGroup] = {}

    def __getitem__(self, group: type[GroupT]) -> GroupT:
        made = self._groups.get(group)
        if made is None:
            made = self._groups[group] = group(self._session, self._principal)
        return cast(GroupT, made)

    def close(self) -> None:
        """Forget every record the request's loaders read, once the request is answered: what
        they cached belongs to that request's session and caller, and to no later request."""
        for made in self._groups.values():
            for loader in vars(made).values():
                if isinstance(loader, DataLoader):
                    loader.clear_all()
        self._groups.clear()


class Context(BaseContext, kw_only=True):
    """Per-request GraphQL context: one session, the caller, and its DataLoaders."""

    session: AsyncSession
    principal: Principal
    loaders: Loaders
    # The (policy, verb) permissions this request's caller was found to have. A page of a
    # thousand products asks the same few questions thousands of times, and the answer depends
    # on the caller alone; a refusal is not kept, so each refused field raises its own error.
    granted: set[tuple[Policy, str]] = msgspec.field(default_factory=set)

    def require(self, policy: Policy, verb: str) -> None:
        """Raise unless the caller's role may do `verb` under `policy` (`Policy.check` with no
        record), asking the policy once per request."""
        if (policy, verb) not in self.granted:
            policy.check(self.principal, verb)
            self.granted.add((policy, verb))


GraphQLInfo = Info[Context, None]


TypeT = TypeVar("TypeT", bound=type)

# The description of every mutation input's `expectedVersion`.
EXPECTED_VERSION = (
    "Change only if the record is still at this version, else fail with CONFLICT; leave out "
    "to change it whatever its version."
)


EnumT = TypeVar("EnumT", bound=type[Enum])


def graphql_enum(enum: EnumT, *, name: str, description: str | None = None) -> EnumT:
    """`enum` as a GraphQL enum whose values are described by the docstrings under its members
    (its own docstring describes the type unless `description` is given); a member without one
    is an error at import, so the schema never shows a bare value."""
    docs = attribute_docstrings(enum)
    bare = [member.name for member in enum if member.name not in docs]
    if bare:
        raise TypeError(f"{enum.__name__}: write a docstring under {', '.join(bare)}")
    wrapped = strawberry.enum(enum, name=name, description=description or enum.__doc__)
    for value in vars(wrapped)["__strawberry_definition__"].values:
        value.description = docs[value.name]
    return wrapped


# A connection's arguments, the same wherever a list is read.
First = Annotated[
    int | None,
    strawberry.argument(description="How many items to return: 1 to 200, 50 when left out."),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Return the items after this cursor (`pageInfo.endCursor` of the page "
        "before); the first page when left out."
    ),
]
# Fields that mean the same in every input, described once.
_SHARED_FIELDS = {"expected_version": EXPECTED_VERSION}


def documented(*like: type[BaseModel]) -> Callable[[TypeT], TypeT]:
    """Give a Strawberry type's or input's fields their descriptions: the docstring under each
    field, or else the description of the same-named field of the first of `like` (the pydantic
    schema an input is read into) that has one, or else the shared one (`expectedVersion`).
    Written under `@strawberry.type`/`input`.
    """

    def describe(cls: TypeT) -> TypeT:
        docs = attribute_docstrings(cls)
        for name in inspect.get_annotations(cls):
            description = docs.get(name) or next(
                (
                    model.model_fields[name].description
                    for model in like
                    if name in model.model_fields and model.model_fields[name].description
                ),
                _SHARED_FIELDS.get(name),
            )
            if description is None:
                continue
            current = cls.__dict__.get(name, dataclasses.MISSING)
            if isinstance(current, StrawberryField):
                current.description = current.description or description
            else:
                setattr(cls, name, strawberry.field(default=current, description=description))
        return cls

    return describe


@strawberry.type(description="Where a page sits in its list.")
@documented()
class PageInfo:
    """Where a page sits in its list."""

    has_next_page: bool
    """Whether another page follows: pass `endCursor` as `after` to read it."""
    has_previous_page: bool
    """Whether a page comes before this one (lists are read forwards: true whenever `after`
    was given)."""
    start_cursor: str | None
    """The cursor of this page's first item; null when the page is empty."""
    end_cursor: str | None
    """The cursor of this page's last item, to pass as `after`; null when the page is empty."""


@strawberry.type(description="One item of a list, with the cursor that points just after it.")
@documented()
class Edge(Generic[NodeT]):
    """One item of a connection, with the cursor that points just after it."""

    cursor: str
    """Pass as `after` to read the items that follow this one."""
    node: NodeT
    """The item itself."""


@strawberry.type(description="A page of a list, Relay-style: its items and where it sits.")
@documented()
class Connection(Generic[NodeT]):
    """A Relay-style page of a list."""

    edges: list[Edge[NodeT]]
    """This page's items, each with its cursor, in the list's order."""
    page_info: PageInfo
    """Whether more pages follow, and the cursor to read the next one."""
    count_rows: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole filtered list has; counted on demand.")
    async def total_count(self) -> int:
        return await self.count_rows()


def connection(
    window: Window[RowT],
    *,
    node: Callable[[RowT], NodeT] | None = None,
    nodes: Sequence[NodeT] | None = None,
    after: str | None,
    count_rows: Callable[[], Awaitable[int]] | None = None,
) -> Connection[NodeT]:
    """A connection over one window of rows that a service returned, each row shown by `node`
    (or already shown, in order, as `nodes`); its `totalCount` comes from `count_rows`, or the
    window's own count."""
    count = count_rows or window.count
    assert count is not None, "a window from fetch_window knows how to count its list"
    if nodes is None:
        assert node is not None, "a connection needs its rows' nodes, or how to make them"
        nodes = [node(row) for row in window.rows]
    kind = window.kind or (cursor_kind(type(window.rows[0])) if window.rows else "")
    edges = [
        Edge(cursor=encode_cursor(row.id, kind), node=shown)  # type: ignore[attr-defined]
        for row, shown in zip(window.rows, nodes, strict=True)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=window.next_cursor is not None,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count_rows=count,
    )


@functools.cache
def _stored_fields(kind: Any, renamed: frozenset[str]) -> tuple[tuple[str, ...], Any]:
    # A Strawberry type is a dataclass: its init fields are the stored ones (private ones too),
    # never the resolvers. One with a default is a relation that rows may bring along (see
    # `known_or`), given by name when they do.
    names = tuple(
        item.name
        for item in dataclasses.fields(kind)
        if item.init
        and item.name not in renamed
        and item.default is dataclasses.MISSING
        and item.default_factory is dataclasses.MISSING
    )
    # One attrgetter reads them all: a page of a thousand objects makes many thousand reads.
    if len(names) > 1:
        return names, operator.attrgetter(*names)
    return names, lambda row: tuple(getattr(row, name) for name in names)


def node(kind: type[NodeT], record: object, **renamed: Any) -> NodeT:
    """The GraphQL `kind` of a stored record: each field the type stores is the record's
    attribute of that name; `renamed` gives the few that differ (`occurred_at=created_at`) and
    the relations the record brought along (`known_team=…`).

    The one mapping from a row to its GraphQL object, for every type; REST's read schemas
    read rows the same way (`from_attributes`).
    """
    names, read = _stored_fields(cast(Any, kind), frozenset(renamed))
    return kind(**dict(zip(names, read(record), strict=True)), **renamed)


@functools.cache
def _prefixed_fields(kind: Any, prefix: str) -> tuple[tuple[str, ...], Any]:
    names, _ = _stored_fields(kind, frozenset())
    columns = tuple(f"{prefix}{name}" for name in names)
    if len(columns) > 1:
        return names, operator.attrgetter(*columns)
    return names, lambda row: tuple(getattr(row, column) for column in columns)


def related_node(kind: type[NodeT], row: object, prefix: str) -> NodeT:
    """The GraphQL `kind` of a related record whose columns a plain row brought along beside its
    own, each named `prefix` + the field's name (`team__slug`; see `api.core.db.columns`)."""
    names, read = _prefixed_fields(cast(Any, kind), prefix)
    return kind(**dict(zip(names, read(row), strict=True)))


def shared(made: dict[KeyT, NodeT], key: KeyT, make: Callable[[], NodeT]) -> NodeT:
    """The GraphQL object `made` holds for the record `key`, made (`make()`) the first time: a
    page makes one object per team or person, however many of its rows bring it along."""
    found = made.get(key)
    if found is None:
        found = made[key] = make()
    return found


def known_or(known: NodeT | None, load: Callable[[], Awaitable[NodeT]]) -> NodeT:
    """What a relation's resolver answers: `known`, the related object when the rows that made
    its parent brought it along (a page of a list that loaded it up front), else `load()`.

    Such a resolver is a plain function, and graphql-core awaits the awaitable it returns only
    when it returns one: an `async` resolver costs a coroutine and a task for every object of a
    page even when there is nothing to wait for, three times the work of reading an attribute.
    """
    if known is not None:
        return known
    return cast(NodeT, load())


def selected(info: Info[Any, Any], *path: str) -> list[SelectedField]:
    """Every selection of the field at `path` (GraphQL names, from the resolver's own field
    down: `"edges", "node", "team"`), through fragments and aliases; empty when none asks."""
    level: list[Selection] = list(info.selected_fields)
    for name in path:
        found: list[Selection] = []
        for item in _fields(level):
            found.extend(field for field in _fields(item.selections) if field.name == name)
        level = found
    return list(_fields(level))


def _fields(selections: Sequence[Selection]) -> list[SelectedField]:
    fields: list[SelectedField] = []
    for item in selections:
        if isinstance(item, SelectedField):
            fields.append(item)
        elif isinstance(item, FragmentSpread | InlineFragment):
            fields.extend(_fields(item.selections))
    return fields


def derived(model: type[BaseModel], name: str, description: str | None = None) -> Any:
    """A GraphQL type with every field of `model` (a read schema), named `name`: for the types
    only other types show, which no resolver names in its signature."""
    description = description or inspect.cleandoc(model.__doc__ or "") or None
    shell = type(f"{name}Type", (), {"__doc__": description})
    return strawberry.experimental.pydantic.type(
        model=model, all_fields=True, name=name, description=description
    )(shell)


def from_read(kind: type[NodeT], read: BaseModel) -> NodeT:
    """The GraphQL `kind` derived from a read schema, filled from one of its instances, nested
    read schemas included."""
    return cast(NodeT, cast(Any, kind).from_pydantic(read))


def page_size(first: int | None) -> int:
    """The page size asked for with `first`, checked before any SQL runs."""
    return check_limit(DEFAULT_LIMIT if first is None else first, field="first")


_CAMEL_BOUNDARY = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    """The GraphQL spelling of a Python field name."""
    return _CAMEL_BOUNDARY.sub(lambda match: match.group(1).upper(), name)


def provided(value: object) -> dict[str, Any]:
    """The fields of a Strawberry input that the client actually sent; inputs inside it (in
    lists too) become dictionaries the same way."""
    return {
        key: _plain(item)
        for key, item in vars(value).items()
        if not isinstance(item, UnsetType) and not key.startswith("_")
    }


def _plain(item: object) -> Any:
    if isinstance(item, list):
        return [_plain(element) for element in item]
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return provided(item)
    return item


def parse_input(model: type[ModelT], fields: dict[str, Any]) -> ModelT:
    """Validate GraphQL input with the same rules as REST, naming bad fields in camelCase."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        errors = [
            FieldError(camel(".".join(str(part) for part in error["loc"])) or "input", error["msg"])
            for error in exc.errors()
        ]
        raise InvalidInput(
            "; ".join(f"{error.field}: {error.message}" for error in errors), errors
        ) from exc


@asynccontextmanager
async def mutation(info: GraphQLInfo) -> AsyncIterator[AsyncSession]:
    """Run one mutation in a savepoint: if it fails, neither its change nor its side effects stay.

    Strawberry answers 200 and reports errors in the body, so the request's own commit would
    otherwise keep whatever a failed mutation had flushed.
    """
    session = info.context.session
    # `BeginTransaction` has begun the transaction as a writer already: this is a mutation.
    async with session.begin_nested():
        yield session


ResultT = TypeVar("ResultT")


@functools.cache
def _body_schema(action: Callable[..., Any]) -> Any:
    # The schema a service function checks its `data` with, from its own annotation.
    return get_type_hints(action).get("data")


async def write(
    info: GraphQLInfo,
    input: object,
    action: Callable[..., Awaitable[ResultT]],
    *,
    key: Sequence[str] = (),
    data: type[BaseModel] | None = None,
) -> ResultT:
    """A mutation's service call, in its savepoint, for the caller: the input's `key` fields
    (a slug, an id) are the service's positional arguments, its `expected_version` (when the
    input has one) the precondition, and the rest, checked by the schema the service's `data`
    takes (as REST checks a body), the change.
    """
    fields = provided(input)
    keys = [fields.pop(name) for name in key]
    options: dict[str, Any] = {"principal": info.context.principal}
    if any(field.name == "expected_version" for field in dataclasses.fields(input)):  # type: ignore[arg-type]
        options["if_match"] = fields.pop("expected_version", None)
    schema = data or _body_schema(action)
    if schema is not None:
        options["data"] = parse_input(schema, fields)
    async with mutation(info) as session:
        return await action(session, *keys, **options)


class Requires(FieldExtension):
    """A field's permission: the caller's role may do `verb` under `policy` before the resolver
    runs. Record-level checks (own teams, a CI token's products) follow in the services.
    """

    def __init__(self, policy: Policy, verb: str) -> None:
        super().__init__()
        policy.action(verb)  # a verb the policy lacks fails when the field is declared
        self.policy = policy
        self.verb = verb

    def resolve(self, next_: SyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        info.context.require(self.policy, self.verb)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        info.context.require(self.policy, self.verb)
        return await next_(source, info, **kwargs)


ViewT = TypeVar("ViewT", bound=Hashable)
ValueT = TypeVar("ValueT")


def batch_loader(
    fetch: Callable[[list[KeyT]], Awaitable[Mapping[KeyT, ValueT]]],
    *,
    missing: Callable[[KeyT], ValueT | BaseException],
) -> DataLoader[KeyT, ValueT]:
    """A DataLoader that fetches a batch's keys at once (one IN query); a key `fetch` did not
    find gets `missing(key)`: an empty value, or an error for that key alone."""

    async def load(keys: list[KeyT]) -> list[ValueT | BaseException]:
        found = await fetch(keys)
        return [found[key] if key in found else missing(key) for key in keys]

    return DataLoader(load_fn=load)


def view_loader(
    fetch: Callable[[list[KeyT], ViewT], Awaitable[Mapping[KeyT, ValueT]]],
    *,
    missing: Callable[[KeyT], ValueT | BaseException],
) -> DataLoader[tuple[KeyT, ViewT], ValueT]:
    """A DataLoader of (record, view) keys (a roster on a day, a page of a history): one
    fetch per distinct view in a batch, however many records share it."""

    async def load(keys: list[tuple[KeyT, ViewT]]) -> list[ValueT | BaseException]:
        by_view: dict[ViewT, list[KeyT]] = {}
        for key, view in keys:
            by_view.setdefault(view, []).append(key)
        found: dict[tuple[KeyT, ViewT], ValueT] = {}
        for view, batch in by_view.items():
            fetched = await fetch(batch, view)
            found.update({(key, view): value for key, value in fetched.items()})
        return [found[item] if item in found else missing(item[0]) for item in keys]

    return DataLoader(load_fn=load)


def not_found(describe: str) -> Callable[[Any], BaseException]:
    """`missing` for a loader whose every key must exist: an error naming the key."""
    return lambda key: LookupError(f"{describe} {key} not found")


def relation(resolver: Callable[..., Any], requires: "Requires", description: str) -> Any:
    """A field for `extend_type`: `resolver(root, info)` under `requires`."""
    return strawberry.field(resolver=resolver, extensions=[requires], description=description)


def extend_type(target: type[Any], *, after: str | None = None, **fields: Any) -> None:
    """Add resolver fields to a Strawberry type that a lower layer defined.

    A higher domain shows its relation on a lower type this way (`Team.products` is added by
    products), so the lower one never imports the higher. Each field is a `strawberry.field` whose
    resolver takes the parent object as `root`. With `after`, the fields go right after that one,
    keeping the SDL's order where a field used to be declared. Call it when the higher domain's
    module is imported, before the schema is built.
    """
    definition = target.__strawberry_definition__
    position = len(definition.fields)
    if after is not None:
        position = 1 + next(
            index for index, field in enumerate(definition.fields) if field.python_name == after
        )
    for offset, (name, field) in enumerate(fields.items()):
        if any(existing.python_name == name for existing in definition.fields):
            raise ValueError(f"{definition.name} already has a field {name!r}")
        field.python_name = name
        field.origin = target
        definition.fields.insert(position + offset, field)
