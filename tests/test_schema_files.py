"""The committed contract files match the live app: regenerate with `pizzabox export-schema`."""

from pathlib import Path

from api.config import Settings
from api.schema_export import rendered_files

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"


def test_schema_files_match_the_live_app() -> None:
    for name, text in rendered_files(Settings()).items():
        committed = (SCHEMA_DIR / name).read_text("utf-8")
        assert committed == text, f"schema/{name} is stale: run `pizzabox export-schema`"
