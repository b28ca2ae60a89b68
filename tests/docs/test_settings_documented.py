"""Every setting is documented, with its default, in the README (CONTRACT.md promises it there)
and in the configuration reference."""

import re
from pathlib import Path
from typing import Any

import pytest

from api.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
# A table row naming a setting: | `PIZZABOX_NAME` | default | …
_ROW = re.compile(r"^\| `(PIZZABOX_[A-Z_]+)` \| ([^|]+?) \|", re.MULTILINE)
# Read by `pizzabox serve` (click's envvar), not by `Settings`.
COMMAND_SETTINGS = {"PIZZABOX_WORKERS": "`1`"}


def _written(default: Any) -> str:
    """A default as the tables write it."""
    if default is None:
        return "*(unset)*"
    if default == "":
        return "*(empty)*"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    return f"`{default}`"


def _expected() -> dict[str, str]:
    expected = {
        f"PIZZABOX_{name.upper()}": _written(field.default)
        for name, field in Settings.model_fields.items()
    }
    return expected | COMMAND_SETTINGS


@pytest.mark.parametrize("page", ["README.md", "docs/reference/configuration.md"])
def test_every_setting_is_documented_with_its_default(page: str) -> None:
    documented = dict(_ROW.findall((ROOT / page).read_text(encoding="utf-8")))
    assert documented == _expected()
