"""Lean resolvers: the fields guarded by `Requires` alone, resolved without Strawberry's
per-field extension machinery.

A page of 200 products with their teams, members and people resolves some 1,600 guarded fields
(`Product.team`, `Team.members`, `Membership.person`). For each, Strawberry builds the chain of
field extensions, converts the arguments it was given (renaming each, every time) and calls
through several wrappers: most of what such a field costs, where the work itself is reading an
attribute. A field qualifies when its resolver is a plain function (not a coroutine), its one
extension is `Requires`, and its arguments are scalars or enums (which graphql-core has already
made Python values): the lean resolver checks the permission through the request's
`Context.require`, renames the arguments with a table made once, and calls the resolver as
Strawberry would. Everything else keeps Strawberry's path.

The schema keeps its extensions, so the SDL, the role table's contract tests and any code that
reads `field.extensions` see the same `Requires` as before; only graphql-core's resolve function
of those fields changes.
"""

from collections.abc import Callable
from typing import Any, cast

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.relay import GlobalID
from strawberry.scalars import is_scalar
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryList, StrawberryMaybe, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.field import StrawberryField

from api.core.graphql import Context, Requires

Resolve = Callable[..., Any]


def lean_resolvers(schema: strawberry.Schema) -> int:
    """Give every qualifying field of `schema` a lean resolver; how many fields got one."""
    if schema.schema_converter.exception_handlers:
        return 0  # a handler may need to see a field's errors on Strawberry's path
    count = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for graphql_field in graphql_type.fields.values():
            field = graphql_field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            lean = _lean_resolver(schema, field) if isinstance(field, StrawberryField) else None
            if lean is not None:
                graphql_field.resolve = lean
                count += 1
    return count


def _lean_resolver(schema: strawberry.Schema, field: StrawberryField) -> Resolve | None:
    resolver = field.base_resolver
    if resolver is None or field.is_async or field.is_subscription:
        return None
    if len(field.extensions) != 1 or type(field.extensions[0]) is not Requires:
        return None
    renamed: dict[str, str] = {}
    for argument in field.arguments:
        if not _is_plain_value(schema, argument.type):
            return None
        assert argument.python_name
        renamed[schema.config.name_converter.from_argument(argument)] = argument.python_name
    requires: Requires = field.extensions[0]
    policy, verb = requires.policy, requires.verb
    function = cast(Resolve, resolver.wrapped_func)
    takes_self = resolver.self_parameter is not None
    source_names = [
        parameter.name
        for parameter in (resolver.root_parameter, resolver.parent_parameter)
        if parameter is not None
    ]
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None
    info_class = schema.config.info_class

    def resolve(source: Any, info: GraphQLResolveInfo[Context], **arguments: Any) -> Any:
        context: Context = info.context
        context.require(policy, verb)
        kwargs = {renamed[name]: value for name, value in arguments.items()}
        for name in source_names:
            kwargs[name] = source
        if info_name is not None:
            kwargs[info_name] = info_class(_raw_info=info, _field=field)
        if takes_self:
            return function(source, **kwargs)
        return function(**kwargs)

    resolve.__name__ = resolve.__qualname__ = f"lean_{field.python_name}"
    return resolve


def _is_plain_value(schema: strawberry.Schema, annotation: object) -> bool:
    # What Strawberry's argument conversion hands over unchanged: a scalar or an enum, or null.
    if isinstance(annotation, StrawberryMaybe | StrawberryList):
        return False
    if isinstance(annotation, StrawberryOptional):
        return _is_plain_value(schema, annotation.of_type)
    if annotation is GlobalID:
        return False
    if isinstance(annotation, StrawberryEnumDefinition) or has_enum_definition(annotation):
        return True
    return is_scalar(annotation, schema.schema_converter.scalar_registry)
