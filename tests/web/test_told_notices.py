"""After a host's change the page they land on says what happened and how many people were told; a cancel
can carry a reason, shown on the cancelled game's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gamesched.app import App
from tests.games.conftest import create_game
from tests.login import login_as
from tests.web.conftest import browser_login, screenshot
from tests.world import World


@pytest.mark.browser
async def test_cancelling_with_a_reason_says_who_was_told_and_shows_the_reason(
    web_app: App, world: World, new_page: Any
) -> None:
    async with await login_as(web_app.base_url, "alice") as alice:
        game = await create_game(alice, world, title="Catan night", initial_participants=["@bob", "@carol"])
    page = await new_page()
    await browser_login(page, "alice")
    await page.goto(f"/games/{game['id']}")

    await page.get_by_role("link", name="Cancel game").click()
    await page.get_by_label("Reason (optional)").fill("The table broke; next week instead.")
    await page.get_by_role("button", name="Yes, cancel the game").click()

    notice = page.locator("#notice")
    await notice.wait_for()
    assert await notice.text_content() == "Cancelled — 2 people were told."
    assert await notice.get_attribute("role") == "status"
    await page.get_by_text("Reason: The table broke; next week instead.").wait_for()
    await screenshot(page, "cancelled-with-reason")
    await page.reload()  # said once
    assert await page.locator("#notice").count() == 0
    await page.get_by_text("Reason: The table broke; next week instead.").wait_for()


@pytest.mark.browser
async def test_saving_says_how_many_players_were_told_about_a_new_place(
    web_app: App, world: World, new_page: Any
) -> None:
    async with await login_as(web_app.base_url, "alice") as alice:
        # With seconds (set through the API): the form's picker shows minutes, and saving it is no new time.
        when = (datetime.now(UTC) + timedelta(days=2)).replace(second=30, microsecond=0)
        game = await create_game(
            alice, world, title="Catan night", initial_participants=["@bob"], scheduled_at=when.isoformat()
        )
    page = await new_page()
    await browser_login(page, "alice")
    await page.goto(f"/games/{game['id']}/edit")

    await page.get_by_label("Title", exact=True).fill("Catan night, renamed")
    await page.get_by_role("button", name="Save changes").click()
    await page.locator("#notice").wait_for()
    assert await page.locator("#notice").text_content() == "Saved — no one needed telling."
    async with await login_as(web_app.base_url, "alice") as alice:
        assert (await alice.get(f"/api/v1/games/{game['id']}")).json()["scheduled_at"] == game["scheduled_at"]

    await page.goto(f"/games/{game['id']}/edit")
    await page.get_by_label("Where", exact=True).fill("#rpg")
    await page.get_by_role("button", name="Save changes").click()
    await page.locator("#notice").wait_for()
    assert await page.locator("#notice").text_content() == "Saved — 1 person was told about the new place."
