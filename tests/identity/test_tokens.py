"""API tokens as admins and pipelines see them: created once, listed without secrets, revoked at
once, never leaked; the `pizzabox token create` command; and who the caller is (`/me`, `viewer`)."""

import asyncio
import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from click.testing import CliRunner
from litestar import Litestar
from sqlalchemy import inspect, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.cli import main
from api.core.access import Role
from api.core.config import Settings, get_settings
from api.core.policy import permissions
from tests.factories import add_member, create_person, create_product, create_team
from tests.helpers import API, Client, app_engine, assert_problem, bearer, running_lifespan

TOKENS = f"{API}/tokens"
SECRET_SHAPE = re.compile(r"^pzb_[A-Za-z0-9_-]{40,64}$")


async def _create(client: Client, **fields: Any) -> dict[str, Any]:
    response = await client.post(TOKENS, json={"name": "pipeline", "role": "viewer", **fields})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_create_shows_the_secret_once(client: Client) -> None:
    response = await client.post(TOKENS, json={"name": "portal", "role": "viewer"})

    assert response.status_code == 201, response.text
    created = response.json()
    secret = created["token"]
    assert SECRET_SHAPE.match(secret)
    assert secret.startswith(created["prefix"])
    assert len(created["prefix"]) < len(secret) // 2
    assert created["name"] == "portal"
    assert created["role"] == "viewer"
    assert created["version"] == 1
    assert created["last_used_at"] is None
    assert created["revoked_at"] is None
    assert response.headers["location"] == f"{TOKENS}/{created['id']}"
    assert response.headers["etag"]
    assert response.headers["cache-control"] == "no-store"

    fetched = await client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert "token" not in fetched.json()
    assert fetched.json()["prefix"] == created["prefix"]
    assert fetched.headers["etag"] == response.headers["etag"]
    listed = (await client.get(TOKENS)).json()["items"]
    assert created["id"] in {item["id"] for item in listed}
    assert all("token" not in item for item in listed)
    for later in (fetched, await client.get(TOKENS)):
        assert secret not in later.text
        assert secret[len(created["prefix"]) :] not in later.text
    # Two tokens never share a secret or a prefix.
    other = await _create(client)
    assert other["token"] != secret
    assert other["prefix"] != created["prefix"]


def _role_cases() -> dict[str, tuple[Callable[[str, str], dict[str, Any]], str]]:
    """Bodies that break a token rule, by (person id, product slug), and the field named."""
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    return {
        "ci without products": (lambda person, product: {"role": "ci"}, "products"),
        "ci with an unknown product": (
            lambda person, product: {"role": "ci", "products": [product, "no-such-product"]},
            "products",
        ),
        "ci acting as a person": (
            lambda person, product: {"role": "ci", "products": [product], "person_id": person},
            "person_id",
        ),
        "viewer limited to products": (
            lambda person, product: {"role": "viewer", "products": [product]},
            "products",
        ),
        "contributor without a person": (
            lambda person, product: {"role": "contributor"},
            "person_id",
        ),
        "security reviewer without a person": (
            lambda person, product: {"role": "security_reviewer"},
            "person_id",
        ),
        "unknown person": (
            lambda person, product: {
                "role": "contributor",
                "person_id": "00000000-0000-4000-8000-000000000000",
            },
            "person_id",
        ),
        "expiry in the past": (
            lambda person, product: {"role": "admin", "expires_at": past},
            "expires_at",
        ),
        "unknown role": (lambda person, product: {"role": "root"}, "role"),
        "unknown field": (lambda person, product: {"role": "admin", "scopes": ["all"]}, "scopes"),
    }


async def test_token_rules_are_checked(client: Client) -> None:
    person = await create_person(client)
    product = await create_product(client)
    before = (await client.get(TOKENS)).json()["items"]
    for case, (body_of, field) in _role_cases().items():
        body = {"name": "bad", **body_of(person["id"], product["slug"])}
        response = await client.post(TOKENS, json=body)
        assert response.status_code == 422, (case, response.text)
        assert_problem(response, 422, field=field)
    assert (await client.get(TOKENS)).json()["items"] == before


async def test_scoped_tokens_are_created_with_their_scope(client: Client) -> None:
    person = await create_person(client)
    first, second = await create_product(client), await create_product(client)
    ci = await _create(client, role="ci", products=[second["slug"], first["slug"]])
    assert ci["products"] == sorted([first["slug"], second["slug"]])
    assert ci["person_id"] is None
    contributor = await _create(client, role="contributor", person_id=person["id"])
    assert contributor["person_id"] == person["id"]
    assert contributor["products"] == []
    later = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    expiring = await _create(client, role="admin", expires_at=later.isoformat())
    assert datetime.fromisoformat(expiring["expires_at"]) == later


async def test_revoked_token_is_refused_on_the_next_request(client: Client) -> None:
    created = await _create(client, role="admin")
    location, token = f"{TOKENS}/{created['id']}", bearer(created["token"])
    assert (await client.get(f"{API}/me", headers=token)).status_code == 200

    stale = await client.delete(location, headers={"If-Match": '"0"'})
    assert_problem(stale, 412)
    assert (await client.get(f"{API}/me", headers=token)).status_code == 200

    assert (await client.delete(location)).status_code == 204

    assert_problem(await client.get(f"{API}/me", headers=token), 401)
    refused = await client.post("/graphql", json={"query": "{ viewer { name } }"}, headers=token)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    fetched = (await client.get(location)).json()
    assert fetched["revoked_at"] is not None
    assert fetched["version"] == created["version"] + 1
    assert created["id"] not in {item["id"] for item in (await client.get(TOKENS)).json()["items"]}
    everything = (await client.get(TOKENS, params={"include_revoked": "true"})).json()["items"]
    assert created["id"] in {item["id"] for item in everything}
    # Revoking again changes nothing.
    assert (await client.delete(location)).status_code == 204
    assert (await client.get(location)).json()["version"] == fetched["version"]
    events = (await client.get(f"{API}/audit-events", params={"record_id": created["id"]})).json()
    assert [event["action"] for event in events["items"]] == ["create", "revoke"]


async def test_last_used_at_is_set_once_the_token_is_used(client: Client) -> None:
    created = await _create(client)
    assert created["last_used_at"] is None
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert (
        await client.get(f"{API}/products", headers=bearer(created["token"]))
    ).status_code == 200
    fetched = (await client.get(f"{TOKENS}/{created['id']}")).json()
    assert fetched["last_used_at"] is not None
    assert datetime.fromisoformat(fetched["last_used_at"]) >= before
    # Being used is not an edit: the version stays.
    assert fetched["version"] == created["version"]


# No secret leaks --------------------------------------------------------------------------


async def _database_text(engine: AsyncEngine) -> list[str]:
    """Every value of every column of every table, as text."""
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        cells: list[str] = []
        for name in names:
            for row in await connection.execute(select(text("*")).select_from(table(name))):
                cells.extend(str(value) for value in row)
    return cells


async def test_no_secret_appears_in_responses_logs_or_columns(
    app: Litestar, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # SQL statements, their parameters and the rows they return.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    person = await create_person(client)
    team = await create_team(client)
    await add_member(client, team["slug"], person["id"])
    product = await create_product(client, team=team["slug"])

    created = [
        await _create(client, role="viewer"),
        await _create(client, role="contributor", person_id=person["id"]),
        await _create(client, role="ci", products=[product["slug"]]),
        await _create(client, role="admin", expires_at="2999-01-01T00:00:00Z"),
    ]
    admin_secret = str(client.headers["Authorization"]).removeprefix("Bearer ")
    secrets = [token["token"] for token in created] + [admin_secret]
    # The part after the prefix: the prefix itself is meant to be shown.
    hidden = [secret[16:] for secret in secrets]

    seen: list[httpx.Response] = []
    for token in created:
        auth = bearer(token["token"])
        seen.append(await client.get(f"{API}/me", headers=auth))
        seen.append(await client.get(f"{API}/products", headers=auth))
        seen.append(await client.get(f"{API}/tokens", headers=auth))
        seen.append(
            await client.post(
                "/graphql", json={"query": "{ viewer { name tokenPrefix } }"}, headers=auth
            )
        )
        seen.append(await client.get(f"{TOKENS}/{token['id']}"))
        seen.append(await client.get(f"{API}/me", headers=bearer(token["token"] + "x")))
    seen.append(await client.get(TOKENS, params={"include_revoked": "true"}))
    seen.append(await client.delete(f"{TOKENS}/{created[0]['id']}"))
    seen.append(await client.get(f"{API}/me", headers=bearer(created[0]["token"])))
    seen.append(await client.get(f"{API}/audit-events", params={"limit": 200}))
    seen.append(
        await client.post(
            "/graphql", json={"query": "{ auditEvents(first: 200) { edges { node { changes } } } }"}
        )
    )
    assert seen[0].status_code == 200
    assert seen[-1].status_code == 200
    assert any(response.status_code == 401 for response in seen)

    for response in seen:
        exposed = response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        leaked = [part for part in hidden if part in exposed]
        assert not leaked, f"{response.request.method} {response.request.url} shows a secret"

    logged = caplog.text + "\n".join(
        f"{record.getMessage()} {record.args!r}" for record in caplog.records
    )
    assert "api_tokens" in logged, "SQL logging was not captured; the log check proves nothing"
    assert not [part for part in hidden if part in logged], "a token secret was logged"

    cells = await _database_text(app_engine(app))
    assert any(token["prefix"] in cells for token in created), "the scan saw no token rows"
    stored = [part for part in hidden if any(part in cell for cell in cells)]
    assert not stored, "a token secret is stored in a column"


# The CLI ----------------------------------------------------------------------------------


@pytest.fixture
def cli_database(tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite database URL for the command, with no settings cached from elsewhere."""
    get_settings.cache_clear()
    yield f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    get_settings.cache_clear()


def _pizzabox(database_url: str, *arguments: str) -> Any:
    result = CliRunner().invoke(main, list(arguments), env={"PIZZABOX_DATABASE_URL": database_url})
    return result


async def _call_with(database_url: str, secret: str, path: str) -> httpx.Response:
    app = create_app(Settings(database_url=database_url, rate_limit_per_minute=0))
    async with running_lifespan(app):
        transport = httpx.ASGITransport(app=cast(Any, app))
        async with httpx.AsyncClient(transport=transport, base_url="http://cli") as client:
            return await client.get(path, headers=bearer(secret))


def test_cli_prints_a_working_secret_as_its_last_line(cli_database: str) -> None:
    result = _pizzabox(cli_database, "token", "create", "--name", "first-admin", "--role", "admin")

    assert result.exit_code == 0, result.output
    lines = result.output.rstrip("\n").splitlines()
    secret = lines[-1]
    assert SECRET_SHAPE.match(secret), result.output
    assert secret not in "\n".join(lines[:-1])

    me = asyncio.run(_call_with(cli_database, secret, f"{API}/me"))
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "admin"
    assert me.json()["name"] == "first-admin"
    listed = asyncio.run(_call_with(cli_database, secret, TOKENS))
    assert [item["name"] for item in listed.json()["items"]] == ["first-admin"]
    forged = "pzb_" + "A" * 43
    assert asyncio.run(_call_with(cli_database, forged, f"{API}/me")).status_code == 401


def test_cli_refuses_tokens_breaking_the_rules(cli_database: str) -> None:
    refusals = {
        ("--role", "ci"): "product",
        ("--role", "ci", "--product", "no-such-product"): "no-such-product",
        ("--role", "contributor"): "person",
        ("--role", "contributor", "--person", "nobody@example.com"): "nobody@example.com",
    }
    for arguments, complaint in refusals.items():
        result = _pizzabox(cli_database, "token", "create", "--name", "bad", *arguments)

        assert result.exit_code != 0, (arguments, result.output)
        assert complaint in result.output, (arguments, result.output)
        assert "Traceback" not in result.output
        assert not SECRET_SHAPE.match(result.output.rstrip("\n").splitlines()[-1])
    # Nothing was created: an admin token made afterwards is the only one.
    made = _pizzabox(cli_database, "token", "create", "--name", "admin", "--role", "admin")
    assert made.exit_code == 0, made.output
    listed = asyncio.run(_call_with(cli_database, made.output.splitlines()[-1], TOKENS))
    assert [item["name"] for item in listed.json()["items"]] == ["admin"]


# Who am I ---------------------------------------------------------------------------------

_VIEWER = "{ viewer { name role tokenPrefix personId personEmail permissions teams products } }"


async def test_me_and_viewer_describe_the_caller(client: Client) -> None:
    person = await create_person(client)
    team, other = await create_team(client), await create_team(client)
    await add_member(client, team["slug"], person["id"])
    product = await create_product(client, team=other["slug"])
    contributor = await _create(client, name="alice", role="contributor", person_id=person["id"])
    ci = await _create(client, name="ci-deploy", role="ci", products=[product["slug"]])
    viewer = await _create(client, name="dashboard", role="viewer")

    expected = {
        "contributor": (contributor, [team["slug"]], [], person),
        "ci": (ci, [], [product["slug"]], None),
        "viewer": (viewer, [], [], None),
    }
    for role, (token, teams, products, who) in expected.items():
        auth = bearer(token["token"])
        me = await client.get(f"{API}/me", headers=auth)
        assert me.status_code == 200, me.text
        body = me.json()
        assert body["role"] == role
        assert body["name"] == token["name"]
        assert body["token_id"] == token["id"]
        assert body["token_prefix"] == token["prefix"]
        assert body["permissions"] == permissions(Role(role))
        assert body["teams"] == teams
        assert body["products"] == products
        assert body["person_id"] == (who["id"] if who else None)
        assert body["person_email"] == (who["email"] if who else None)

        response = await client.post("/graphql", json={"query": _VIEWER}, headers=auth)
        assert response.status_code == 200, response.text
        assert "errors" not in response.json(), response.json()
        graph = response.json()["data"]["viewer"]
        assert graph["role"] == role.upper()
        assert graph["tokenPrefix"] == token["prefix"]
        assert graph["permissions"] == body["permissions"]
        assert graph["teams"] == teams
        assert graph["products"] == products
        assert graph["personEmail"] == body["person_email"]

    # A contributor's teams follow the roster: leaving the team ends the right at once.
    left = await client.delete(f"{API}/teams/{team['slug']}/members/{person['id']}")
    assert left.status_code == 204
    me = await client.get(f"{API}/me", headers=bearer(contributor["token"]))
    assert me.json()["teams"] == []
