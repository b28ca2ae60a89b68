"""The landing page at `/`: for people, open, and naming no other origin."""

from pathlib import Path
from urllib.parse import urlsplit

from tests.core.test_consoles import ANONYMOUS, references
from tests.helpers import Client, assert_security_headers, serving, settings_for

# Built by another issue; linked from the start so the page does not change when it lands.
NOT_YET_SERVED: set[str] = set()


async def test_landing_page_links_what_a_newcomer_needs(running_client: Client) -> None:
    response = await running_client.get("/", headers={**ANONYMOUS, "Accept": "text/html"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>" in response.text
    links = references(response.text)
    expected = {
        "/portfolio",
        "/docs/",
        "/graphql",
        "/schema",
        "/schema/scalar",
        "/healthz",
        "/readyz",
    }
    assert expected <= set(links), links
    for link in links:
        if link.startswith("data:"):
            continue
        parts = urlsplit(link)
        assert not parts.scheme, link
        assert not parts.netloc, link
        if link in NOT_YET_SERVED:
            continue
        target = await running_client.get(link, headers={**ANONYMOUS, "Accept": "text/html"})
        assert target.status_code == 200, (link, target.text[:200])


async def test_landing_page_answers_head_and_needs_no_token(running_client: Client) -> None:
    head = await running_client.head("/", headers=ANONYMOUS)
    assert head.status_code == 200
    assert head.headers["content-type"].startswith("text/html")
    assert head.content == b""
    bad_token = await running_client.get("/", headers={"Authorization": "Bearer pzb_nonsense"})
    assert bad_token.status_code == 200  # the page reads no token, so a bad one is no error


async def test_docs_are_served_from_a_built_site(migrated_database: str, tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "guides").mkdir(parents=True)
    (site / "index.html").write_text("<h1>Pizzabox docs, built</h1>")
    (site / "guides" / "leader.html").write_text("<h1>Leader</h1>")
    settings = settings_for(migrated_database, docs_dir=site)
    async with serving(settings) as (_, anonymous):
        index = await anonymous.get("/docs/", headers=ANONYMOUS)
        assert index.status_code == 200, index.text
        assert "Pizzabox docs, built" in index.text
        assert_security_headers(index, strict_csp=False)
        page = await anonymous.get("/docs/guides/leader.html", headers=ANONYMOUS)
        assert page.status_code == 200
        assert "Leader" in page.text
        missing = await anonymous.get("/docs/guides/nobody.html", headers=ANONYMOUS)
        assert missing.status_code == 404


async def test_without_a_built_site_docs_say_how_to_build_one(
    migrated_database: str, tmp_path: Path
) -> None:
    settings = settings_for(migrated_database, docs_dir=tmp_path / "not-built")
    async with serving(settings) as (_, anonymous):
        for path in ("/docs", "/docs/"):
            response = await anonymous.get(path, headers={**ANONYMOUS, "Accept": "text/html"})
            assert response.status_code == 200, (path, response.text)
            assert response.headers["content-type"].startswith("text/html")
            assert "mkdocs build" in response.text
            assert "docs/index.md" in response.text
