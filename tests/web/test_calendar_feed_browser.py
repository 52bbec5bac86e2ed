"""The calendar feed on the settings page, in Chromium: make the link, copy it, reset it — the old link
stops at once, the new one lists the person's games."""

from __future__ import annotations

from typing import Any

import httpx
import icalendar
import pytest

from gamesched.app import App
from tests.games.conftest import create_game
from tests.login import login_as
from tests.web.conftest import browser_login, screenshot
from tests.world import World


@pytest.mark.browser
async def test_the_settings_page_makes_copies_and_resets_the_calendar_link(
    web_app: App, world: World, new_page: Any
) -> None:
    async with await login_as(web_app.base_url, "alice") as api:
        await create_game(api, world, title="Catan night")
    page = await new_page()
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web_app.base_url)
    await browser_login(page, "alice")
    await page.goto("/settings")
    await page.get_by_role("button", name="Create my calendar link").click()
    link = page.get_by_label("Your link")
    first = await link.input_value()
    assert first.startswith(f"{web_app.base_url}/feeds/") and first.endswith("/games.ics")

    await page.get_by_role("button", name="Copy link").click()
    await page.get_by_text("Copied.").wait_for()
    assert await page.evaluate("navigator.clipboard.readText()") == first
    google = await page.get_by_role("link", name="Add to Google Calendar").get_attribute("href")
    assert google is not None and google.startswith("https://calendar.google.com/calendar/r?cid=webcal")
    await screenshot(page, "settings-calendar-feed")

    async with httpx.AsyncClient() as calendar_app:
        response = await calendar_app.get(first)
        assert response.status_code == 200
        [event] = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
        assert str(event["SUMMARY"]) == "Catan night"

        await page.get_by_role("button", name="Reset link").click()
        await page.locator("#feed-new").wait_for()
        second = await page.get_by_label("Your link").input_value()
        assert second != first
        assert (await calendar_app.get(first)).status_code == 404
        assert (await calendar_app.get(second)).status_code == 200

        await page.get_by_role("button", name="Turn off").click()
        await page.locator("#feed-off").wait_for()
        assert await page.get_by_role("button", name="Create my calendar link").is_visible()
        assert (await calendar_app.get(second)).status_code == 404
