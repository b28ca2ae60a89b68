"""Every part of both contracts says what it is, so a client's code generator and a person
reading GraphiQL, Swagger UI or Scalar never meet a bare name.

GraphQL is read by introspection from the live app, as a client reads it; OpenAPI from the
document the live app serves.
"""

from typing import Any

from graphql import get_introspection_query

from tests.helpers import Client

# GraphQL's own scalars are described by the specification.
_BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def _undescribed_graphql(schema: dict[str, Any]) -> list[str]:
    missing: list[str] = []
    for kind in schema["types"]:
        name = kind["name"]
        if name.startswith("__") or name in _BUILT_IN:
            continue
        if not kind.get("description"):
            missing.append(f"type {name}")
        for field in kind.get("fields") or []:
            if not field.get("description"):
                missing.append(f"field {name}.{field['name']}")
            missing.extend(
                f"argument {name}.{field['name']}({argument['name']})"
                for argument in field["args"]
                if not argument.get("description")
            )
        missing.extend(
            f"input field {name}.{field['name']}"
            for field in kind.get("inputFields") or []
            if not field.get("description")
        )
        missing.extend(
            f"enum value {name}.{value['name']}"
            for value in kind.get("enumValues") or []
            if not value.get("description")
        )
    return missing


async def test_every_graphql_type_field_argument_and_value_is_described(client: Client) -> None:
    response = await client.post("/graphql", json={"query": get_introspection_query()})
    assert response.status_code == 200, response.text
    schema = response.json()["data"]["__schema"]
    missing = _undescribed_graphql(schema)
    assert not missing, f"{len(missing)} without a description:\n" + "\n".join(missing)


async def test_every_openapi_operation_and_property_is_described(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    missing: list[str] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for part in ("summary", "description"):
                if not operation.get(part):
                    missing.append(f"{part} of {method.upper()} {path}")
            missing.extend(
                f"parameter {parameter['name']} of {method.upper()} {path}"
                for parameter in operation.get("parameters", [])
                if not parameter.get("description")
            )
    for name, schema in document["components"]["schemas"].items():
        missing.extend(
            f"property {name}.{prop}"
            for prop, definition in (schema.get("properties") or {}).items()
            if not definition.get("description")
        )
    assert not missing, f"{len(missing)} without a description:\n" + "\n".join(missing)
