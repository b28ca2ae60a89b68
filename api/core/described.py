"""Descriptions written once, as a docstring under the field they describe, and shown by both
contracts: OpenAPI (pydantic's `use_attribute_docstrings`) and GraphQL (`documented`, for the
Strawberry types and inputs that are not derived from a pydantic model).

    class TeamRead(RecordRead):
        slug: Slug
        \"\"\"The team's unique, URL-safe name.\"\"\"
"""

import ast
import inspect
import textwrap

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """Base of what clients send and see: each field's docstring is its description."""

    model_config = ConfigDict(use_attribute_docstrings=True)


def attribute_docstrings(cls: type) -> dict[str, str]:
    """The docstring written under each attribute of `cls` (a field, an enum member), by name."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):  # no source (a frozen build): no descriptions, no failure
        return {}
    definition = ast.parse(source).body[0]
    if not isinstance(definition, ast.ClassDef):
        return {}
    docs: dict[str, str] = {}
    for statement, following in zip(definition.body, definition.body[1:], strict=False):
        target = (
            statement.target
            if isinstance(statement, ast.AnnAssign)
            else statement.targets[0]
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1
            else None
        )
        if (
            isinstance(target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[target.id] = inspect.cleandoc(following.value.value)
    return docs
