"""/game create with repeat: a series through the real bot and the sandbox."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from gamesched.app import App
from tests.bot.conftest import command, ephemeral_text
from tests.world import World

BERLIN = ZoneInfo("Europe/Berlin")
FILLING_IN = 0.3  # as in test_commands: Discord shows the form before anyone submits it


async def test_game_create_with_repeat_makes_a_weekly_series_at_the_hosts_local_time(
    bot_app: App, world: World, api: httpx.AsyncClient
) -> None:
    alice, channel = world.user_id("alice"), world.channel_id("rpg")
    await bot_app.guilds.preferences.set_time_zone(alice, "Europe/Berlin")
    form = (await command(api, alice, channel, "game create", repeat="weekly")).json()["response"]["data"]
    day = (datetime.now(BERLIN) + timedelta(days=2)).date()
    await asyncio.sleep(FILLING_IN)
    answer = await api.post(
        "/interactions",
        json={
            "type": "modal",
            "user_id": str(alice),
            "channel_id": str(channel),
            "custom_id": form["custom_id"],
            "values": {
                "title": "Weekly raid",
                "when": f"{day:%Y-%m-%d} 19:00",
                "description": "",
                "max_players": "4",
            },
        },
    )
    assert answer.status_code == 200, answer.text
    text = ephemeral_text(answer.json())
    assert "Scheduled **Weekly raid**: Every week on" in text and "at 19:00 (Europe/Berlin)" in text, text
    series_id = text.rsplit("/series/", 1)[1].strip()
    series = await bot_app.games.series.get(series_id, alice)
    assert [o.scheduled_at.astimezone(BERLIN).hour for o in series.upcoming] == [19] * 5
    assert series.upcoming[0].status == "scheduled"  # the first game, two days ahead, is made at once
