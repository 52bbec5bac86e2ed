"""The dashboard's forms in Chromium: filters with their defaults, a draft kept across a login."""

from __future__ import annotations

from typing import Any

import httpx
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


async def test_a_create_form_sent_after_the_session_ended_is_still_there_after_logging_in(
    web_app: App, world: World, new_page: Any
) -> None:
    page = await new_page()
    await browser_login(page, "alice")
    await page.goto(f"/games/new?guild_id={world.guild_id()}")
    await page.get_by_label("Title").fill("Twilight Imperium, all day")
    await page.get_by_label("Description").fill("Bring lunch.\nWe start sharp.")
    await page.get_by_label("Date and time").fill("2031-02-01T10:00")
    await page.get_by_label("Duration (minutes)").fill("600")

    # Logged out elsewhere: the session ends on the server while this page still holds its cookie.
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=web_app.base_url, cookies=cookies) as elsewhere:
        ended = await elsewhere.post("/api/v1/auth/logout", headers={"x-csrftoken": cookies["csrftoken"]})
        assert ended.status_code == 204, ended.text

    await page.get_by_role("button", name="Schedule game").click()
    await page.wait_for_url("**/login?**")
    await page.get_by_text("Your session ended. Log in again and your game is still here").wait_for()
    await page.get_by_role("link", name="Log in with Discord").click()
    await page.locator('button[data-username="alice"]').click()
    await page.wait_for_url("**/games/new?draft=*")
    await page.get_by_text("Here is the game you were scheduling, as you typed it").wait_for()
    assert await page.get_by_label("Title").input_value() == "Twilight Imperium, all day"
    assert await page.get_by_label("Description").input_value() == "Bring lunch.\nWe start sharp."
    assert await page.get_by_label("Duration (minutes)").input_value() == "600"
    assert await page.get_by_label("Date and time").input_value() == "2031-02-01T10:00"
    await page.get_by_role("button", name="Schedule game").click()
    await page.wait_for_url("**/games/*-*")
    await page.get_by_role("heading", name="Twilight Imperium, all day").wait_for()
    # The key is spent: the same address does not fill a form again.
    await page.goto(page.url.rsplit("/", 2)[0] + "/games/new?draft=spent")
    assert await page.get_by_label("Title").input_value() == ""


async def test_the_create_form_states_the_default_duration_grows_its_text_and_focuses_the_error_summary(
    web_app: App, world: World, new_page: Any
) -> None:
    page = await new_page()
    await browser_login(page, "alice")
    await page.goto(f"/games/new?guild_id={world.guild_id()}")
    duration = page.get_by_label("Duration (minutes)")
    hint_id = str(await duration.get_attribute("aria-describedby"))
    assert "Default: 1 h" in await page.locator(f"#{hint_id.split()[0]}").inner_text()

    for label in ("Description", "Players to add now"):
        area = page.get_by_label(label)
        before = await area.evaluate("e => e.getBoundingClientRect().height")
        await area.fill("\n".join(f"Line {n}" for n in range(15)))
        after = await area.evaluate("e => e.getBoundingClientRect().height")
        assert after > before + 100, (label, before, after)
        assert await area.evaluate("e => e.scrollHeight <= e.clientHeight + 1"), label  # all of it shows

    await page.get_by_label("Date and time").fill("2020-01-01T10:00")  # in the past, and no title
    await page.get_by_role("button", name="Schedule game").click()
    summary = page.locator("#error-summary")
    await summary.wait_for()
    assert await page.evaluate("document.activeElement && document.activeElement.id") == "error-summary"
    title_link = summary.get_by_role("link", name="Give the game a title.")
    assert await title_link.get_attribute("href") == "#title"
    assert await summary.get_by_role("link").count() >= 2  # the date's problem is listed too
    await title_link.click()
    assert await page.evaluate("document.activeElement.id") == "title"
