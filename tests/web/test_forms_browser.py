"""The dashboard's forms in Chromium: filters with their defaults, a draft kept across a login."""

from __future__ import annotations

from typing import Any

import pytest

from gamesched.app import App
from tests.games.conftest import create_game
from tests.login import login_as
from tests.web.conftest import browser_login
from tests.world import World

pytestmark = pytest.mark.browser


async def test_filter_pressed_with_its_default_values_lists_the_games(
    web_app: App, world: World, new_page: Any
) -> None:
    async with await login_as(web_app.base_url, "alice") as alice:
        await create_game(alice, world, title="Azul for four")
    page = await new_page()
    await browser_login(page, "alice")
    await page.goto(f"/guilds/{world.guild_id()}")
    await page.get_by_role("button", name="Filter").click()  # "All channels", "Upcoming", "All categories"
    await page.wait_for_url("**channel=*")
    assert await page.get_by_role("heading", name="Please check that").count() == 0
    await page.get_by_text("Azul for four").wait_for()
