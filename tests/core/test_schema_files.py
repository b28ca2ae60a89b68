"""The committed contract files match the live app: regenerate with `pizzabox export-schema`."""

import json
import re
from pathlib import Path

from api.core.config import Settings
from api.schema_export import rendered_files

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"


def test_schema_files_match_the_live_app() -> None:
    for name, text in rendered_files(Settings()).items():
        committed = (SCHEMA_DIR / name).read_text("utf-8")
        assert committed == text, f"schema/{name} is stale: run `pizzabox export-schema`"


def test_no_two_openapi_schemas_share_a_name() -> None:
    # Litestar tells same-named models apart by prefixing their module path
    # (`health_HealthStatus`), which generated clients mangle or drop; every name stays its own.
    document = json.loads((SCHEMA_DIR / "openapi.json").read_text())
    names = list(document["components"]["schemas"])
    prefixed = [name for name in names if not re.fullmatch(r"(Page_)?[A-Z][A-Za-z0-9]*_?", name)]
    assert prefixed == [], prefixed
