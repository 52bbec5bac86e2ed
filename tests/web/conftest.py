"""The dashboard under test: the sandbox app with the web parts wired, logged-in clients, one Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from gamesched.app import App
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.login import login_as
from tests.world import World, fetch_world


@pytest.fixture
async def web_app(sandbox_app: App) -> App:
    """The whole app in sandbox mode, dashboard included; game events reach open pages through ``live``."""
    return sandbox_app


@pytest.fixture
async def world(web_app: App) -> World:
    return await fetch_world(web_app.base_url)


Login = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def login(web_app: App) -> AsyncIterator[Login]:
    """``await login("alice")`` → a logged-in client that asks for HTML, as a browser does."""
    clients: list[httpx.AsyncClient] = []

    async def log_in(username: str) -> httpx.AsyncClient:
        client = await login_as(web_app.base_url, username)
        client.headers["accept"] = "text/html,application/xhtml+xml"
        clients.append(client)
        return client

    yield log_in
    for client in clients:
        await client.aclose()


async def csrf_form(client: httpx.AsyncClient, data: dict[str, Any]) -> dict[str, Any]:
    """A form body with the CSRF field a page's form carries."""
    return {"_csrf_token": client.cookies.get("csrftoken"), **data}


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """One headless Debian Chromium for the whole session (never downloaded)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def new_page(browser: Any, web_app: App) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``await new_page(width=375, timezone="Europe/Berlin")`` → a page in a fresh browser context."""
    contexts: list[Any] = []

    async def open_page(
        *, width: int = 1280, height: int = 900, timezone: str = "UTC", dark: bool = False
    ) -> Any:
        context = await browser.new_context(
            base_url=web_app.base_url,
            viewport={"width": width, "height": height},
            timezone_id=timezone,
            locale="en-GB",
            color_scheme="dark" if dark else "light",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return await context.new_page()

    yield open_page
    for context in contexts:
        await context.close()


async def browser_login(page: Any, username: str) -> None:
    """Log in the way a person does: the login page, then the sandbox's Discord member picker."""
    await page.goto("/")
    await page.get_by_role("link", name="Log in with Discord").click()
    await page.locator(f'button[data-username="{username}"]').click()
    await page.wait_for_url(lambda url: "/sandbox/" not in url and "/login" not in url)


async def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)
