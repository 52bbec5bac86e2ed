"""The bot's REST client keeps under Discord's global limit: requests take evenly spaced turns."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime

import httpx

from gamesched.app import App
from gamesched.discord import pace_requests
from tests.world import fetch_world


async def test_a_burst_of_requests_goes_out_evenly_spaced_at_the_configured_rate(sandbox_app: App) -> None:
    bot = sandbox_app.discord.bot
    assert bot is not None
    world = await fetch_world(sandbox_app.base_url)
    channels = [bot.get_channel(world.channel_id(name)) for name in ("general", "board-games", "rpg")]
    pace_requests(bot, 20)  # on top of the app's own pacing: the slower one sets the pace
    async with httpx.AsyncClient(base_url=f"{sandbox_app.base_url}/sandbox/api") as api:
        await api.delete("/log")
        await asyncio.gather(*(channels[n % 3].send(f"burst {n}") for n in range(12)))  # type: ignore[union-attr]
        calls = [c for c in (await api.get("/log")).json() if c["method"] == "POST"]
    assert [c["status"] for c in calls] == [200] * 12, "no 429: nothing went over the limit"
    times = sorted(datetime.fromisoformat(c["at"]) for c in calls)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    # 12 requests at 20 per second span at least 11 turns of 50 ms (the sandbox may see them a bit bunched).
    assert (times[-1] - times[0]).total_seconds() >= 11 * 0.05 * 0.9
    assert sum(gap < 0.02 for gap in gaps) <= 1
