"""The contract files in `schema/`, rendered from the live app so a test can compare them."""

import json
from pathlib import Path

from strawberry.printer import print_schema

from api.app import create_app
from api.core.config import Settings

OPENAPI_FILE = "openapi.json"
GRAPHQL_FILE = "schema.graphql"


def render_openapi(settings: Settings) -> str:
    """The REST contract as `schema/openapi.json` holds it: sorted, indented, newline at the end."""
    document = create_app(settings).openapi_schema.to_schema()
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def render_graphql() -> str:
    """The GraphQL contract as `schema/schema.graphql` holds it (SDL, newline at the end)."""
    # Imported here so the REST contract can be rendered even while the GraphQL layer fails to load.
    from api.graphql_schema import schema

    return print_schema(schema) + "\n"


def rendered_files(settings: Settings) -> dict[str, str]:
    """File name in `schema/` → the text it should hold."""
    return {OPENAPI_FILE: render_openapi(settings), GRAPHQL_FILE: render_graphql()}


def stale_files(directory: Path, settings: Settings) -> list[str]:
    """Names of the files in `directory` that are missing or differ from the live app."""
    return [
        name
        for name, text in rendered_files(settings).items()
        if not (directory / name).is_file() or (directory / name).read_text("utf-8") != text
    ]


def write_files(directory: Path, settings: Settings) -> list[Path]:
    """Write both contract files into `directory` (created if needed); returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered_files(settings).items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
