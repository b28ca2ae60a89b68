"""The portfolio page in a real browser: Debian's headless Chromium, driven by Playwright (never
a downloaded browser), against `pizzabox serve`. It signs in, applies a filter, finds the
figures the API reports, follows a product link and signs out, saving a screenshot of each step
under test-artifacts/portfolio/, and checks that the page asks nothing of any other origin."""

import os
import shutil
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from api.core.access import Role
from tests.factories import unique
from tests.helpers import API, Client, bearer, issue_token, serve_until_up
from tests.portfolio.conftest import Built

CHROMIUM = Path(os.environ.get("PIZZABOX_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "portfolio"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium package",
)


async def test_a_leader_reads_the_portfolio_in_a_browser(
    app: Litestar, client: Client, built: Built, migrated_database: str, tmp_path: Path
) -> None:
    from playwright.async_api import Request, async_playwright, expect

    token = await issue_token(app, Role.VIEWER, name=unique("browser"))
    environment = {
        **os.environ,
        "PIZZABOX_DATABASE_URL": migrated_database,
        "PIZZABOX_LOG_LEVEL": "WARNING",
    }
    environment.pop("PIZZABOX_WORKERS", None)
    server = serve_until_up(environment, tmp_path / "serve.log")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    requested: list[str] = []
    try:
        async with httpx.AsyncClient(
            base_url=server.base_url, headers=bearer(token), timeout=30
        ) as api:
            north = (await api.get(f"{API}/portfolio", params={"org": "north"})).json()
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                # Running as root in a container, Chromium's own sandbox cannot start.
                args=["--no-sandbox"] if os.geteuid() == 0 else [],
            )
            try:
                context = await browser.new_context(viewport={"width": 1280, "height": 900})
                page = await context.new_page()

                def seen(request: Request) -> None:
                    requested.append(request.url)

                page.on("request", seen)
                await page.goto(f"{server.base_url}/portfolio")
                await expect(page.get_by_label("API token")).to_be_visible()
                assert await page.locator("[data-figure]").count() == 0
                await page.screenshot(path=ARTIFACTS / "1-sign-in.png", full_page=True)

                await page.get_by_label("API token").fill(token)
                await page.get_by_role("button", name="Sign in").click()
                await expect(page.locator('[data-figure="products-total"]')).to_have_text("6")
                await page.screenshot(path=ARTIFACTS / "2-portfolio.png", full_page=True)

                await page.get_by_label("Org", exact=True).fill("north")
                await page.get_by_label("Stage", exact=True).select_option("")
                await page.get_by_role("button", name="Apply").click()
                await page.wait_for_url("**/portfolio?*org=north*")
                figures = {
                    "products-total": str(north["products"]["total"]),
                    "ready": str(north["readiness"]["ready"]),
                    "blocked": str(north["readiness"]["blocked"]),
                    "retests": str(north["checkpoints"]["retests_overdue"]),
                }
                for name, value in figures.items():
                    await expect(page.locator(f'[data-figure="{name}"]')).to_have_text(value)
                # A viewer: findings and security FAQs are left out, not broken.
                assert north["findings"] is None
                assert await page.locator('[data-figure="findings-open"]').count() == 0
                await expect(page.get_by_label("Org", exact=True)).to_have_value("north")
                await page.screenshot(path=ARTIFACTS / "3-filtered.png", full_page=True)

                # Keyboard: the filters, the button and the links are reachable with Tab.
                await page.keyboard.press("Tab")
                focused = await page.evaluate("document.activeElement.textContent")
                assert "Skip" in focused

                phone = await context.new_page()
                phone.on("request", seen)
                await phone.set_viewport_size({"width": 390, "height": 844})
                await phone.goto(page.url)
                await expect(phone.locator('[data-figure="products-total"]')).to_have_text("3")
                await phone.screenshot(path=ARTIFACTS / "4-phone.png", full_page=True)
                await phone.close()

                await page.get_by_role("link", name="Ready One").first.click()
                await page.wait_for_url("**/portfolio/products/ready-one")
                await expect(page.locator('[data-figure="product-ready"]')).to_have_text("yes")
                await page.screenshot(path=ARTIFACTS / "5-product.png", full_page=True)

                await page.get_by_role("button", name="Sign out").click()
                await expect(page.get_by_label("API token")).to_be_visible()
                await page.goto(f"{server.base_url}/portfolio")
                await expect(page.get_by_label("API token")).to_be_visible()
                assert await page.locator("[data-figure]").count() == 0
                await page.screenshot(path=ARTIFACTS / "6-signed-out.png", full_page=True)
            finally:
                await browser.close()
    finally:
        server.stop()
    assert requested
    elsewhere = [url for url in requested if not url.startswith(server.base_url + "/")]
    assert not elsewhere, f"requests to other origins: {elsewhere}"
    assert any(url.endswith("/static/portfolio/portfolio.css") for url in requested)
