"""Keeping under Discord's global rate limit: at most N requests per second with the bot token, paced.

Discord allows a bot 50 requests per second over all routes (interaction responses excepted) and answers
429 beyond that; too many 429s (10,000 invalid requests in 10 minutes) get the bot's IP blocked for an
hour. discord.py keeps to each route's bucket from the headers, but learns of the global limit only from a
429. So every request the bot's REST client makes first takes a turn here; turns are spaced evenly, so no
second holds more than N of them, and a wave of DMs goes out at the limit instead of over it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import discord


class RequestPacer:
    """Hands out turns ``1 / per_second`` apart, in the order they are asked for, and never more than
    ``per_second`` within any second.

    The spacing alone is not enough: when the event loop stalls (a burst of clicks, a long render), the turns
    that fell due meanwhile all go at once when it resumes, on top of the next second's own turns — a fixed
    one-second window at Discord then counted more than 50 (a 3,000-DM wave met 6-9 answers 429). So each
    turn also waits until fewer than ``per_second`` requests went out in the second before it.
    ``clock`` and ``sleep`` are the event loop's unless a test gives its own."""

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / per_second
        self.limit = max(1, int(per_second))
        self._next = 0.0
        self._clock = clock
        self._sleep = sleep
        #: When the last ``limit`` turns were handed out.
        self._recent: deque[float] = deque()

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    async def turn(self) -> None:
        now = self._now()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await self._sleep(slot - now)
        while True:
            now = self._now()
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) < self.limit:
                self._recent.append(now)
                return
            await self._sleep(1.0 - (now - self._recent[0]))


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
