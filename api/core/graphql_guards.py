"""What every GraphQL operation passes through before and around its resolvers: text that can be
stored, a named operation, a transaction that reads or writes, and errors a client can act on."""

import logging
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    Node,
    OperationDefinitionNode,
    StringValueNode,
    ValidationRule,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from pydantic import BaseModel
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.core.db import begin_writing
from api.core.errors import InvalidInput, PizzaboxError, is_lock_timeout
from api.core.graphql import camel

logger = logging.getLogger("api.graphql")

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT")
ModelT = TypeVar("ModelT", bound=BaseModel)


_BUSY_ERROR = GraphQLError(
    "the database is busy with other writes; send the mutation again in a moment",
    extensions={"code": "SERVICE_UNAVAILABLE"},
)
_SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*$", re.DOTALL)


def _graphql_error(error: GraphQLError, *, hide_suggestions: bool) -> GraphQLError:
    original = error.original_error
    if isinstance(original, PizzaboxError):
        extensions: dict[str, Any] = {"code": original.code}
        if original.errors:
            extensions["errors"] = [
                {**item.as_dict(), "field": camel(item.field)} for item in original.errors
            ]
        # Name the fields as GraphQL clients write them, in the message as in `errors`.
        message = (
            "; ".join(f"{camel(item.field)}: {item.message}" for item in original.errors)
            if original.errors and isinstance(original, InvalidInput)
            else original.detail
        )
        return GraphQLError(message, nodes=error.nodes, path=error.path, extensions=extensions)
    if isinstance(original, OperationalError) and is_lock_timeout(original):
        # Only writers wait for the lock; nothing was wrong with the request but its timing.
        return GraphQLError(
            _BUSY_ERROR.message,
            nodes=error.nodes,
            path=error.path,
            extensions=_BUSY_ERROR.extensions,
        )
    if isinstance(original, DataError):
        # The database refused a value the client sent (a NUL character in text, say).
        return GraphQLError(
            "a value cannot be stored or compared (for example, it holds a NUL character)",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "BAD_USER_INPUT"},
        )
    if original is None or error.path is None:
        # Parse, validation and variable errors (no path: no resolver ran): the request is wrong.
        # With introspection off, "Did you mean 'product'?" would hand the schema out piecemeal.
        message = _SUGGESTION.sub("", error.message) if hide_suggestions else error.message
        return GraphQLError(
            message,
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "BAD_USER_INPUT", **(error.extensions or {})},
        )
    # The line carries the request's id (`api.core.logs`): the X-Request-ID the client was sent,
    # the one thing that ties its report to this line.
    logger.error("unexpected error in GraphQL resolver", exc_info=original)
    return GraphQLError(
        "Internal server error",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR"},
    )


def once_per_document(*names: str) -> type[ValidationRule]:
    """A validation rule that lets a document ask each root query field of `names` once: under
    one response key, however many aliases or fragments (domains name theirs in
    `Domain.once_per_document`): fifteen aliases of a field that adds up a whole portfolio
    would be fifteen times the work in one request."""

    class OncePerDocument(ValidationRule):
        def __init__(self, context: Any) -> None:
            super().__init__(context)
            self.keys: dict[str, set[str]] = {name: set() for name in names}

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            name = node.name.value
            if name not in self.keys:
                return
            parent = self.context.get_parent_type()
            if parent is None or parent is not self.context.schema.query_type:
                return
            keys = self.keys[name]
            keys.add(node.alias.value if node.alias else name)
            if len(keys) == 2:
                self.report_error(GraphQLError(f"`{name}` may be asked once in a document", node))

    return OncePerDocument


class DomainErrors(SchemaExtension):
    """Give every GraphQL error an `extensions.code`, and mask unexpected ones; with
    `hide_suggestions`, leave out the field names graphql-core suggests for a misspelt one."""

    def __init__(self, *, hide_suggestions: bool = False) -> None:
        super().__init__()
        self.hide_suggestions = hide_suggestions

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [
                _graphql_error(error, hide_suggestions=self.hide_suggestions)
                for error in result.errors
            ]


def _unstorable(text: str) -> str | None:
    """Why `text` cannot be stored or compared, or None when it can."""
    if "\x00" in text:
        return "text may not contain NUL characters (\\u0000)"
    if any("\ud800" <= char <= "\udfff" for char in text):
        # JSON and GraphQL escapes can spell half a UTF-16 pair; it is no character, and
        # neither database driver can encode it.
        return "text may not contain lone surrogates (\\ud800 to \\udfff): it is not Unicode"
    return None


def _first_unstorable(value: object) -> str | None:
    # A loop, not recursion: variables may be nested as deep as the JSON parser allows.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            problem = _unstorable(item)
            if problem:
                return problem
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return None


class RefuseUnstorableText(SchemaExtension):
    """Refuse text holding NUL characters or lone surrogates before any resolver runs, in
    variables and literals alike.

    PostgreSQL can neither store nor compare NUL, and no driver can encode a lone surrogate, so
    either would otherwise fail deep in a query as a server error; REST refuses both where it
    reads its parameters and bodies.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        literals = [
            node.value
            for node in _walk(context.graphql_document)
            if isinstance(node, StringValueNode)
        ]
        problem = _first_unstorable(context.variables) or _first_unstorable(literals)
        if problem:
            context.result = GraphQLExecutionResult(data=None, errors=[GraphQLError(problem)])
        yield


class BeginTransaction(SchemaExtension):
    """Begin the request's transaction once the operation is known, before any resolver runs:
    a mutation as a writer (SQLite's write lock, taken up front), a query as a reader that never
    waits for one. Resolvers then share one connection; without it, concurrent root fields would
    race to open it."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        session: AsyncSession = context.context.session
        if context.result is None:
            try:
                if context.operation_type is OperationType.MUTATION:
                    # Authentication's token lookup may have begun a reader's transaction.
                    await begin_writing(session)
                elif not session.in_transaction():
                    await session.connection()
            except OperationalError as exc:
                if not is_lock_timeout(exc):
                    raise
                # Answered here: an error raised from a hook would skip `DomainErrors`.
                context.result = GraphQLExecutionResult(data=None, errors=[_BUSY_ERROR])
        yield


class RequireOperationName(SchemaExtension):
    """A document with several operations must say which to run (GraphQL spec, "GetOperation"):
    running the first one would run something the client may not have meant."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operations = [
            node
            for node in (document.definitions if document else ())
            if isinstance(node, OperationDefinitionNode)
        ]
        # `operation_name` falls back to the first operation's; what the client sent is this.
        if len(operations) > 1 and not context._provided_operation_name:
            context.result = GraphQLExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "the document has several operations: name the one to run "
                        "with `operationName`"
                    )
                ],
            )
        yield


class ValidDocuments:
    """The documents that parsed and passed validation, by their text, the `size` most recently
    used: a client sends the same few documents again and again (a page after another), with
    other variables. Only valid documents are kept, so a document that broke a rule (too deep,
    too many aliases or tokens, introspection where it is off) is parsed and refused anew each
    time; and only documents, never data or answers. A text longer than `longest` characters
    is never kept: a client's documents are a few kilobytes, and a long literal in a valid
    document must not let any caller pin megabytes in every worker."""

    def __init__(self, size: int = 128, longest: int = 16_384) -> None:
        self.size = size
        self.longest = longest
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()

    def get(self, text: str) -> DocumentNode | None:
        """The document of `text` if it was found valid, most recently used now."""
        document = self._documents.get(text)
        if document is not None:
            self._documents.move_to_end(text)
        return document

    def keep(self, text: str, document: DocumentNode) -> None:
        """Remember that `text` is `document`, and valid; forget the least recently used one
        past `size`. A text longer than `longest` is not kept."""
        if len(text) > self.longest:
            return
        self._documents[text] = document
        self._documents.move_to_end(text)
        while len(self._documents) > self.size:
            self._documents.popitem(last=False)


class ReuseValidDocuments(SchemaExtension):
    """Parse and validate a document's text once, while it stays among the schema's
    `ValidDocuments`: for a page of a list, the two cost as much as resolving 200 products.

    The validation rules are the schema's own and do not depend on the variables or the caller,
    so a document valid once is valid again; the rules that read the variables, and the
    resolvers' permission checks, run on every request as before. A validation rule that reads
    the request (the caller, its role, a header) must not be added to the schema's rules while
    this extension is on: a document it passed once would skip it afterwards.
    """

    def __init__(self, documents: ValidDocuments) -> None:
        super().__init__()
        self.documents = documents
        self.reused = False

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            document = self.documents.get(context.query)
            if document is not None:
                # Strawberry parses only a context without a document.
                context.graphql_document = document
                self.reused = True
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self.reused:
            # Strawberry validates only a context without a verdict.
            context.pre_execution_errors = []
        yield
        if (
            not self.reused
            and context.query is not None
            and context.graphql_document is not None
            and context.pre_execution_errors == []
        ):
            self.documents.keep(context.query, context.graphql_document)


def _walk(node: object) -> Iterator[Node]:
    if isinstance(node, Node):
        yield node
        for key in node.keys:
            yield from _walk(getattr(node, key, None))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _walk(item)
