"""The REST and GraphQL reference pages are made from schema/, and leave nothing of it out."""

import importlib.util
import json
from types import ModuleType

from graphql import build_schema

from tests.docs.examples import ROOT


def _docs_pages() -> ModuleType:
    # scripts/ is not a package: MkDocs loads the hook by its path, and so does this test.
    spec = importlib.util.spec_from_file_location("docs_pages", ROOT / "scripts" / "docs_pages.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_rest_operation_and_schema_is_on_the_rest_page() -> None:
    page = _docs_pages().generated_pages()["reference/rest-operations.md"]
    openapi = json.loads((ROOT / "schema" / "openapi.json").read_text(encoding="utf-8"))
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                assert f"## `{method.upper()} {path}`" in page
                assert f"(`{operation['operationId']}`)" in page
    for name in openapi["components"]["schemas"]:
        assert f"### {name} {{#schema-{name.lower()}}}" in page


def test_every_graphql_type_and_field_is_on_the_graphql_page() -> None:
    page = _docs_pages().generated_pages()["reference/graphql-schema.md"]
    schema = build_schema((ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8"))
    for name, kind in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        assert f"## {name}\n" in page
        for field in getattr(kind, "fields", {}):
            assert f"`{field}" in page, (name, field)


def test_the_changelog_page_is_the_changelog() -> None:
    page = _docs_pages().generated_pages()["changelog.md"]
    assert page.startswith("# Changelog")
    assert "## [Unreleased]" in page
