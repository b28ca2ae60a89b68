"""Valid requests for every target, with real records and plain values in the other fields."""

import json
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_required_argument,
    is_required_input_field,
)

from tests.factories import add_member, create_person, create_product, create_team, unique
from tests.helpers import API, Client
from tests.security.hostile.targets import GRAPHQL, REST, Form, Target, json_body, resolve


class _Omit:
    """A field left out of the request: a cursor has no plain value a client could make up."""


OMIT = _Omit()


# Real records and plain values -----------------------------------------------------------------

PLAIN_TEXT = "Plain words anyone might write"


@dataclass
class Records:
    """Real records for a test's requests to name, each made the first time it is asked for."""

    client: Client
    made: dict[str, Any] = field(default_factory=dict)

    async def team(self) -> str:
        """A team, with a lead (`person`) and a product once they are asked for."""
        if "team" not in self.made:
            self.made["team"] = (await create_team(self.client))["slug"]
        slug: str = self.made["team"]
        return slug

    async def person(self) -> dict[str, Any]:
        """The team's lead."""
        if "person" not in self.made:
            person = await create_person(self.client)
            await add_member(self.client, await self.team(), person["id"], role="lead")
            self.made["person"] = person
        lead: dict[str, Any] = self.made["person"]
        return lead

    async def person_id(self) -> str:
        """The lead's id."""
        return str((await self.person())["id"])

    async def product(self) -> str:
        """The team's product."""
        if "product" not in self.made:
            product = await create_product(self.client, team=await self.team())
            self.made["product"] = product["slug"]
        slug: str = self.made["product"]
        return slug

    async def empty_team(self) -> str:
        """A team that owns nothing, so it can be archived."""
        if "empty_team" not in self.made:
            self.made["empty_team"] = (await create_team(self.client))["slug"]
        slug: str = self.made["empty_team"]
        return slug

    async def token_id(self) -> str:
        """A viewer token's id."""
        if "token_id" not in self.made:
            body = {"name": unique("hostile"), "role": "viewer"}
            response = await self.client.post(f"{API}/tokens", json=body)
            assert response.status_code == 201, response.text
            self.made["token_id"] = response.json()["id"]
        token_id: str = self.made["token_id"]
        return token_id

    async def joiner(self) -> str:
        """A new person on no team: each join needs one, or it is a conflict."""
        return str((await create_person(self.client))["id"])

    async def exception_max(self) -> int:
        """A maximum a size exception may grant: above the guideline in force now, which other
        tests of this module may have changed."""
        response = await self.client.get(f"{API}/guidelines/team-size")
        assert response.status_code == 200, response.text
        return int(response.json()["acceptable_max"]) + 2

    async def revision(self, document: str) -> int:
        """A saved revision of the product's `prfaq` or `security-faq`, to read, diff or review."""
        if document not in self.made:
            body: dict[str, Any] = {"headline": PLAIN_TEXT} if document == "prfaq" else {}
            path = f"{API}/products/{await self.product()}/{document}/revisions"
            response = await self.client.post(path, json=body)
            assert response.status_code == 201, response.text
            self.made[document] = response.json()["number"]
        number: int = self.made[document]
        return number

    async def kind(self) -> str:
        """A kind of checkpoint of this test's own, which an admin signs off, so the admin the
        requests are sent as may do everything to it."""
        if "kind" not in self.made:
            key = unique("hostile").replace("-", "_")
            body = {
                "key": key,
                "name": PLAIN_TEXT,
                "sign_off": "reviewer",
                "reviewer_role": "admin",
            }
            response = await self.client.post(f"{API}/checkpoint-kinds", json=body)
            assert response.status_code == 201, response.text
            self.made["kind"] = key
        key_made: str = self.made["kind"]
        return key_made

    async def result_id(self) -> str:
        """A result of the product's checkpoint of `kind`, to name as evidence."""
        if "result" not in self.made:
            path = f"{API}/products/{await self.product()}/checkpoints/{await self.kind()}/results"
            response = await self.client.post(path, json={"outcome": "passed"})
            assert response.status_code == 201, response.text
            self.made["result"] = response.json()["id"]
        result: str = self.made["result"]
        return result

    async def waiver(self) -> None:
        """An active waiver of the product's checkpoint of `kind`."""
        if "waiver" not in self.made:
            path = f"{API}/products/{await self.product()}/checkpoints/{await self.kind()}/waiver"
            body = {"justification": PLAIN_TEXT, "expires_at": _next_month()}
            response = await self.client.put(path, json=body)
            assert response.status_code == 200, response.text
            self.made["waiver"] = True

    async def finding_id(self) -> str:
        """A finding of the product."""
        if "finding" not in self.made:
            body = {
                "checkpoint": await self.kind(),
                "tool": "hostile",
                "findings": [{"title": PLAIN_TEXT, "severity": "low", "fingerprint": "f-1"}],
            }
            path = f"{API}/products/{await self.product()}/findings"
            response = await self.client.post(path, json=body)
            assert response.status_code == 200, response.text
            self.made["finding"] = response.json()["items"][0]["id"]
        finding: str = self.made["finding"]
        return finding

    async def size_exception(self) -> None:
        """Give the team a size exception, so there is one to read and withdraw."""
        if "size_exception" not in self.made:
            body = {
                "max_size": await self.exception_max(),
                "justification": "A migration needs every hand for a while",
            }
            path = f"{API}/teams/{await self.team()}/size-exception"
            response = await self.client.put(path, json=body)
            assert response.status_code in (200, 201), response.text
            self.made["size_exception"] = True


_DOCUMENTS = ("prfaq", "security-faq")


async def _by_name(operation: str, name: str, records: Records) -> Any:
    """The value a field's name calls for in an operation, or None when its type decides."""
    # One spelling for REST's and GraphQL's names: `person_id` and `personId` are `personid`.
    key, action = name.replace("_", "").lower(), operation.lower()
    if action.endswith("sizeexception") and not action.startswith("grant"):
        await records.size_exception()  # there must be one to read or withdraw
    document = next((name for name in _DOCUMENTS if name.replace("-", "") in action), None)
    if key in ("number", "revision", "against") and document:
        return await records.revision(document)
    if key == "key" and action.endswith("securityfaqtemplate"):
        return unique("question")
    if key == "key" and document:
        return "data-collected"  # a question of the default template
    if key == "questions" and action.endswith("securityfaqtemplate"):
        return [{"key": unique("question"), "question": PLAIN_TEXT, "required_for": ["public"]}]
    if key in ("key", "kind", "checkpoint") and ("checkpoint" in action or "finding" in action):
        if action == "createcheckpointkind":
            return unique("hostile").replace("-", "_")
        if action.endswith("waiver") and not action.startswith("waive"):
            await records.waiver()  # there must be one to read or revoke
        return await records.kind()
    if key == "commitsha":
        return "9f2c1e7"
    if key in ("detailsurl", "pipelineurl"):
        return "https://ci.example.com/runs/1"
    if key == "reviewerrole":
        return "admin"
    if key == "evidence":  # a list of them where the field is the list
        return await records.result_id()
    if key == "resultid":
        return await records.result_id()
    if key == "findingid":
        return await records.finding_id()
    if key == "slug" and ("checkpoint" in action or "finding" in action):
        return await records.product()
    if key == "product" or (key == "slug" and document):
        return await records.product()
    if key == "slug" and action.startswith("create"):
        return unique("hostile")
    if key == "slug" and action == "archiveteam":  # a team that owns a live product stays
        return await records.empty_team()
    if key == "slug":
        return await (records.product() if "product" in action else records.team())
    if key == "team":
        return await records.team()
    if key in ("personid", "id"):
        return await (records.joiner() if action.startswith("add") else records.person_id())
    if key == "tokenid":
        return await records.token_id()
    if key == "email" and action.startswith(("create", "update")):
        return f"{unique('hostile')}@example.com"
    if key == "email":
        return (await records.person())["email"]
    if key == "recordid":
        return await records.person_id()
    if key == "products":
        return await records.product()
    if key == "maxsize":  # above the guideline's acceptable_max
        return await records.exception_max()
    if key in ("cursor", "after"):
        return OMIT
    return None


def _today() -> str:
    return date.today().isoformat()


def _next_month() -> str:
    return (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()


async def _rest_value(operation: str, name: str, schema: dict[str, Any], records: Records) -> Any:
    """A plain, valid value for a REST field; an object gets its required fields."""
    schema = resolve(schema)
    named = await _by_name(operation, name, records)
    if named is not None:
        return [named] if schema.get("type") == "array" and not isinstance(named, list) else named
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind, form = schema.get("type"), schema.get("format")
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            key: await _rest_value(operation, key, properties[key], records)
            for key in schema.get("required", [])
        }
    if kind == "array":
        return []
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if form == "date":
        return _today()
    if form == "date-time":
        return _next_month()
    if form == "uuid":
        return await records.person_id()
    return PLAIN_TEXT[: schema.get("maxLength", len(PLAIN_TEXT))]


async def _graphql_value(operation: str, name: str, gtype: Any, records: Records) -> Any:
    """A plain, valid value for a GraphQL input; an input object gets its required fields."""
    named = await _by_name(operation, name, records)
    listed = isinstance(get_nullable_type(gtype), GraphQLList)
    if named is not None:
        return [named] if listed and not isinstance(named, list) else named
    gtype = get_nullable_type(gtype)
    if isinstance(gtype, GraphQLList):
        return []
    if isinstance(gtype, GraphQLInputObjectType):
        return {
            key: await _graphql_value(operation, key, input_field.type, records)
            for key, input_field in gtype.fields.items()
            if is_required_input_field(input_field)
        }
    if isinstance(gtype, GraphQLEnumType):
        return next(iter(gtype.values))
    plain = {"Int": 1, "Float": 1.0, "Boolean": False, "Date": _today()}
    if gtype.name in plain:
        return plain[gtype.name]
    if gtype.name == "DateTime":
        return _next_month()
    if gtype.name == "UUID":
        return await records.person_id()
    return PLAIN_TEXT


def _root(target: Target) -> GraphQLObjectType:
    root = GRAPHQL.query_type if target.place == "query" else GRAPHQL.mutation_type
    assert root is not None
    return root


async def plain(target: Target, records: Records) -> Any:
    """A valid value for the target's field."""
    if target.face == "rest":
        _, _, operation = REST[target.operation]
        if target.place == "body":
            schema = json_body(operation)
            assert schema is not None
            for part in target.path:
                schema = resolve(schema)
                schema = schema["items"] if part == "[]" else schema["properties"][part]
        else:
            (schema,) = (
                parameter["schema"]
                for parameter in operation["parameters"]
                if parameter["name"] == target.path[0]
            )
        return await _rest_value(target.operation, target.name, schema, records)
    root_field = _root(target).fields[target.operation]
    definitions: Any = root_field.args
    if target.subfield is not None:
        record = get_named_type(root_field.type)
        assert isinstance(record, GraphQLObjectType)
        definitions = record.fields[target.subfield].args
    gtype: Any = None
    for part in target.path:
        if part == "[]":
            gtype = get_nullable_type(gtype).of_type
        else:
            gtype = definitions[part].type
            named = get_named_type(gtype)
            definitions = named.fields if isinstance(named, GraphQLInputObjectType) else {}
    return await _graphql_value(target.operation, target.name, gtype, records)


# Requests ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """An HTTP request with its body encoded."""

    method: str
    url: str
    body: bytes | None

    async def send(self, client: Client) -> httpx.Response:
        """Send it."""
        headers = {"Content-Type": "application/json"} if self.body is not None else {}
        return await client.request(self.method, self.url, content=self.body, headers=headers)


def _json(document: Any) -> bytes:
    # Not httpx's `json=`: it encodes with ensure_ascii=False and so cannot send a lone
    # surrogate, which a client may well send as the escape `\ud800` (JSON allows it).
    return json.dumps(document).encode()


def _in_url(value: str) -> str:
    # A lone surrogate has no UTF-8; a careless client sends the three bytes all the same.
    return urllib.parse.quote(value.encode("utf-8", "surrogatepass"), safe="")


# Fields a request needs beside the target's, where a rule across fields decides.
_ALONGSIDE: dict[tuple[str, str], dict[str, Any]] = {
    ("createToken", "products"): {"role": "ci"},  # only a ci token lists products
    # Only a reviewer kind names the role that signs it off.
    ("createCheckpointKind", "reviewer_role"): {"sign_off": "reviewer"},
    ("updateCheckpointKind", "reviewer_role"): {"sign_off": "reviewer"},
    ("updateCheckpointKind", "sign_off"): {"reviewer_role": None},
    # Only an accepted risk has an expiry, and a reason.
    ("updateFinding", "risk_expires_at"): {"status": "accepted_risk", "reason": PLAIN_TEXT},
}


async def _rest_request(target: Target, records: Records, value: Any) -> Request:
    method, url, operation = REST[target.operation]
    query: list[str] = []
    for parameter in operation.get("parameters", []):
        name, where = parameter["name"], parameter["in"]
        if (where, (name,)) == (target.place, target.path):
            text = value
        elif where == "path":
            text = await _rest_value(target.operation, name, parameter["schema"], records)
        else:
            continue
        if text is OMIT:
            continue
        if where == "path":
            url = url.replace(f"{{{name}}}", _in_url(str(text)))
        else:
            query.append(f"{name}={_in_url(str(text))}")
    body = None
    schema = json_body(operation)
    if schema is not None:
        document = await _rest_value(target.operation, "", schema, records)
        if target.place == "body":
            document.update(_ALONGSIDE.get((target.operation, target.name), {}))
            *parents, last = target.path
            if last == "[]":
                *parents, last = parents
                value = [value]
            inside, at = document, resolve(schema)
            for index, part in enumerate(parents):
                if part == "[]":  # a field of the objects in a list: the list's first one,
                    at = resolve(at["items"])  # with its other required fields
                    if not inside:
                        inside.append(await _rest_value(target.operation, "", at, records))
                    inside = inside[0]
                else:
                    at = resolve(at["properties"][part])
                    listed = parents[index + 1 : index + 2] == ["[]"]
                    inside = inside.setdefault(part, [] if listed else {})
            if value is not OMIT:
                inside[last] = value
        body = _json(document)
    return Request(method, f"{url}?{'&'.join(query)}" if query else url, body)


def _string_literal(value: str, raw: bool) -> str:
    if raw:
        # Only what would end the string or the line is escaped; the rest goes in as it is.
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'
    # JSON's string escapes are all GraphQL escapes too, and it writes any character outside
    # ASCII as \uXXXX, a lone surrogate included: a correctly escaped GraphQL string.
    return json.dumps(value)


def _literal(value: Any, gtype: Any, raw: bool) -> str:
    """`value` written as a GraphQL literal of type `gtype`."""
    gtype = get_nullable_type(gtype)
    if value is None:
        return "null"
    if isinstance(gtype, GraphQLList):
        return f"[{', '.join(_literal(item, gtype.of_type, raw) for item in value)}]"
    if isinstance(gtype, GraphQLInputObjectType):
        fields = (
            f"{key}: {_literal(item, gtype.fields[key].type, raw)}" for key, item in value.items()
        )
        return f"{{{', '.join(fields)}}}"
    if isinstance(gtype, GraphQLEnumType):
        return str(value)
    if not isinstance(value, str):
        return json.dumps(value)  # numbers and booleans are written alike in both
    return _string_literal(value, raw)


def _selection(gtype: GraphQLOutputType) -> str:
    """The leaves of a returned type, so the answer writes back what was kept (or counted)."""
    record = get_named_type(gtype)
    if not isinstance(record, GraphQLObjectType):
        return ""
    leaves = [
        name
        for name, child in record.fields.items()
        if is_leaf_type(get_named_type(child.type))
        and not any(is_required_argument(argument) for argument in child.args.values())
    ]
    return f"{{ {' '.join(['__typename', *leaves])} }}"


@dataclass
class _Arguments:
    """The arguments of one field, to be written as literals or passed as variables."""

    definitions: dict[str, GraphQLArgument]
    values: dict[str, Any]
    prefix: str

    def write(self, form: Form, declared: list[str], variables: dict[str, Any]) -> str:
        """The arguments as the document writes them, declaring and setting any variables."""
        parts = []
        for name, value in self.values.items():
            argument_type = self.definitions[name].type
            if form == "variable":
                variable = f"{self.prefix}{name}"
                declared.append(f"${variable}: {argument_type}")
                variables[variable] = value
                parts.append(f"{name}: ${variable}")
            else:
                parts.append(f"{name}: {_literal(value, argument_type, form == 'raw literal')}")
        return f"({', '.join(parts)})" if parts else ""


async def _graphql_put(
    values: dict[str, Any],
    definitions: dict[str, GraphQLArgument] | dict[str, GraphQLInputField],
    target: Target,
    path: tuple[str, ...],
    value: Any,
    records: Records,
) -> None:
    """Put `value` at `path`, making the input objects on the way with their required fields."""
    name, rest = path[0], path[1:]
    if rest == ("[]",):
        values[name] = [value]
    elif rest[:1] == ("[]",):
        # A field of the objects in a list: one object, with its other required fields.
        item_type = get_named_type(definitions[name].type)
        assert isinstance(item_type, GraphQLInputObjectType)
        item = await _graphql_value(target.operation, name, item_type, records)
        await _graphql_put(item, item_type.fields, target, rest[1:], value, records)
        values[name] = [item]
    elif not rest:
        if value is not OMIT:
            values[name] = value
    else:
        input_type = get_named_type(definitions[name].type)
        assert isinstance(input_type, GraphQLInputObjectType)
        if name not in values:
            values[name] = await _graphql_value(target.operation, name, input_type, records)
        await _graphql_put(values[name], input_type.fields, target, rest, value, records)


async def _graphql_request(target: Target, records: Records, value: Any, form: Form) -> Request:
    root = _root(target).fields[target.operation]
    root_arguments = _Arguments(dict(root.args), {}, "root_")
    for name, definition in root.args.items():
        if is_required_argument(definition):
            root_arguments.values[name] = await _graphql_value(
                target.operation, name, definition.type, records
            )
    declared: list[str] = []
    variables: dict[str, Any] = {}
    if target.subfield is None:
        await _graphql_put(root_arguments.values, root.args, target, target.path, value, records)
        selection = _selection(root.type)
    else:
        record = get_named_type(root.type)
        assert isinstance(record, GraphQLObjectType)
        child = record.fields[target.subfield]
        child_arguments = _Arguments(dict(child.args), {}, "child_")
        await _graphql_put(child_arguments.values, child.args, target, target.path, value, records)
        written = child_arguments.write(form, declared, variables)
        selection = f"{{ {target.subfield}{written} {_selection(child.type)} }}"
    written = root_arguments.write(form, declared, variables)
    header = f"{target.place}({', '.join(declared)})" if declared else target.place
    document = f"{header} {{ {target.operation}{written} {selection} }}"
    return Request("POST", "/graphql", _json({"query": document, "variables": variables}))


async def request(target: Target, records: Records, value: Any, form: Form) -> Request:
    """The valid request for the target's operation, with `value` in the target's field."""
    if target.face == "rest":
        return await _rest_request(target, records, value)
    return await _graphql_request(target, records, value, form)
