"""axe-core over the main pages, light and dark, desktop and phone: no serious or critical violation."""

from __future__ import annotations

from typing import Any

import pytest

from gamesched.app import App
from tests.login import login_as
from tests.web.axe import BLOCKING, axe_violations, describe
from tests.web.conftest import browser_login
from tests.web.test_cross_guild_routes import start_series
from tests.world import World

pytestmark = pytest.mark.browser

DESKTOP = (1280, 800)
PHONE = (390, 844)


@pytest.mark.long
async def test_the_main_pages_have_no_serious_accessibility_violation(
    web_app: App, world: World, new_page: Any
) -> None:
    gid = world.guild_id()
    async with await login_as(web_app.base_url, "alice") as alice:
        created = await alice.post(
            "/api/v1/games",
            json={
                "guild_id": str(gid),
                "channel_id": str(world.channel_id("rpg")),
                "title": "Axe night",
                "scheduled_at": "2031-03-01T18:00:00+00:00",
                "description": f"Meet in <#{world.channel_id('board-games')}> first, <@{world.user_id('bob')}> brings snacks. Rules: https://example.com/rules",
                "initial_participants": ["@bob", "@erin", "Reserved for a friend"],
                "max_players": 4,
            },
        )
        assert created.status_code == 201, created.text
        # A calendar feed link, so that /settings shows it with its copy, reset and turn-off buttons.
        feed = await alice.post(
            "/settings/calendar-feed", data={"_csrf_token": alice.cookies.get("csrftoken")}
        )
        assert feed.status_code == 303, feed.text
        series = await start_series(alice, str(gid), str(world.channel_id("rpg")), "Axe every week")
    game_id = created.json()["id"]
    paths = [
        "/",
        f"/guilds/{gid}",
        f"/games/{game_id}",
        f"/games/new?guild_id={gid}",
        f"/games/new?from={game_id}&players=true",  # the clone form, with its carry-over choices
        f"/games/{game_id}/edit",
        f"/games/{game_id}/cancel",
        f"/series/{series['id']}",
        f"/guilds/{gid}/settings",
        "/settings",
    ]
    found: list[str] = []
    for dark in (False, True):
        for width, height in (DESKTOP, PHONE):
            page = await new_page(width=width, height=height, dark=dark)
            await browser_login(page, "alice")
            for path in paths:
                await page.goto(path)
                await page.wait_for_load_state("networkidle")
                blocking = [v for v in await axe_violations(page) if v["impact"] in BLOCKING]
                if blocking:
                    mode = f"{'dark' if dark else 'light'} {width}x{height}"
                    found.append(f"{path} ({mode}):\n{describe(blocking)}")
            # A failed submit: the error summary, focused, and each field's error.
            await page.goto(f"/games/new?guild_id={gid}")
            await page.get_by_role("button", name="Schedule game").click()
            await page.locator("#error-summary").wait_for()
            blocking = [v for v in await axe_violations(page) if v["impact"] in BLOCKING]
            if blocking:
                mode = f"{'dark' if dark else 'light'} {width}x{height}"
                found.append(f"failed create form ({mode}):\n{describe(blocking)}")
            await page.context.close()
    assert not found, "\n\n".join(found)
