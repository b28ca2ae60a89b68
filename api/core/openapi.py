"""How request bodies are documented in OpenAPI: closed, and with their text rules written down."""

from litestar._openapi.schema_generation import SchemaCreator
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.plugins.pydantic import PydanticSchemaPlugin
from litestar.typing import FieldDefinition

from api.core.fields import InputModel
from api.core.rest import NO_NUL


class ClosedInputSchemaPlugin(OpenAPISchemaPlugin):
    """Document request bodies as closed (`additionalProperties: false`), as they are.

    Request models forbid unknown fields, so a typo is a 422; Litestar's pydantic schemas leave
    that out, and generated clients and fuzzers then send extra fields the API refuses.
    """

    def __init__(self) -> None:
        self._pydantic = PydanticSchemaPlugin()

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        """Request models only; every other pydantic model goes to Litestar's own plugin."""
        annotation = field_definition.annotation
        return isinstance(annotation, type) and issubclass(annotation, InputModel)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        """Litestar's schema for the model, closed to properties it does not name, and with
        its text fields' refusal of NUL characters written down."""
        schema = self._pydantic.to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        for value in (schema.properties or {}).values():
            if isinstance(value, Schema):
                for text in _text_schemas(value):
                    text.pattern = _text_pattern(text)
        return schema


def _text_schemas(schema: Schema) -> list[Schema]:
    """The free-text string schemas of a property: itself, or its `oneOf`/`anyOf` members.

    Formats (dates, UUIDs) and enums are read into other types, which cannot hold NUL anyway.
    """
    if schema.type == OpenAPIType.STRING and not schema.format and not schema.enum:
        return [schema]
    members = [*(schema.one_of or ()), *(schema.any_of or ())]
    return [
        text for member in members if isinstance(member, Schema) for text in _text_schemas(member)
    ]


# What `InputModel` strips from both ends of every text field (pydantic's `str_strip_whitespace`,
# Unicode White_Space), spelt out: `\s` means a different set in ECMA-262, Python and Rust.
_STRIPPED = r"\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Text that is not blank once stripped, and holds no NUL.
NOT_BLANK = rf"^[^\x00]*[^\x00{_STRIPPED}][^\x00]*$"


def _text_pattern(text: Schema) -> str:
    """The pattern a body's text field is documented with.

    Text is stripped before it is checked, so a required name of spaces alone is refused as
    empty: with a `minLength`, the field must hold a character that is not stripped.
    """
    if text.pattern is None and (text.min_length or 0) >= 1:
        return NOT_BLANK
    return _without_nul(text.pattern)


def _without_nul(pattern: str | None) -> str:
    r"""`pattern`, also refusing NUL, as `InputModel` does for every text field of a body.

    Without a pattern the field takes any text but NUL. A pattern of positive classes and
    literals (a slug) refuses NUL already; negated classes (`[^\r\n]`) would let it through,
    so NUL joins each of them.
    """
    if pattern is None:
        return NO_NUL
    if "\\x00" in pattern:
        return pattern
    return pattern.replace("[^", "[^\\x00")
