"""The sandbox viewer with the real bot: /game create run from the command box, refused, reopened filled in
and sent again — all in Chromium, as someone trying the sandbox would (issue 13)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gamesched.app import App
from tests.web.conftest import screenshot
from tests.world import World

pytestmark = pytest.mark.browser


async def test_game_create_from_the_viewer_comes_back_filled_in_when_refused(
    web_app: App, world: World, new_page: Callable[..., Awaitable[Any]]
) -> None:
    from playwright.async_api import expect

    await asyncio.wait_for(web_app.commands_synced.wait(), 10)
    page = await new_page(width=1400)
    await page.goto(f"/sandbox/?as={world.user_id('alice')}&channel={world.channel_id('rpg')}")

    await page.get_by_label("Command as Alice Anders").select_option("game create")
    await page.get_by_role("button", name="Send /game create").click()
    modal = page.locator("form.modal")
    await expect(modal).to_contain_text("Schedule a game")
    await modal.get_by_label("Title").fill("Catan marathon")
    await modal.get_by_label("When").fill("tomorrow 8pm")
    await modal.get_by_label("Description").fill("Bring snacks")
    await modal.get_by_label("Max players").fill("0")
    await modal.get_by_role("button", name="Submit").click()

    reply = page.locator("article.reply")
    await expect(reply).to_contain_text("Max players must be a whole number from 1 to 100.")
    await expect(reply).to_contain_text("I read the time 'tomorrow 8pm' as")
    await expect(reply.locator(".ts").first).to_contain_text("20:00 UTC")
    await reply.get_by_role("button", name="Edit and try again").click()

    modal = page.locator("form.modal")
    await expect(modal.get_by_label("Title")).to_have_value("Catan marathon")
    await expect(modal.get_by_label("When")).to_have_value("tomorrow 8pm")
    await expect(modal.get_by_label("Description")).to_have_value("Bring snacks")
    await expect(modal.get_by_label("Max players")).to_have_value("0")
    await screenshot(page, "sandbox-viewer-create-again")
    await modal.get_by_label("Max players").fill("5")
    await modal.get_by_role("button", name="Submit").click()

    # Words the parser interpreted: the time as understood first, the game made on "Create".
    asked = page.locator("article.reply").last
    await expect(asked).to_contain_text("I read 'tomorrow 8pm' as")
    await asked.get_by_role("button", name="Create").click()
    await expect(page.locator("article.reply").last).to_contain_text("Scheduled Catan marathon for")
