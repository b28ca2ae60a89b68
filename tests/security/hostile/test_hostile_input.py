"""Hostile dates, times and text in every field a client fills in, and never a server error.

The fields come from the committed contract, so a field added later is covered without an edit:

- REST (`schema/openapi.json`): every string in every JSON request body (`$ref`s followed, a
  nullable `oneOf` reduced to its value, the items of string lists too), and every string query
  and path parameter (the `date-time` and `date` ones among them).
- GraphQL (`schema/schema.graphql`): every String, Date, DateTime and UUID in the arguments of
  the root fields, inside input objects too (each mutation's `input`, each list's `filter`), and
  in the arguments of the fields of the records that root fields return (`team { health(at:) }`).

Each request starts from a valid one, so the hostile value gets past "a required field is
missing" and reaches the service and the database: required fields are filled from their schema
(enum values, defaults, formats, lengths) and with real records, made through the API when first
named (a team with a lead and a product, a new person to join it, an empty team, a token, a size
exception) and chosen by the field's name; a one-line table adds what a rule across fields needs.
Exactly one field is then replaced. `test_the_request_with_a_plain_value_succeeds` holds that
claim to account for every field, so a change of the contract cannot quietly turn these tests into
a test of 422s.

The hostile values: instants written with offsets up to 23:59 near the years 1 and 9999, which
fall outside those years in UTC (`9999-12-31T23:59:59-00:01`); malformed dates and times; lone
surrogates (sent as JSON's `\\ud800` escape, which any JSON library may send); NUL and other
control characters; bidirectional and zero-width characters; strings of 10,001 to 100,001
characters (fewer in a URL, where httpx caps the length); and ordinary text. A fixed list of
known offenders goes to every field of its kind first (its test lists every failure at once),
then Hypothesis generates more. GraphQL values go as variables, as correctly escaped string
literals, and as literals with the characters written raw inside the document (as a careless
client builds one by pasting text between quotes).

Every answer must be below 500, and no GraphQL error may be coded `INTERNAL_SERVER_ERROR`. A
failure names the exception the server logged. The generated run is derandomised and bounded:
`MAX_EXAMPLES` per field, set by `PIZZABOX_HOSTILE_EXAMPLES`.
"""

import logging
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar import Litestar

from api.core.access import Role
from tests.helpers import Client, bearer, issue_token
from tests.security.hostile.requests import Records, plain, request
from tests.security.hostile.targets import OPENAPI, TARGETS, Form, Target
from tests.security.hostile.values import hostile, known_hostile

# Generated values per field; raise it for a longer run, e.g. PIZZABOX_HOSTILE_EXAMPLES=100.
MAX_EXAMPLES = int(os.environ.get("PIZZABOX_HOSTILE_EXAMPLES", "5"))


@pytest.fixture(scope="module")
async def admin(app: Litestar, running_client: Client) -> AsyncIterator[Client]:
    """An admin's client of its own; an exception that escapes the app comes back as a 500."""
    token = await issue_token(app, Role.ADMIN, name="hostile")
    # httpx types the ASGI app more narrowly than Litestar's own signature; it is one.
    transport = httpx.ASGITransport(app=cast(Any, app), raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=bearer(token)
    ) as client:
        yield client


@pytest.fixture
def records(admin: Client) -> Records:
    """Fresh records for one test, made as its requests name them."""
    return Records(admin)


@pytest.fixture(scope="module")
def shared_records(admin: Client) -> Records:
    """Records for every read and every hostile request to name, made as they are asked for."""
    # A hostile value changes no record another request needs: the operations that archive,
    # end, withdraw or revoke take as text only the record's own slug or id, and a hostile one
    # names no record. Plain values for them do, and get fresh records (`records`).
    return Records(admin)


@pytest.fixture
def server_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The errors the app logs, to name the exception behind a failure."""
    caplog.set_level(logging.ERROR)
    return caplog


def _shown(value: str) -> str:
    if len(value) > 60:
        return f"{value[:20]!r}... ({len(value)} characters)"
    return repr(value)


def _server_error(response: httpx.Response) -> str | None:
    """What is wrong with an answer: a 5xx, or a GraphQL error the server did not expect."""
    if response.status_code >= 500:
        return f"{response.status_code} {response.text[:160]}"
    if response.request.url.path != "/graphql":
        return None
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        return f"{response.status_code} and not JSON: {response.text[:160]}"
    for error in errors:
        if (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR":
            return f"INTERNAL_SERVER_ERROR at {error.get('path')}"
    return None


async def _attempt(
    client: Client,
    target: Target,
    records: Records,
    value: str,
    form: Form,
    server_log: pytest.LogCaptureFixture,
) -> str | None:
    """Send one hostile value; what went wrong, with the server's exception, or None."""
    prepared = await request(target, records, value, form)
    seen = len(server_log.records)
    problem = _server_error(await prepared.send(client))
    if problem is None:
        return None
    logged = [
        f"{type(record.exc_info[1]).__name__}: {str(record.exc_info[1]).splitlines()[0]}"
        for record in server_log.records[seen:]
        if record.exc_info and record.exc_info[1] is not None
    ]
    sent = "" if form == "rest" else f" as a {form}"
    return f"{target} = {_shown(value)}{sent} -> {problem}; server: {'; '.join(logged)}"


def _plain_cases() -> Iterator[Any]:
    literal_checked: set[tuple[str, str | None]] = set()
    for target in TARGETS:
        yield pytest.param(target, target.forms[0], id=f"{target}:{target.forms[0]}")
        # Around a literal, the document is the same for every field of an operation, and every
        # plain value is written as a string: one field per document checks the writing.
        document = (target.operation, target.subfield)
        if target.face == "graphql" and document not in literal_checked:
            literal_checked.add(document)
            yield pytest.param(target, "literal", id=f"{target}:literal")


@pytest.mark.parametrize(("target", "form"), list(_plain_cases()))
async def test_the_request_with_a_plain_value_succeeds(
    target: Target, form: Form, admin: Client, records: Records, shared_records: Records
) -> None:
    """The request each hostile value goes in is valid, so the value is what gets tested."""
    # A plain value can archive, end or withdraw what it names: writes get records of their own.
    named = records if target.writes else shared_records
    value = await plain(target, named)
    response = await (await request(target, named, value, form)).send(admin)
    assert response.status_code < 300, (str(target), value, response.text)
    if target.face == "graphql":
        assert "errors" not in response.json(), (str(target), value, response.text)


@pytest.mark.parametrize("target", TARGETS, ids=str)
async def test_known_hostile_values_are_answered_without_a_server_error(
    target: Target, admin: Client, shared_records: Records, server_log: pytest.LogCaptureFixture
) -> None:
    """Each known offender gets a client error at worst, in every field of its kind."""
    # An escaped literal adds little here: the lexer refuses `\ud800` and decodes `\u0000` to
    # what a variable sends. Hypothesis draws it among the others.
    forms = [form for form in target.forms if form != "literal"]
    failures = [
        failure
        for value in known_hostile(target)
        for form in forms
        if (failure := await _attempt(admin, target, shared_records, value, form, server_log))
    ]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("target", TARGETS, ids=str)
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    # A failure names its value and the server's exception; shrinking it would cost minutes.
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
async def test_generated_hostile_values_are_answered_without_a_server_error(
    target: Target,
    admin: Client,
    shared_records: Records,
    server_log: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    """Whatever date, time or text Hypothesis writes into a field, the answer is not a 5xx."""
    value = data.draw(hostile(target.kind, target.in_url), label="value")
    form = data.draw(st.sampled_from(target.forms), label="form")
    failure = await _attempt(admin, target, shared_records, value, form, server_log)
    assert failure is None, failure


# Unknown query parameters -----------------------------------------------------------------------

# A path parameter's value that routes (a UUID, a number, a slug); the record need not exist, as
# the unknown parameter is refused before any handler looks for it.
_ROUTABLE = {"uuid": "00000000-0000-0000-0000-000000000000", "integer": "1", "string": "no-such"}


def _rest_operations() -> Iterator[Any]:
    for path, operations in OPENAPI["paths"].items():
        if not path.startswith("/api/v1/"):
            continue  # the probes: see below
        for method, operation in operations.items():
            url = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    schema = parameter["schema"]
                    value = _ROUTABLE[schema.get("format", schema["type"])]
                    url = url.replace("{" + parameter["name"] + "}", value)
            yield pytest.param(method.upper(), url, id=operation["operationId"])


@pytest.mark.parametrize(("method", "url"), list(_rest_operations()))
async def test_an_unknown_query_parameter_is_refused_on_every_route(
    method: str, url: str, admin: Client
) -> None:
    """A misspelt parameter is a 400 naming it, on every operation: never silently ignored."""
    response = await admin.request(method, url, params={"stagee": "building"})
    assert response.status_code == 400, (method, url, response.text)
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == ["stagee"], problem
    assert "stagee" in problem["detail"]


@pytest.mark.parametrize("probe", ["/healthz", "/readyz"])
async def test_probes_answer_whatever_their_query(probe: str, admin: Client) -> None:
    """A monitor may add a cache-busting parameter; a probe has no filter to misspell."""
    response = await admin.get(probe, params={"_": "1733150000"})
    assert response.status_code == 200, response.text
