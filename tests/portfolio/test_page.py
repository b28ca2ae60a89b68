"""The portfolio page for people: signing in and out, its session cookie, CSRF refusals, the
filters in the URL, what a viewer is not shown, and the detail pages."""

import re
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import update
from sqlmodel import col

from api.core.access import Role
from api.core.db import utcnow
from api.identity.models import ApiToken
from api.identity.secrets import token_lookup
from tests.factories import unique
from tests.helpers import (
    API,
    Client,
    assert_security_headers,
    issue_token,
    seeding,
    serving,
    settings_for,
)
from tests.portfolio.conftest import Built

_FIGURE = re.compile(r'data-figure="([a-z0-9-]+)">([^<]*)<')


def figures(html: str) -> dict[str, str]:
    """The summary figures a page shows, by name."""
    return {name: value.strip() for name, value in _FIGURE.findall(html)}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


@pytest.fixture
async def browser(app: Litestar, client: Client) -> AsyncIterator[Client]:
    """A client that keeps cookies and sends no token (the database emptied as for `client`)."""
    transport = httpx.ASGITransport(app=cast(Any, app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as bare:
        yield bare


async def sign_in(browser: Client, token: str, next_page: str = "/portfolio") -> httpx.Response:
    form = await browser.get("/portfolio")
    return await browser.post(
        "/portfolio/sign-in",
        data={"token": token, "csrf_token": csrf_of(form.text), "next": next_page},
    )


async def test_without_a_session_the_page_asks_for_a_token_and_shows_nothing(
    browser: Client, built: Built
) -> None:
    page = await browser.get("/portfolio")
    assert page.status_code == 200
    assert 'name="token"' in page.text
    assert '<label for="token">' in page.text
    assert figures(page.text) == {}
    assert "Ready One" not in page.text
    for path in ("/portfolio/products/ready-one", "/portfolio/teams/alpha"):
        detail = await browser.get(path)
        assert 'name="token"' in detail.text
        assert "Ready One" not in detail.text


async def test_signing_in_sets_a_strict_http_only_session_cookie(
    app: Litestar, browser: Client, built: Built
) -> None:
    token = await issue_token(app, Role.ADMIN, name=unique("page"))
    answer = await sign_in(browser, token, "/portfolio?org=north")
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/portfolio?org=north"
    [cookie] = [c for c in answer.headers.get_list("set-cookie") if "pizzabox_session=" in c]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the HTTPS test
    assert token not in cookie
    page = await browser.get("/portfolio?org=north")
    assert page.status_code == 200
    assert figures(page.text)["products-total"] == "3"


async def test_the_cookie_is_secure_over_https(app: Litestar, client: Client) -> None:
    token = await issue_token(app, Role.VIEWER, name=unique("page"))
    transport = httpx.ASGITransport(app=cast(Any, app))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as secure:
        answer = await sign_in(secure, token)
        assert answer.status_code == 303
        [cookie] = [c for c in answer.headers.get_list("set-cookie") if "pizzabox_session=" in c]
        assert "Secure" in cookie


async def test_a_bad_token_signs_nobody_in(browser: Client, built: Built) -> None:
    answer = await sign_in(browser, "pzb_" + "x" * 43)
    assert answer.status_code == 401
    assert "Not signed in" in answer.text
    assert not any("pizzabox_session=" in c for c in answer.headers.get_list("set-cookie"))
    assert figures((await browser.get("/portfolio")).text) == {}
    # Something else pasted: said of the form, not of an Authorization header.
    pasted = await sign_in(browser, "my password")
    assert pasted.status_code == 401
    assert "not a Pizzabox API token" in pasted.text
    assert "Authorization" not in pasted.text


async def test_a_sign_in_without_its_anti_forgery_token_is_refused(
    app: Litestar, browser: Client, built: Built
) -> None:
    token = await issue_token(app, Role.ADMIN, name=unique("page"))
    await browser.get("/portfolio")
    for form in ({"token": token}, {"token": token, "csrf_token": "forged"}):
        answer = await browser.post("/portfolio/sign-in", data=form)
        assert answer.status_code == 403
        assert not any("pizzabox_session=" in c for c in answer.headers.get_list("set-cookie"))
    # Nor as JSON, which the API would take.
    answer = await browser.post("/portfolio/sign-in", json={"token": token})
    assert answer.status_code == 403


async def test_the_page_shows_the_figures_the_api_reports(
    app: Litestar, client: Client, browser: Client, built: Built
) -> None:
    await sign_in(browser, await issue_token(app, Role.ADMIN, name=unique("page")))
    page = await browser.get("/portfolio")
    assert page.status_code == 200
    api = (await client.get(f"{API}/portfolio")).json()
    shown = figures(page.text)
    assert shown["products-total"] == str(api["products"]["total"]) == "6"
    assert shown["ready"] == str(api["readiness"]["ready"])
    assert shown["blocked"] == str(api["readiness"]["blocked"])
    assert shown["due-30"] == "1 (1)"
    assert shown["due-90"] == "2 (1)"
    assert shown["slipped"] == "2 (35)"
    assert shown["retests"] == "1"
    assert shown["findings-open"] == "2"
    assert shown["oversized"] == "1"
    assert shown["security-faq"] == "75%"
    # Charts are inline SVG with a text alternative; there is no script at all.
    assert page.text.count("<svg") == 4
    assert "Products by stage: idea: 1; prfaq review: 0" in page.text
    assert "<script" not in page.text
    assert 'href="/portfolio/products/ready-one"' in page.text
    assert 'href="/portfolio/teams/alpha"' in page.text
    assert_security_headers(page, strict_csp=True)
    assert page.headers["cache-control"] == "no-store"


async def test_the_cookie_is_secure_behind_a_tls_terminating_proxy(migrated_database: str) -> None:
    # The test transport's peer is 127.0.0.1: a trusted balancer that received HTTPS.
    https = {"X-Forwarded-Proto": "https"}
    for trusted, secure in (("127.0.0.1/32", True), ("", False)):
        async with serving(settings_for(migrated_database, trusted_proxies=trusted)) as (
            app,
            browser,
        ):
            token = await issue_token(app, Role.VIEWER, name=unique("page"))
            form = await browser.get("/portfolio")
            answer = await browser.post(
                "/portfolio/sign-in",
                data={"token": token, "csrf_token": csrf_of(form.text), "next": "/portfolio"},
                headers=https,
            )
            assert answer.status_code == 303, answer.text
            [cookie] = [
                c for c in answer.headers.get_list("set-cookie") if "pizzabox_session=" in c
            ]
            # Believed from a trusted proxy only: anyone else's header changes nothing.
            assert ("Secure" in cookie) is secure, (trusted, cookie)


async def test_filters_are_kept_in_the_url(app: Litestar, browser: Client, built: Built) -> None:
    await sign_in(browser, await issue_token(app, Role.ADMIN, name=unique("page")))
    page = await browser.get("/portfolio", params={"org": "south", "stage": "launched"})
    assert figures(page.text)["products-total"] == "1"
    assert 'name="org" value="south"' in page.text
    assert '<option value="launched" selected>' in page.text
    assert "/api/v1/portfolio.csv?org=south&amp;stage=launched" in page.text
    wrong = await browser.get("/portfolio", params={"stage": "shipped"})
    assert wrong.status_code == 400
    assert "There is no stage" in wrong.text
    # A NUL is in no record's text, and PostgreSQL cannot compare text holding one.
    for params in ({"org": "\x00"}, {"team": "a\x00b"}, {"stage": "\x00"}):
        assert (await browser.get("/portfolio", params=params)).status_code == 422, params
    for detail in ("/portfolio/products/%00", "/portfolio/teams/a%00b"):
        assert (await browser.get(detail)).status_code in (404, 422), detail


async def test_a_viewer_sees_no_findings_nor_security_faqs(
    app: Litestar, browser: Client, built: Built
) -> None:
    await sign_in(browser, await issue_token(app, Role.VIEWER, name=unique("page")))
    page = await browser.get("/portfolio")
    shown = figures(page.text)
    assert shown["products-total"] == "6"
    assert "findings-open" not in shown
    assert "security-faq" not in shown
    assert "Open findings" not in page.text
    assert "Findings and security FAQs are not shown to your role." in page.text
    detail = await browser.get("/portfolio/products/blocked-two")
    assert detail.status_code == 200
    assert "Open findings" not in detail.text
    assert "Security FAQ" not in detail.text


async def test_detail_pages(app: Litestar, browser: Client, built: Built) -> None:
    await sign_in(browser, await issue_token(app, Role.ADMIN, name=unique("page")))
    product = await browser.get("/portfolio/products/blocked-two")
    assert product.status_code == 200
    assert figures(product.text) == {"product-slips": "2 (30 days)", "product-ready": "no"}
    assert "<code>checkpoint_failed</code>" in product.text
    team = await browser.get("/portfolio/teams/gamma")
    assert team.status_code == 200
    assert "over" in team.text
    assert (await browser.get("/portfolio/products/nothing-here")).status_code == 404
    assert (await browser.get("/portfolio/teams/nothing-here")).status_code == 404


async def test_a_ci_token_sees_only_its_products_on_the_page(
    app: Litestar, browser: Client, built: Built
) -> None:
    token = await issue_token(app, Role.CI, products=["ready-one"], name=unique("ci"))
    await sign_in(browser, token)
    page = await browser.get("/portfolio")
    assert figures(page.text)["products-total"] == "1"
    assert (await browser.get("/portfolio/products/blocked-two")).status_code == 404
    # No team names, rosters or health for a role that may not read teams.
    assert "oversized" not in figures(page.text)
    assert "Teams are not shown to your role." in page.text
    assert 'id="teams-title"' not in page.text
    assert 'href="/portfolio/teams/' not in page.text
    assert "People" not in (await browser.get("/portfolio/products/ready-one")).text
    assert (await browser.get("/portfolio/teams/alpha")).status_code == 404


async def test_signing_out_needs_the_sessions_anti_forgery_token(
    app: Litestar, browser: Client, built: Built
) -> None:
    await sign_in(browser, await issue_token(app, Role.ADMIN, name=unique("page")))
    page = await browser.get("/portfolio")
    refused = await browser.post("/portfolio/sign-out", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert figures((await browser.get("/portfolio")).text)["products-total"] == "6"
    cookie = browser.cookies["pizzabox_session"]
    out = await browser.post("/portfolio/sign-out", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303
    assert out.headers["location"] == "/portfolio"
    assert any(
        "pizzabox_session=" in c and "Max-Age=0" in c for c in out.headers.get_list("set-cookie")
    )
    assert figures((await browser.get("/portfolio")).text) == {}
    # The old cookie no longer opens anything: the session is gone from the server.
    browser.cookies.set("pizzabox_session", cookie)
    assert figures((await browser.get("/portfolio")).text) == {}


async def test_revoking_the_token_ends_the_session(
    app: Litestar, browser: Client, built: Built
) -> None:
    token = await issue_token(app, Role.ADMIN, name=unique("page"))
    await sign_in(browser, token)
    assert figures((await browser.get("/portfolio")).text)["products-total"] == "6"
    async with seeding(app) as session:
        await session.execute(
            update(ApiToken)
            .where(col(ApiToken.lookup) == token_lookup(token))
            .values(revoked_at=utcnow())
        )
        await session.commit()
    page = await browser.get("/portfolio")
    assert figures(page.text) == {}
    assert 'name="token"' in page.text


async def test_the_landing_page_links_the_portfolio_and_the_consoles(browser: Client) -> None:
    page = await browser.get("/")
    assert page.status_code == 200
    for link in ("/portfolio", "/graphql", "/healthz"):
        assert f'href="{link}"' in page.text
    assert 'href="/schema' in page.text
    assert_security_headers(page, strict_csp=False)
    style = await browser.get("/static/portfolio/portfolio.css")
    assert style.status_code == 200
    assert style.headers["content-type"].startswith("text/css")


async def test_failed_sign_ins_count_against_the_address_limit(
    migrated_database: str, client: Client
) -> None:
    settings = settings_for(migrated_database, auth_failures_per_minute=2)
    async with serving(settings) as (_, browser):
        statuses = [(await sign_in(browser, "pzb_" + "y" * 43)).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
