"""The template pages in Chromium: a manager lists, creates, reorders, makes default and deletes templates; the
create form pre-selects the default template and shows what it locks read-only, with its name; the edit page
of a game made from it too. axe over the new pages."""

from __future__ import annotations

from typing import Any

import pytest

from gamesched.app import App
from tests.images.pictures import picture
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


async def test_a_templates_archive_settings_and_pictures_reach_the_create_form(
    web_app: App, world: World, new_page: Any
) -> None:
    gid = world.guild_id()
    found: list[str] = []
    page = await new_page()
    await browser_login(page, "alice")
    await page.goto(f"/guilds/{gid}/templates/new")
    await page.get_by_label("Name").fill("Campaign")
    await page.get_by_label("Announcement channel").select_option(label="#rpg")
    await page.get_by_label("Lock it").uncheck()  # only proposed
    await page.get_by_label("Archive channel").select_option(label="#archive")
    await page.get_by_label("Archive after (minutes)").fill("90")
    await page.get_by_label("Banner").set_input_files(
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"a shopping list\n"}
    )
    await page.get_by_label("Thumbnail").set_input_files(
        {"name": "cover.png", "mimeType": "image/png", "buffer": picture("PNG", (64, 64))}
    )
    await page.get_by_role("button", name="Save template").click()
    # A refused file is an error on its field; nothing typed is lost.
    await (
        page.locator("#banner-error")
        .get_by_text("The file is not a PNG, JPEG, GIF or WebP image.")
        .wait_for()
    )
    assert await page.get_by_label("Archive after (minutes)").input_value() == "90"
    assert not await page.get_by_label("Lock it").is_checked()
    await page.get_by_label("Thumbnail").set_input_files(
        {"name": "cover.png", "mimeType": "image/png", "buffer": picture("PNG", (64, 64))}
    )
    await page.get_by_role("button", name="Save template").click()
    await page.get_by_role("status").get_by_text("Saved.").wait_for()
    await page.get_by_role("link", name="Campaign").click()
    await page.locator("img.image-preview.thumbnail").wait_for()
    await _no_violations(page, "template form with archive settings and a picture", found)
    await screenshot(page, "template-archive-images")

    await page.goto(f"/games/new?guild_id={gid}")
    await page.get_by_label("Template").select_option(label="Campaign")
    await page.locator("#archive_channel_id-locked").wait_for(state="attached")  # the form came back
    assert not await page.get_by_label("Channel").is_disabled()  # proposed, not locked
    assert await page.get_by_label("Channel").input_value() == str(world.channel_id("rpg"))
    await page.get_by_text("Announcement, rewards and archive").click()
    assert await page.get_by_label("Archive after (minutes)").is_disabled()
    assert await page.get_by_label("Archive after (minutes)").input_value() == "90"
    await page.locator("#archive_channel_id-locked").get_by_text("Campaign").wait_for()
    await page.locator("img.image-preview.thumbnail").wait_for()  # the template's picture, removable
    await _no_violations(page, "create form with a template's archive settings", found)
    await screenshot(page, "create-form-template-archive")
    await page.get_by_label("Title").fill("Crypt crawl")
    await page.get_by_label("Date and time").fill("2031-01-10T19:00")
    await page.get_by_role("button", name="Schedule game").click()
    await page.wait_for_url("**/games/*-*")
    game_id = page.url.rstrip("/").rsplit("/", 1)[1]
    async with await login_as(web_app.base_url, "alice") as alice:
        game = (await alice.get(f"/api/v1/games/{game_id}")).json()
    assert (game["archive_delay_minutes"], game["archive_channel_id"]) == (
        90,
        str(world.channel_id("archive")),
    )
    assert game["thumbnail_url"] is not None and game["template_name"] == "Campaign"
    assert not found, "\n\n".join(found)
