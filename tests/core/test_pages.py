"""The landing page at `/`: for people, open, and naming no other origin."""

from urllib.parse import urlsplit

from tests.core.test_consoles import ANONYMOUS, references
from tests.helpers import Client

# Built by another issue; linked from the start so the page does not change when it lands.
NOT_YET_SERVED = {"/portfolio"}


async def test_landing_page_links_what_a_newcomer_needs(running_client: Client) -> None:
    response = await running_client.get("/", headers={**ANONYMOUS, "Accept": "text/html"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>" in response.text
    links = references(response.text)
    expected = {"/portfolio", "/graphql", "/schema", "/schema/scalar", "/healthz", "/readyz"}
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
