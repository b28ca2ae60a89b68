"""Pages of the docs site made from files that already say it, so nothing is written twice.

MkDocs loads this file as a hook (`hooks:` in mkdocs.yml). It adds four pages to the site:
the REST operations from `schema/openapi.json`, the GraphQL types from `schema/schema.graphql`,
and `CHANGELOG.md` and `ARCHITECTURE.md` from the root of the repository. Nothing is downloaded.
"""

import json
import re
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    build_schema,
)

ROOT = Path(__file__).resolve().parent.parent
METHODS = ("get", "post", "put", "patch", "delete")

# Links in the root files point at files of the repository, which the site does not hold.
_REPOSITORY_LINK = re.compile(r"\[([^\]]+)\]\((?!https?://|#)[^)]+\)")


def _cell(text: str | None) -> str:
    """Text that fits in one Markdown table cell."""
    return (text or "").replace("|", "\\|").replace("\n", " ").strip()


def _schema_name(schema: dict[str, Any]) -> str:
    """A short name for a JSON schema: its component's name, linked to its section, or its type."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return f"[`{name}`](#{_schema_anchor(name)})"
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            return " or ".join(_schema_name(member) for member in schema[key])
    if schema.get("type") == "array":
        return f"array of {_schema_name(schema.get('items', {}))}"
    if "enum" in schema:
        return " or ".join(f"`{value}`" for value in schema["enum"])
    kind = schema.get("type", "any")
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def rest_reference(openapi: dict[str, Any]) -> str:
    """Every operation of the OpenAPI document, grouped by path, as Markdown."""
    lines = [
        "# REST operations",
        "",
        "Generated from `schema/openapi.json` when the site is built (`scripts/docs_pages.py`);",
        "the conventions every operation follows are in [REST API](rest.md). The same document",
        "is served, callable, at `/schema` by a running Pizzabox.",
        "",
    ]
    for path, item in openapi["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            lines += [
                f"## `{method.upper()} {path}`",
                "",
                f"**{operation.get('summary', operation['operationId'])}** "
                f"(`{operation['operationId']}`)",
                "",
                operation.get("description", "").strip(),
                "",
            ]
            parameters = operation.get("parameters", [])
            if parameters:
                lines += ["| parameter | in | type | meaning |", "| --- | --- | --- | --- |"]
                for parameter in parameters:
                    required = " (required)" if parameter.get("required") else ""
                    lines.append(
                        f"| `{parameter['name']}`{required} | {parameter['in']} | "
                        f"{_cell(_schema_name(parameter.get('schema', {})))} | "
                        f"{_cell(parameter.get('description'))} |"
                    )
                lines.append("")
            body = operation.get("requestBody", {}).get("content", {})
            for media_type, content in body.items():
                schema = _schema_name(content.get("schema", {}))
                lines += [f"Body: `{media_type}`, {schema}.", ""]
            lines += ["| status | meaning | body |", "| --- | --- | --- |"]
            for status, answer in operation.get("responses", {}).items():
                bodies = ", ".join(
                    _schema_name(content.get("schema", {}))
                    for content in answer.get("content", {}).values()
                )
                lines.append(f"| {status} | {_cell(answer.get('description'))} | {_cell(bodies)} |")
            lines.append("")
    return "\n".join(lines + _components(openapi))


def _schema_anchor(name: str) -> str:
    return f"schema-{name.lower()}"


def _components(openapi: dict[str, Any]) -> list[str]:
    """The document's schemas, each with its properties, as Markdown sections."""
    lines = ["## Schemas", ""]
    for name, schema in sorted(openapi.get("components", {}).get("schemas", {}).items()):
        lines += [f"### {name} {{#{_schema_anchor(name)}}}", "", schema.get("description", ""), ""]
        properties = schema.get("properties", {})
        if "enum" in schema:
            lines += [f"One of {_schema_name(schema)}.", ""]
        if properties:
            required = set(schema.get("required", []))
            lines += ["| property | type | meaning |", "| --- | --- | --- |"]
            for prop, value in properties.items():
                mark = " (required)" if prop in required else ""
                lines.append(
                    f"| `{prop}`{mark} | {_cell(_schema_name(value))} | "
                    f"{_cell(value.get('description'))} |"
                )
            lines.append("")
    return lines


def _type_anchor(name: str) -> str:
    return name.lower()


def _type_link(type_text: str, named: set[str]) -> str:
    """`[Product!]!` with the named type linked to its section when the page has one."""
    name = type_text.strip("[]!")
    if name in named:
        return f"[`{type_text}`](#{_type_anchor(name)})"
    return f"`{type_text}`"


def graphql_reference(sdl: str) -> str:
    """Every type of the GraphQL schema, with its fields and their descriptions, as Markdown."""
    schema = build_schema(sdl)
    types: list[GraphQLNamedType] = sorted(
        (kind for name, kind in schema.type_map.items() if not name.startswith("__")),
        key=lambda kind: kind.name,
    )
    named = {kind.name for kind in types if not isinstance(kind, GraphQLScalarType)}
    roots = [root.name for root in (schema.query_type, schema.mutation_type) if root]
    lines = [
        "# GraphQL schema",
        "",
        "Generated from `schema/schema.graphql` when the site is built (`scripts/docs_pages.py`);",
        "how to call it is in [GraphQL API](graphql.md). GraphiQL at `/graphql` browses the same",
        "schema on a running Pizzabox. Root types: "
        + ", ".join(f"[`{name}`](#{_type_anchor(name)})" for name in roots)
        + ".",
        "",
    ]
    for kind in types:
        if isinstance(kind, GraphQLScalarType) and kind.name in {
            "String",
            "Int",
            "Float",
            "Boolean",
            "ID",
        }:
            continue
        label = type(kind).__name__.removeprefix("GraphQL").removesuffix("Type").lower()
        lines += [f"## {kind.name}", "", f"*{label}*. {kind.description or ''}".strip(), ""]
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
            lines += ["| field | type | meaning |", "| --- | --- | --- |"]
            for name, field in kind.fields.items():
                arguments = ", ".join(f"{arg}: {value.type}" for arg, value in field.args.items())
                signature = f"`{name}({arguments})`" if arguments else f"`{name}`"
                lines.append(
                    f"| {signature} | {_type_link(str(field.type), named)} | "
                    f"{_cell(field.description)} |"
                )
            lines.append("")
        elif isinstance(kind, GraphQLInputObjectType):
            lines += ["| input field | type | meaning |", "| --- | --- | --- |"]
            for name, input_field in kind.fields.items():
                lines.append(
                    f"| `{name}` | {_type_link(str(input_field.type), named)} | "
                    f"{_cell(input_field.description)} |"
                )
            lines.append("")
        elif isinstance(kind, GraphQLEnumType):
            lines += ["| value | meaning |", "| --- | --- |"]
            for name, value in kind.values.items():
                lines.append(f"| `{name}` | {_cell(value.description)} |")
            lines.append("")
        elif isinstance(kind, GraphQLUnionType):
            members = ", ".join(_type_link(member.name, named) for member in kind.types)
            lines += [f"One of {members}.", ""]
    return "\n".join(lines)


def root_file_page(name: str) -> str:
    """A file from the repository's root, its links to other files of the repository as text."""
    text = (ROOT / name).read_text(encoding="utf-8")
    return _REPOSITORY_LINK.sub(lambda match: match.group(1), text)


def generated_pages() -> dict[str, str]:
    """The pages this module makes, by their path in the site's sources."""
    openapi = json.loads((ROOT / "schema" / "openapi.json").read_text(encoding="utf-8"))
    sdl = (ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8")
    return {
        "reference/rest-operations.md": rest_reference(openapi),
        "reference/graphql-schema.md": graphql_reference(sdl),
        "changelog.md": root_file_page("CHANGELOG.md"),
        "reference/architecture.md": root_file_page("ARCHITECTURE.md"),
    }


def on_files(files: Any, config: Any) -> Any:
    """MkDocs hook: add the generated pages to the site's files."""
    from mkdocs.structure.files import File

    for path, content in generated_pages().items():
        files.append(File.generated(config, path, content=content))
    return files
