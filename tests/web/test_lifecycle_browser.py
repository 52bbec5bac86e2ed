"""In Chromium: a game created to be announced later, "Post now", the rewards spoiler and "Save and archive"."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from gamesched.app import App
from tests.games.conftest import create_game, in_days
from tests.login import login_as
from tests.web.axe import BLOCKING, axe_violations, describe
from tests.web.conftest import browser_login, screenshot
from tests.world import World

pytestmark = pytest.mark.browser


async def _no_blocking_violations(page: Any) -> None:
    blocking = [v for v in await axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)


async def test_a_game_announced_later_is_marked_and_posted_now_from_its_page(
    web_app: App, world: World, new_page: Any
) -> None:
    page = await new_page()
    await browser_login(page, "alice")
    await page.goto(f"/games/new?guild_id={world.guild_id()}")
    await page.get_by_label("Title").fill("Mystery night")
    await page.get_by_label("Date and time").fill("2031-02-01T20:00")
    await page.get_by_text("Announcement, rewards and archive").click()
    await page.get_by_label("Announce later").fill("2031-01-25T10:00")
    await page.get_by_label("Rewards", exact=True).fill("A signed copy")
    await page.get_by_role("button", name="Schedule game").click()

    await page.get_by_role("heading", name="Mystery night").wait_for()
    await page.locator("#not-announced").get_by_text("Not announced yet").wait_for()
    await _no_blocking_violations(page)
    game_id = page.url.rstrip("/").split("/")[-1]
    async with await login_as(web_app.base_url, "dave") as dave:  # a plain member
        assert (await dave.get(f"/games/{game_id}")).status_code == 404

    await page.get_by_role("button", name="Post now").click()
    await page.get_by_role("heading", name="Mystery night").wait_for()
    assert await page.locator("#not-announced").count() == 0
    assert await page.get_by_role("button", name="Post now").count() == 0
    async with await login_as(web_app.base_url, "dave") as dave:
        assert (await dave.get(f"/games/{game_id}")).status_code == 200


async def test_the_rewards_are_a_spoiler_and_save_and_archive_archives(
    web_app: App, world: World, new_page: Any
) -> None:
    async with await login_as(web_app.base_url, "alice") as alice:
        game = await create_game(
            alice, world, title="Treasure run", scheduled_at=in_days(1), rewards="A golden key"
        )
    async with web_app.db.uow(bypass_rls=True) as uow:  # the game is over (its end is the timers' business)
        await uow.session.execute(
            text("UPDATE games SET status = 'completed', completed_at = now() WHERE id = :id"),
            {"id": game["id"]},
        )

    player = await new_page()
    await browser_login(player, "dave")
    await player.goto(f"/games/{game['id']}")
    secret = player.locator("#rewards-spoiler").get_by_text("A golden key")
    assert not await secret.is_visible()  # until clicked
    await player.get_by_text("Show the rewards").click()
    await secret.wait_for(state="visible")
    assert await player.locator("#rewards-form").count() == 0  # only the host and managers set them
    await _no_blocking_violations(player)

    host = await new_page()
    await browser_login(host, "alice")
    await host.goto(f"/games/{game['id']}")
    await host.get_by_role("textbox", name="Rewards").fill("A golden key and a map")
    await host.get_by_role("button", name="Save and archive").click()
    await host.locator(".game-meta").get_by_text("Archived").wait_for()
    async with await login_as(web_app.base_url, "alice") as alice:
        now = (await alice.get(f"/api/v1/games/{game['id']}")).json()
    assert now["status"] == "archived" and now["rewards"] == "A golden key and a map"


async def test_a_completed_games_archive_settings_are_changed_on_its_page(
    web_app: App, world: World, new_page: Any
) -> None:
    async with await login_as(web_app.base_url, "alice") as alice:
        game = await create_game(alice, world, title="Long siege", scheduled_at=in_days(1))
    async with web_app.db.uow(bypass_rls=True) as uow:  # over an hour ago
        await uow.session.execute(
            text(
                "UPDATE games SET status = 'completed', completed_at = now() - interval '1 hour' WHERE id = :id"
            ),
            {"id": game["id"]},
        )
    host = await new_page()
    await browser_login(host, "alice")
    await host.goto(f"/games/{game['id']}")
    await host.get_by_label("Archive after (minutes)").fill("-5")
    await host.get_by_role("button", name="Save", exact=True).click()
    await host.locator("#archive-delay-error").wait_for()
    await host.get_by_label("Archive after (minutes)").fill("600")
    await host.get_by_label("Archive in").select_option(label="#archive")
    await _no_blocking_violations(host)
    await screenshot(host, "completed-game-archive-settings")
    await host.get_by_role("button", name="Save", exact=True).click()
    await host.wait_for_url("**/games/*#rewards")
    assert await host.get_by_label("Archive after (minutes)").input_value() == "600"
    async with await login_as(web_app.base_url, "alice") as alice:
        later = (await alice.get(f"/api/v1/games/{game['id']}")).json()
    assert later["status"] == "completed" and later["archive_channel_id"] == str(world.channel_id("archive"))
    assert "archive" in [s["kind"] for s in later["schedule"]]

    await host.get_by_label("Archive after (minutes)").fill("30")  # ended an hour ago: archived on saving
    await host.get_by_role("button", name="Save", exact=True).click()
    await host.locator(".game-meta").get_by_text("Archived").wait_for()
