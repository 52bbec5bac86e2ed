"""The template pages in Chromium: a manager lists, creates, reorders, makes default and deletes templates; the
create form pre-selects the default template and shows what it locks read-only, with its name; the edit page
of a game made from it too. axe over the new pages."""

from __future__ import annotations

from typing import Any

import pytest

from gamesched.app import App
from tests.login import login_as
from tests.web.axe import BLOCKING, axe_violations, describe
from tests.web.conftest import browser_login, screenshot
from tests.world import World

pytestmark = pytest.mark.browser


async def _no_violations(page: Any, what: str, found: list[str]) -> None:
    await page.wait_for_load_state("networkidle")
    blocking = [v for v in await axe_violations(page) if v["impact"] in BLOCKING]
    if blocking:
        found.append(f"{what}:\n{describe(blocking)}")


async def test_a_manager_keeps_templates_and_a_host_creates_a_game_from_one(
    web_app: App, world: World, new_page: Any
) -> None:
    gid = world.guild_id()
    found: list[str] = []
    page = await new_page()
    await browser_login(page, "alice")
    await page.goto(f"/guilds/{gid}/settings")
    await page.get_by_role("link", name="Game templates").first.click()
    await page.get_by_role("row", name="Default").wait_for()
    await _no_violations(page, "templates list", found)

    await page.get_by_role("link", name="New template").click()
    await _no_violations(page, "new template form", found)
    await page.get_by_role("button", name="Save template").click()  # no name
    await page.locator("#error-summary").get_by_text("Give the template a name.").wait_for()
    await page.get_by_label("Name").fill("RPG night")
    await page.get_by_label("Announcement channel").select_option(label="#rpg")
    players = page.locator("fieldset#player_role_ids")
    await players.get_by_label("Locked to these:").check()
    await players.get_by_label("Player").check()
    await page.get_by_label("Max players").fill("5")
    await page.get_by_role("button", name="Save template").click()
    await page.get_by_role("status").get_by_text("Saved.").wait_for()
    rows = page.locator("tbody th")
    assert await rows.all_inner_texts() == ["Default default", "RPG night"]

    await page.get_by_role("button", name="Move RPG night up").click()
    await page.get_by_role("status").get_by_text("Moved.").wait_for()
    assert [t.split()[0] for t in await rows.all_inner_texts()] == ["RPG", "Default"]
    await page.get_by_role("button", name="Make RPG night the default").click()
    await page.get_by_role("status").get_by_text("Default changed.").wait_for()
    await page.get_by_role("button", name="Delete Default").click()
    await page.get_by_role("status").get_by_text("Deleted.").wait_for()
    assert await rows.all_inner_texts() == ["RPG night default"]
    await screenshot(page, "templates")

    # The create form: the default template pre-selected, its locks read-only and named.
    await page.goto(f"/games/new?guild_id={gid}")
    assert await page.get_by_label("Template").input_value() != "none"
    assert await page.get_by_label("Channel").is_disabled()
    assert await page.get_by_label("Channel").input_value() == "#rpg"
    await page.get_by_text("Inherited: 5 (from the template).").wait_for()
    # The roles open by themselves when the template locks some.
    locked = page.locator("fieldset#player_role_ids")
    await locked.get_by_text("Set by the template “RPG night”: it can't be changed for this game.").wait_for()
    await locked.get_by_text("@Player").wait_for()
    await _no_violations(page, "create form with a template", found)
    await page.get_by_label("Title").fill("Crypt crawl")
    await page.get_by_label("Date and time").fill("2031-01-10T19:00")
    await page.get_by_role("button", name="Schedule game").click()
    await page.wait_for_url("**/games/*")
    game_id = page.url.rstrip("/").rsplit("/", 1)[1]

    await page.goto(f"/games/{game_id}/edit")
    assert await page.get_by_label("Channel").is_disabled()
    await page.locator("#channel_id-locked").get_by_text("RPG night").wait_for()
    await page.get_by_label("Title").fill("Crypt crawl II")
    await page.get_by_role("button", name="Save changes").click()
    await page.wait_for_url(f"**/games/{game_id}?*")  # with its "Saved" notice
    await _no_violations(page, "game page", found)

    async with await login_as(web_app.base_url, "alice") as alice:
        game = (await alice.get(f"/api/v1/games/{game_id}")).json()
    assert game["title"] == "Crypt crawl II" and game["template_name"] == "RPG night"
    assert game["channel_id"] == str(world.channel_id("rpg"))
    assert game["player_role_ids"] == [str(world.role_id("Player"))] and game["max_players"] == 5
    assert game["settings_sources"]["player_role_ids"] == "template"
    assert not found, "\n\n".join(found)


async def test_only_managers_open_the_template_pages(web_app: App, world: World) -> None:
    gid = world.guild_id()
    async with await login_as(web_app.base_url, "dave") as dave:
        listing = await dave.get(f"/guilds/{gid}/templates")
        form = await dave.get(f"/guilds/{gid}/templates/new")
    assert listing.status_code == 403 and form.status_code == 403
    assert "Only bot managers" in listing.text
