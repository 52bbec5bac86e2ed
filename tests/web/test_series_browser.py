"""A weekly series made from the create form in Chromium: the preview and the series page show its next
games at the same local time, across the change to winter time."""

from __future__ import annotations

from typing import Any

import pytest

from gamesched.app import App
from tests.web.conftest import browser_login
from tests.world import World

pytestmark = pytest.mark.browser


async def test_a_weekly_series_from_the_create_form_shows_its_next_games(
    web_app: App, world: World, new_page: Any
) -> None:
    page = await new_page(timezone="Europe/Berlin")
    await browser_login(page, "alice")
    await page.goto(f"/games/new?guild_id={world.guild_id()}")
    await page.get_by_label("Title").fill("Tuesday Catan")
    await page.get_by_label("Or type it").fill("2031-10-14 19:00")  # two weeks before winter time
    await page.locator("#repeat-fields summary").click()
    await page.get_by_label("Repeat", exact=True).select_option("weekly")
    await page.get_by_label("Announce each game this many days before").fill("3")

    await page.get_by_role("button", name="Show the next games").click()
    preview = page.locator("#repeat-preview")
    await preview.wait_for()
    assert "Every week on Tuesday at 19:00" in await preview.inner_text()
    shown = await preview.locator("li").all_inner_texts()
    assert shown == [
        "Tue 14 Oct 2031, 19:00 CEST",
        "Tue 21 Oct 2031, 19:00 CEST",
        "Tue 28 Oct 2031, 19:00 CET",
        "Tue 04 Nov 2031, 19:00 CET",
        "Tue 11 Nov 2031, 19:00 CET",
    ]

    await page.get_by_role("button", name="Schedule game").click()
    await page.wait_for_url("**/series/*")
    await page.get_by_role("heading", name="Tuesday Catan series").wait_for()
    rows = await page.locator("#occurrences tbody tr td:first-child").all_inner_texts()
    assert rows == shown
    statuses = await page.locator("#occurrences tbody tr td:nth-child(2)").all_inner_texts()
    assert all(s.startswith("Planned, announced") for s in statuses)
