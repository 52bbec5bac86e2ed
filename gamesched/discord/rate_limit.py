"""Keeping under Discord's global rate limit: at most N requests per second with the bot token, paced.

Discord allows a bot 50 requests per second over all routes (interaction responses excepted) and answers
429 beyond that; too many 429s (10,000 invalid requests in 10 minutes) get the bot's IP blocked for an
hour. discord.py keeps to each route's bucket from the headers, but learns of the global limit only from a
429. So every request the bot's REST client makes first takes a turn here; turns are spaced evenly, so a
wave of DMs goes out at the limit instead of over it.

A turn is taken when the code asks discord.py for a request, before discord.py waits for the route's bucket
(a DM channel's 5 per 5 s) or retries after a 429: a request can still reach the wire a while after its
turn, among the next second's turns (a 3,000-DM wave met 5-11 answers 429 on a slow machine). So the send
itself is counted too (aiohttp's ``on_request_start``, through discord.py's ``http_trace``): a request
waits there only if N went out in the second before it, which the spaced turns make rare. The even spacing
stays outside the bucket on purpose: a request that waits inside it keeps the bucket's request counted as
outgoing, and discord.py then sleeps out the bucket's window after the answer, holding the caller (the DM
wave fell to 20 requests per second when the turns were taken there). Only requests with the bot token
are counted at the send: interaction answers and their follow-ups (the token in the URL) are not bound by
the global limit, and never wait here.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord


class SendWindow:
    """At most ``limit`` requests within any second: ``enter`` waits until fewer than ``limit`` entered in
    the second before it. ``clock`` and ``sleep`` are the event loop's unless a test gives its own."""

    def __init__(
        self,
        limit: int,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limit = max(1, limit)
        self._clock = clock
        self._sleep = sleep
        #: When the last ``limit`` requests entered.
        self._recent: deque[float] = deque()

    def now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    async def enter(self) -> None:
        while True:
            now = self.now()
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) < self.limit:
                self._recent.append(now)
                return
            await self._sleep(1.0 - (now - self._recent[0]))


class RequestPacer:
    """Hands out turns ``1 / per_second`` apart, in the order they are asked for, and never more than
    ``per_second`` within any second.

    The spacing alone is not enough: when the event loop stalls (a burst of clicks, a long render), the turns
    that fell due meanwhile all go at once when it resumes, on top of the next second's own turns — a fixed
    one-second window at Discord then counted more than 50 (a 3,000-DM wave met 6-9 answers 429). So each
    turn also waits until fewer than ``per_second`` turns were handed out in the second before it."""

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._sleep = sleep
        self._window = SendWindow(int(per_second), clock=clock, sleep=sleep)

    async def turn(self) -> None:
        now = self._window.now()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await self._sleep(slot - now)
        await self._window.enter()


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


#: discord.py scans its buckets for idle ones once it holds this many (its own threshold).
BUCKETS_BEFORE_PRUNING = 256


def prune_idle_buckets_sparingly(bot: discord.Client) -> None:
    """Scan discord.py's rate-limit buckets for idle ones only when their number doubled since the last scan.

    discord.py keeps one bucket per route and major id, so one per DM channel, and once it holds 256 it scans
    all of them for idle ones (five minutes without a request) each time it adds one. A wave of DMs to 1,000
    people adds 1,000 buckets, one per channel, so it scanned about 500,000 of them: a twentieth of the wave's
    CPU in py-spy. Scanning only when the count doubled costs a constant per bucket, and keeps at most twice
    the buckets that are still in use (or 512)."""
    http = bot.http
    scan = http._try_clear_expired_ratelimits
    next_scan = BUCKETS_BEFORE_PRUNING

    def prune_when_doubled() -> None:
        nonlocal next_scan
        if len(http._buckets) < next_scan:
            return
        scan()
        next_scan = max(BUCKETS_BEFORE_PRUNING, 2 * len(http._buckets))

    http._try_clear_expired_ratelimits = prune_when_doubled  # type: ignore[method-assign]


def send_window_trace(per_second: float) -> aiohttp.TraceConfig | None:
    """An aiohttp trace for discord.py's ``http_trace``: a request with the bot token, as it is sent, waits
    until fewer than ``per_second`` went out in the second before it (``per_second`` ≤ 0: None)."""
    if per_second <= 0:
        return None
    window = SendWindow(int(per_second))

    async def count_the_send(_session: Any, _context: Any, params: aiohttp.TraceRequestStartParams) -> None:
        if params.headers.get("Authorization", "").startswith("Bot "):
            await window.enter()

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(count_the_send)
    return trace
