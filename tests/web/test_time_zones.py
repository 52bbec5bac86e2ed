"""Time zones on the dashboard: the settings page, times shown in the viewer's zone (their choice, else their
browser's), and the new-game form reading a typed time in that zone with a preview before anything is made.
Real app, real PostgreSQL, the sandbox's login; Chromium for the page as a person sees it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gamesched.app import App
from tests.games.conftest import create_game
from tests.login import login_as
from tests.web.conftest import Login, browser_login, csrf_form, screenshot
from tests.world import World

BERLIN = ZoneInfo("Europe/Berlin")


def _form(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "guild_id": str(world.guild_id()),
        "channel_id": str(world.channel_id("board-games")),
        "title": "Typed time",
        "submission": uuid.uuid4().hex,
        **fields,
    }


async def test_the_settings_page_lists_zones_saves_one_and_refuses_an_unknown_one(
    web_app: App, world: World, login: Login
) -> None:
    alice = await login("alice")
    home = await alice.get("/")
    assert 'href="/settings"' in home.text  # linked from the navigation
    page = await alice.get("/settings")
    assert page.status_code == 200
    assert '<option value="Europe/Berlin">' in page.text and '<option value="US/Eastern">' not in page.text
    assert "Times are shown in UTC" in page.text

    bad = await alice.post("/settings", data=await csrf_form(alice, {"time_zone": "Mars/Olympus"}))
    assert bad.status_code == 422
    assert "I don&#39;t know the time zone &#39;Mars/Olympus&#39;." in bad.text
    assert 'value="Mars/Olympus"' in bad.text  # what was typed is kept

    saved = await alice.post("/settings", data=await csrf_form(alice, {"time_zone": "europe/berlin"}))
    assert (saved.status_code, saved.headers["location"]) == (303, "/settings?saved=true")
    assert await web_app.guilds.preferences.time_zone(world.user_id("alice")) == BERLIN
    shown = await alice.get("/settings")
    assert "<strong>Europe/Berlin</strong>, your choice" in shown.text

    forgot = await alice.post("/settings", data=await csrf_form(alice, {"time_zone": ""}))
    assert forgot.status_code == 303
    assert await web_app.guilds.preferences.time_zone(world.user_id("alice")) is None


async def test_game_times_show_in_the_chosen_zone_else_the_browsers_with_the_abbreviation_of_that_day(
    web_app: App, world: World, login: Login
) -> None:
    async with await login_as(web_app.base_url, "alice") as api:
        # Europe/Berlin and America/New_York change their clocks on these days in 2027.
        march = await create_game(api, world, title="Spring", scheduled_at="2027-03-28T18:00:00Z")
        winter = await create_game(api, world, title="Winter", scheduled_at="2027-03-27T18:00:00Z")
    alice = await login("alice")
    alice.cookies.set("tz", "America/New_York")  # the browser's zone, as app.js tells it
    page = await alice.get(f"/games/{march['id']}")
    assert 'data-zone="America/New_York">Sun 28 Mar 2027, 14:00 EDT</time>' in page.text
    await web_app.guilds.preferences.set_time_zone(world.user_id("alice"), "Europe/Berlin")  # the choice wins
    spring = await alice.get(f"/games/{march['id']}")
    assert ">Sun 28 Mar 2027, 20:00 CEST</time>" in spring.text  # the first day of summer time
    before = await alice.get(f"/games/{winter['id']}")
    assert ">Sat 27 Mar 2027, 19:00 CET</time>" in before.text
    listed = await alice.get("/")
    assert "20:00 CEST" in listed.text and "19:00 CET" in listed.text


async def test_the_new_game_form_reads_a_typed_time_in_the_viewers_zone_and_previews_it(
    web_app: App, world: World, login: Login
) -> None:
    alice_id = world.user_id("alice")
    await web_app.guilds.preferences.set_time_zone(alice_id, "Europe/Berlin")
    alice = await login("alice")
    now = web_app.clock.now().astimezone(BERLIN)
    friday = now.date() + timedelta(days=(4 - now.weekday()) % 7 or 7)
    expected = datetime.combine(friday, time(19, 30), tzinfo=BERLIN)

    checked = await alice.post(
        "/games/new", data=await csrf_form(alice, _form(world, when="friday 19:30", preview="1"))
    )
    assert checked.status_code == 200, checked.text[:2000]
    understood = re.search(r'id="when-understood"[^>]*>Understood as <strong>([^<]+)</strong>', checked.text)
    assert understood is not None, checked.text[:3000]
    abbreviation = expected.tzname()
    assert understood.group(1) == f"{expected:%a %d %b %Y}, 19:30 {abbreviation}"
    assert "Nothing is saved yet." in checked.text
    assert 'value="friday 19:30"' in checked.text  # kept as typed
    assert (await web_app.games.queries.list(alice_id, guild_id=world.guild_id())).items == []

    created = await alice.post("/games/new", data=await csrf_form(alice, _form(world, when="friday 19:30")))
    assert created.status_code == 303, created.text[:2000]
    (game,) = (await web_app.games.queries.list(alice_id, guild_id=world.guild_id())).items
    assert game.scheduled_at == expected.astimezone(UTC)
    assert game.time_zone == "Europe/Berlin"

    unread = await alice.post("/games/new", data=await csrf_form(alice, _form(world, when="friday-ish")))
    assert unread.status_code == 422
    assert "read in your time zone, Europe/Berlin" in unread.text


@pytest.mark.browser
async def test_settings_page_in_chromium_changes_the_zone_the_game_page_shows(
    web_app: App, world: World, new_page: Any
) -> None:
    async with await login_as(web_app.base_url, "alice") as api:
        game = await create_game(api, world, title="Across the change", scheduled_at="2027-10-31T18:00:00Z")
    page = await new_page(timezone="America/New_York")
    await browser_login(page, "alice")
    await page.goto(f"/games/{game['id']}")
    await page.reload()  # app.js told the server the browser's zone (a cookie) on the first page
    when = page.locator("dd time").first
    assert await when.text_content() == "Sun 31 Oct 2027, 14:00 EDT"  # New York changes a week later

    await page.get_by_role("link", name="Settings").click()
    await page.get_by_label("Your time zone").fill("Europe/Berlin")
    await page.get_by_role("button", name="Save").click()
    await page.locator("#saved").wait_for()
    assert "Europe/Berlin" in (await page.locator("#zone-now").text_content() or "")
    await screenshot(page, "settings-time-zone")

    await page.goto(f"/games/{game['id']}")
    # Berlin left summer time that morning: 18:00 UTC is 19:00 CET.
    assert await page.locator("dd time").first.text_content() == "Sun 31 Oct 2027, 19:00 CET"


@pytest.mark.browser
async def test_the_pickers_and_the_typed_time_in_chromium_speak_the_chosen_zone_not_the_browsers(
    web_app: App, world: World, new_page: Any
) -> None:
    alice_id = world.user_id("alice")
    await web_app.guilds.preferences.set_time_zone(alice_id, "Europe/Berlin")
    page = await new_page(timezone="America/New_York")
    await browser_login(page, "alice")
    await page.goto(f"/games/new?guild_id={world.guild_id()}")
    assert "In your time zone, Europe/Berlin" in (
        await page.locator("#scheduled_at-hint").text_content() or ""
    )
    await page.get_by_label("Title").fill("Picked in Berlin")
    await page.locator("#when").fill("Jan 10 2027 7pm")
    await page.get_by_role("button", name="Check the time").click()
    understood = page.locator("#when-understood")
    await understood.wait_for()
    assert "Sun 10 Jan 2027, 19:00 CET" in (await understood.text_content() or "")
    assert (await web_app.games.queries.list(alice_id, guild_id=world.guild_id())).items == []

    await page.locator("#when").fill("")  # the picker alone, at 19:00 Berlin time
    await page.locator("#scheduled_local").fill("2027-01-10T19:00")
    await page.get_by_role("button", name="Schedule game").click()
    await page.wait_for_url(re.compile(r"/games/[0-9a-f-]{36}$"))
    assert await page.locator("dd time").first.text_content() == "Sun 10 Jan 2027, 19:00 CET"
    (game,) = (await web_app.games.queries.list(alice_id, guild_id=world.guild_id())).items
    assert game.scheduled_at == datetime(2027, 1, 10, 18, 0, tzinfo=UTC)
