"""The fields where a client writes a date, a time or text, found in the contract files."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from graphql import (
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLScalarType,
    build_schema,
    get_named_type,
    get_nullable_type,
)

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schema"
OPENAPI: dict[str, Any] = json.loads((SCHEMA_DIR / "openapi.json").read_text())
GRAPHQL = build_schema((SCHEMA_DIR / "schema.graphql").read_text())

Kind = Literal["date-time", "date", "text"]
# How a value travels: in a REST request as it is; in GraphQL as a variable or inside the document.
Form = Literal["rest", "variable", "literal", "raw literal"]
# The GraphQL scalars a client writes as text, and what kind of text each is.
GRAPHQL_TEXT: dict[str, Kind] = {
    "String": "text",
    "UUID": "text",
    "Date": "date",
    "DateTime": "date-time",
}


@dataclass(frozen=True)
class Target:
    """One place in one operation where a client writes a date, a time or text."""

    face: Literal["rest", "graphql"]
    operation: str  # REST: the operationId; GraphQL: the root field
    place: str  # REST: body, query or path; GraphQL: query or mutation
    path: tuple[str, ...]  # the property or argument, then input fields; "[]" is a list's item
    kind: Kind
    subfield: str | None = None  # GraphQL: the field of the returned record that takes `path`

    def __str__(self) -> str:
        where = ".".join(part for part in (self.subfield, *self.path) if part)
        return f"{self.face}:{self.operation}:{self.place}:{where}"

    @property
    def name(self) -> str:
        """The field's own name (a list's name for its items)."""
        return next(part for part in reversed(self.path) if part != "[]")

    @property
    def in_url(self) -> bool:
        """Whether the value travels in the URL, where clients and servers cap the length."""
        return self.face == "rest" and self.place in ("query", "path")

    @property
    def writes(self) -> bool:
        """Whether its operation changes records."""
        if self.face == "graphql":
            return self.place == "mutation"
        return REST[self.operation][0] != "GET"

    @property
    def forms(self) -> tuple[Form, ...]:
        """The ways a value can travel to this field."""
        return ("rest",) if self.face == "rest" else ("variable", "literal", "raw literal")


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with `$ref`s followed, and a nullable `oneOf`/`anyOf` or a one-branch
    `allOf` (how a described `$ref` is written) reduced to its value."""
    while True:
        if "$ref" in schema:
            node: Any = OPENAPI
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
            continue
        values = [
            branch
            for branch in schema.get("oneOf") or schema.get("anyOf") or schema.get("allOf") or []
            if branch.get("type") != "null"
        ]
        if len(values) != 1:
            return schema
        schema = values[0]


def _json_strings(
    schema: dict[str, Any], path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Kind]]:
    """Every string in a JSON schema, with where it sits and what kind of text it is."""
    schema = resolve(schema)
    if schema.get("type") == "string":
        form = schema.get("format")
        yield path, "date-time" if form == "date-time" else "date" if form == "date" else "text"
    elif schema.get("type") == "array":
        yield from _json_strings(schema.get("items", {}), (*path, "[]"))
    elif schema.get("type") == "object" and len(path) < 5:
        for name, prop in schema.get("properties", {}).items():
            yield from _json_strings(prop, (*path, name))


def json_body(operation: dict[str, Any]) -> dict[str, Any] | None:
    """The resolved schema of an operation's JSON request body, or None when it takes none."""
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    return None if body is None else resolve(body["schema"])


# operationId: (method, path template, operation)
REST: dict[str, tuple[str, str, dict[str, Any]]] = {
    operation["operationId"]: (method.upper(), path, operation)
    for path, item in OPENAPI["paths"].items()
    if not path.startswith("/graphql")
    for method, operation in item.items()
}


def _rest_targets() -> Iterator[Target]:
    for operation_id, (_, _, operation) in REST.items():
        for parameter in operation.get("parameters", []):
            if parameter["in"] in ("query", "path"):
                for path, kind in _json_strings(parameter["schema"], (parameter["name"],)):
                    yield Target("rest", operation_id, parameter["in"], path, kind)
        body = json_body(operation)
        if body is not None:
            for path, kind in _json_strings(body, ()):
                yield Target("rest", operation_id, "body", path, kind)


def _graphql_strings(
    gtype: GraphQLInputType, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Kind]]:
    """Every text scalar in a GraphQL input type, with where it sits."""
    nullable = get_nullable_type(gtype)
    if isinstance(nullable, GraphQLList):
        yield from _graphql_strings(nullable.of_type, (*path, "[]"))
    elif isinstance(nullable, GraphQLScalarType) and nullable.name in GRAPHQL_TEXT:
        yield path, GRAPHQL_TEXT[nullable.name]
    elif isinstance(nullable, GraphQLInputObjectType) and len(path) < 5:
        for name, input_field in nullable.fields.items():
            yield from _graphql_strings(input_field.type, (*path, name))


def _graphql_targets() -> Iterator[Target]:
    roots = (("query", GRAPHQL.query_type), ("mutation", GRAPHQL.mutation_type))
    for place, root in roots:
        assert root is not None
        for name, root_field in root.fields.items():
            for argument, definition in root_field.args.items():
                for path, kind in _graphql_strings(definition.type, (argument,)):
                    yield Target("graphql", name, place, path, kind)
            record = get_named_type(root_field.type)
            if place == "query" and isinstance(record, GraphQLObjectType):
                for subfield, child in record.fields.items():
                    for argument, definition in child.args.items():
                        for path, kind in _graphql_strings(definition.type, (argument,)):
                            yield Target("graphql", name, place, path, kind, subfield)


TARGETS = sorted([*_rest_targets(), *_graphql_targets()], key=str)
