"""Keeping under Discord's global rate limit: at most N requests per second with the bot token, paced.

Discord allows a bot 50 requests per second over all routes (interaction responses excepted) and answers
429 beyond that; too many 429s (10,000 invalid requests in 10 minutes) get the bot's IP blocked for an
hour. discord.py keeps to each route's bucket from the headers, but learns of the global limit only from a
429. So every request the bot's REST client makes first takes a turn here; turns are spaced evenly, so no
second holds more than N of them, and a wave of DMs goes out at the limit instead of over it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import discord


class RequestPacer:
    """Hands out turns ``1 / per_second`` apart, in the order they are asked for."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0

    async def turn(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


def pace_requests(bot: discord.Client, per_second: float) -> RequestPacer | None:
    """Make every REST request of ``bot`` wait for its turn (``per_second`` ≤ 0: no pacing)."""
    if per_second <= 0:
        return None
    pacer = RequestPacer(per_second)
    request = bot.http.request

    async def paced(route: discord.http.Route, **kwargs: Any) -> Any:
        await pacer.turn()
        return await request(route, **kwargs)

    bot.http.request = paced  # type: ignore[method-assign]
    return pacer
