"""Cloning a game in Chromium: from the game's page, through the clone form, carrying the players over with
a deadline to confirm — the new game's page shows who is still to confirm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gamesched.app import App
from tests.games.conftest import create_game
from tests.login import login_as
from tests.web.conftest import browser_login
from tests.world import World

pytestmark = pytest.mark.browser


async def test_a_host_clones_a_game_with_its_players_asked_to_confirm_by_a_deadline(
    web_app: App, world: World, new_page: Any
) -> None:
    async with await login_as(web_app.base_url, "alice") as alice:
        source = await create_game(
            alice,
            world,
            title="Weekly Catan",
            max_players=2,
            initial_participants=["@bob", "@carol", "@dave"],
        )
    page = await new_page(timezone="Europe/Berlin")
    await browser_login(page, "alice")
    await page.goto(f"/games/{source['id']}")
    await page.get_by_role("link", name="Clone with players").click()
    await page.wait_for_url("**/games/new?from=*")
    await (
        page.get_by_role("group", name="Confirmed players")
        .get_by_label("Carry over, ask them to confirm")
        .check()
    )
    assert (
        await page.get_by_role("group", name="Waitlist").get_by_label("Carry over", exact=True).is_checked()
    )
    deadline = datetime.now(UTC) + timedelta(days=1)
    await page.get_by_label("Confirm by").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_role("button", name="Schedule game").click()
    await page.wait_for_url(lambda url: "/games/new" not in url)

    confirmed = page.locator("#confirmed")
    await confirmed.get_by_text("Bobby").wait_for()
    assert (
        await confirmed.locator(".pending").count() == 2
    )  # Bob and Carol hold their seats until they confirm
    assert await page.locator("#waitlist .pending").count() == 0
    assert await page.locator("#waitlist").get_by_text("Dave Dunn").count() == 1
