"""A property-based run of schemathesis against the committed `schema/openapi.json`, with a token.

Every REST operation the document describes (GraphQL has its own tests) is called with requests
schemathesis derives from the document alone: its coverage phase (boundary values, missing and
malformed parameters, wrong types), documented examples, and bounded random fuzzing, both valid
and invalid input. Each response must:

- not be a 5xx (`not_a_server_error`);
- conform to the document: a documented status code, its content type, a body that matches the
  response schema, and the documented headers (`status_code_conformance`,
  `content_type_conformance`, `response_schema_conformance`, `response_headers_conformance`);
- accept what the document calls valid and refuse what it calls invalid
  (`positive_data_acceptance`, `negative_data_rejection`), refuse a missing required header and
  an undocumented method (`missing_required_header`, `unsupported_method`);
- enforce the token the document asks for: schemathesis sends the call again without it and
  with a made-up one and expects 401 (`ignored_auth`).

Left out, on purpose:

- `use_after_free`: teams, products and people are archived by DELETE, never destroyed; by
  contract they stay readable afterwards, which this check would call a failure.
- `ensure_resource_availability` and `object_level_authorization`: they follow records a
  stateful run created (and compare two identities); this run is stateless, one operation at a
  time. The role table walk (tests/identity/test_role_table.py) takes every role separately.
- `max_response_time` is not set: a CI machine's timing is not the API's behaviour.

Outcomes that a schema cannot express are accepted for valid-looking input: a cursor that is
well-formed text but was not issued by the API (400), an `If-Match` that names another version
(412), references to records that do not exist or are archived, and rules across fields
(`until` after `since`, a `ci` token lists a product) (422).

The app runs under uvicorn in a thread, on the test database, with an app of its own: the
session's app lives in the test's event loop, which a synchronous Hypothesis test would block.
For each case that names records, Hypothesis decides whether it names fresh real ones (a
team with a member and a product, and a token, made just before), so lookups and writes reach
real records as well as missing ones. The run is derandomised and bounded (`MAX_EXAMPLES` per
operation, set by `PIZZABOX_FUZZ_EXAMPLES`).
"""

import itertools
import json
import os
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from litestar import Litestar
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import use_after_free
from sqlalchemy import Table

from api.app import create_app
from api.core.access import Role
from tests.conftest import empty_tables
from tests.core.fuzz_rules import RULE_422_OPERATIONS
from tests.helpers import API, Client, app_engine, bearer, issue_token, settings_for

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema" / "openapi.json"
# Examples per operation; raise it for a longer run, e.g. PIZZABOX_FUZZ_EXAMPLES=200.
MAX_EXAMPLES = int(os.environ.get("PIZZABOX_FUZZ_EXAMPLES", "25"))

_ACCEPTED = ["2xx", "401", "403", "404", "409"]


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-operation settings: which refusals of valid input are not failures."""
    extra: dict[str, list[str]] = {operation_id: ["422"] for operation_id in RULE_422_OPERATIONS}
    for item in document["paths"].values():
        for operation in item.values():
            names = {parameter["name"].lower() for parameter in operation.get("parameters", [])}
            statuses = extra.setdefault(operation["operationId"], [])
            if "cursor" in names:  # well-formed text, but not a cursor this API issued
                statuses.append("400")
            if "if-match" in names:  # an ETag of another version
                statuses.append("412")
    # Schemathesis applies the first entry that matches, so one entry per operation.
    return [
        {
            "include-operation-id": operation_id,
            "checks": {"positive_data_acceptance": {"expected-statuses": _ACCEPTED + statuses}},
        }
        for operation_id, statuses in sorted(extra.items())
        if statuses
    ]


# A generated request for any of the document's operations.
Case = schemathesis.Case[Any]

DOCUMENT: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "ensure_resource_availability": {"enabled": False},
            "object_level_authorization": {"enabled": False},
        },
        "operations": _operations(DOCUMENT),
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG).exclude(path_regex="^/graphql")
# The admin token of the running app; `live_api` issues it.
_TOKEN: dict[str, str] = {}


@schema.auth(refresh_interval=None)
class AdminToken:
    """Send the admin token as the document's `bearerAuth` asks.

    As an auth provider (not a fixed header), schemathesis knows the token is the real one: it
    leaves it out of cases that test a missing or malformed `Authorization`, and `ignored_auth`
    can take it away to check that the API then refuses the call.
    """

    def get(self, case: Case, context: schemathesis.AuthContext) -> str:
        """The token."""
        return _TOKEN["secret"]

    def set(self, case: Case, data: str, context: schemathesis.AuthContext) -> None:
        """Put it on the case."""
        case.headers["Authorization"] = f"Bearer {data}"


@dataclass
class LiveApi:
    """The app served over HTTP, and an admin's client for making records to aim at."""

    base_url: str
    session: requests.Session
    client: httpx.Client
    serial: Iterator[int] = field(default_factory=itertools.count)

    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """A new record, made with the admin token."""
        response = self.client.post(path, json=body)
        assert response.status_code == 201, (path, response.text)
        record: dict[str, Any] = response.json()
        return record

    def records(self, case: Case) -> dict[str, str]:
        """Fresh records for a case to name: a team with a member and a product, and a token.

        Fresh for every case, because earlier cases archive, rename and revoke what they reach.
        """
        n = next(self.serial)
        team = self.create("/teams", {"slug": f"fuzz-team-{n}", "name": "Fuzz", "org": "fuzz"})
        person = self.create(
            "/people",
            {
                "email": f"fuzz-{n}@example.com",
                "name": "Fuzz Person",
                "job_family": "engineering",
                "home_org": "fuzz",
            },
        )
        self.create(f"/teams/{team['slug']}/members", {"person_id": person["id"], "role": "lead"})
        product = self.create(
            "/products",
            {
                "slug": f"fuzz-product-{n}",
                "name": "Fuzz product",
                "team": team["slug"],
                "data_classification": "internal",
            },
        )
        records = {"team": team["slug"], "product": product["slug"], "person_id": person["id"]}
        if "token_id" in case.path_parameters:
            token = self.create("/tokens", {"name": f"fuzz-{n}", "role": "viewer"})
            records["token_id"] = token["id"]
        return records


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # a thread may not install them
        pass


@pytest.fixture(scope="module")
def served(migrated_database: str) -> Iterator[str]:
    """A fresh app on the test database, served by uvicorn in a thread; yields its base URL."""
    # No rate limits: the run sends bad credentials on purpose, far more than a minute allows.
    live = create_app(settings_for(migrated_database))
    # The plain asyncio loop: this thread may collect garbage (pooled connections) that other
    # tests made on their own loops, which uvloop does not survive.
    config = uvicorn.Config(live, host="127.0.0.1", port=0, log_level="warning", loop="asyncio")
    server = _Server(config)
    thread = threading.Thread(target=server.run, name="fuzz-uvicorn", daemon=True)
    thread.start()
    for _ in range(300):
        if server.started or not thread.is_alive():
            break
        threading.Event().wait(0.05)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
async def live_api(
    app: Litestar, running_client: Client, tables: list[Table], served: str
) -> AsyncIterator[LiveApi]:
    """The served app on empty tables, with an admin token."""
    await empty_tables(app_engine(app), tables)
    _TOKEN["secret"] = await issue_token(app, Role.ADMIN, name="fuzz")
    headers = bearer(_TOKEN["secret"])
    with (
        requests.Session() as session,
        httpx.Client(base_url=f"{served}{API}", headers=headers) as client,
    ):
        yield LiveApi(base_url=served, session=session, client=client)


def _aim(case: Case, data: st.DataObject, api: LiveApi) -> None:
    """Point some cases at real records, as Hypothesis decides, so they reach past the 404s.

    Path parameters, and the references a body makes (a product's team, a new member), are
    changed only where schemathesis generated them valid: a part made invalid on purpose must
    stay invalid, or its 2xx would look like a failure.
    """
    meta = case.meta
    path_ok = bool(case.path_parameters) and not (
        meta is not None and meta.is_negative_at(ParameterLocation.PATH)
    )
    body = case.body if isinstance(case.body, dict) else None
    body_ok = (
        body is not None
        and bool({"team", "person_id"} & set(body))
        and not (meta is not None and meta.is_negative_at(ParameterLocation.BODY))
    )
    if not (path_ok or body_ok) or not data.draw(st.booleans(), label="aim at real records"):
        return
    records = api.records(case)
    if path_ok:
        for name in case.path_parameters:
            if name == "slug":
                is_team = case.path.startswith(f"{API}/teams")
                case.path_parameters[name] = records["team" if is_team else "product"]
            elif name in records:
                case.path_parameters[name] = records[name]
    if body_ok and body is not None:
        if "team" in body:
            body["team"] = records["team"]
        if "person_id" in body and case.path.endswith("/members"):
            # The fresh person is on the fresh team already; someone new can join it.
            body["person_id"] = api.create(
                "/people",
                {
                    "email": f"fuzz-new-{next(api.serial)}@example.com",
                    "name": "Fuzz Joiner",
                    "job_family": "design",
                    "home_org": "fuzz",
                },
            )["id"]


@schema.parametrize()
@schema.given(data=st.data())
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_rest_api_conforms_to_its_schema(
    case: Case, data: st.DataObject, live_api: LiveApi
) -> None:
    """No 5xx, and every response is one the document describes."""
    _aim(case, data, live_api)
    case.call_and_validate(
        base_url=live_api.base_url,
        session=live_api.session,
        excluded_checks=[use_after_free],
    )


# Emails on the edge of `\s`, which means a different set of characters in the document's regex
# dialect (ECMA-262, what clients and schemathesis check with) than in pydantic's (Rust).
_TRICKY_EMAILS = [
    "a\x85b@example.com",  # NEXT LINE: whitespace to pydantic, not to ECMA-262
    "a\ufeffb@example.com",  # BYTE ORDER MARK: whitespace to ECMA-262, not to pydantic
    "a\x1cb@example.com",  # a control character
    "a\u2028b@example.com",  # LINE SEPARATOR: whitespace to both
    "plain@example.com",
]


@pytest.mark.parametrize("email", _TRICKY_EMAILS)
async def test_the_document_and_the_api_agree_on_emails(client: Client, email: str) -> None:
    """An email the document calls valid is accepted, and one it calls invalid is refused.

    Fuzzing found both directions apart: the API refused an email with U+0085 that the
    document allows, and accepted one with U+FEFF that the document forbids.
    """
    documented = DOCUMENT["components"]["schemas"]["PersonCreate"]["properties"]["email"]
    valid = jsonschema_rs.validator_for(documented).is_valid(email)
    body = {"email": email, "name": "Edge", "job_family": "engineering", "home_org": "fuzzing"}
    response = await client.post(f"{API}/people", json=body)
    assert response.status_code == (201 if valid else 422), (email, valid, response.text)
