"""The bot's REST client keeps under Discord's global limit: requests take evenly spaced turns."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime

import aiohttp
import discord
import httpx

from gamesched.core.config import Settings
from gamesched.discord.rate_limit import RequestPacer, prune_idle_buckets_sparingly, send_window_trace
from tests.conftest import serving, wait_for_discord
from tests.world import fetch_world


async def test_a_burst_of_requests_goes_out_evenly_spaced_at_the_configured_rate(
    app_settings: Settings,
) -> None:
    async with serving(app_settings.with_overrides(sandbox=True, discord_requests_per_second=20)) as app:
        await wait_for_discord(app)
        bot = app.discord.bot
        assert bot is not None
        world = await fetch_world(app.base_url)
        channels = [bot.get_channel(world.channel_id(name)) for name in ("general", "board-games", "rpg")]
        async with httpx.AsyncClient(base_url=f"{app.base_url}/sandbox/api") as api:
            await api.delete("/log")
            await asyncio.gather(*(channels[n % 3].send(f"burst {n}") for n in range(12)))  # type: ignore[union-attr]
            calls = [c for c in (await api.get("/log")).json() if c["method"] == "POST"]
    assert [c["status"] for c in calls] == [200] * 12, "no 429: nothing went over the limit"
    times = sorted(datetime.fromisoformat(c["at"]) for c in calls)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    # 12 requests at 20 per second span at least 11 turns of 50 ms (the sandbox may see them a bit bunched).
    assert (times[-1] - times[0]).total_seconds() >= 11 * 0.05 * 0.9
    assert sum(gap < 0.02 for gap in gaps) <= 1


async def test_only_requests_with_the_bot_token_are_counted_as_they_are_sent(app_settings: Settings) -> None:
    """At 2 per second, five requests with the bot token sent at once take two seconds (two, two more a
    second later, the last after two); five interaction answers (the token in the URL, no Authorization
    header: not bound by the global limit) go at once."""
    trace = send_window_trace(2)
    assert trace is not None
    async with (
        serving(app_settings) as app,
        aiohttp.ClientSession(base_url=app.base_url, trace_configs=[trace]) as session,
    ):
        loop = asyncio.get_running_loop()

        async def five(headers: dict[str, str]) -> float:
            began = loop.time()
            for _ in range(5):
                async with session.get("/health", headers=headers) as response:
                    assert response.status == 200
            return loop.time() - began

        assert await five({}) < 1.0
        assert await five({"Authorization": "Bot sandbox"}) >= 2 * 0.9


class SteppedTime:
    """A clock the test moves; ``sleep`` waits until the clock has passed the wake-up time."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, woken))
        await woken

    async def move_to(self, moment: float) -> None:
        self.now = moment
        for wake_at, woken in list(self._sleepers):
            if wake_at <= moment + 1e-9:
                self._sleepers.remove((wake_at, woken))
                woken.set_result(None)
        for _ in range(5):  # let the woken turns run (and ask for their next sleep)
            await asyncio.sleep(0)


async def test_turns_that_fell_due_during_a_stall_do_not_crowd_the_next_second() -> None:
    time = SteppedTime()
    pacer = RequestPacer(10, clock=time.clock, sleep=time.sleep)
    sent: list[float] = []

    async def request() -> None:
        await pacer.turn()
        sent.append(time.now)

    tasks = [asyncio.create_task(request()) for _ in range(25)]
    await time.move_to(0.0)
    moment = 0.0
    while moment < 0.49:  # the loop runs smoothly for half a second…
        moment = round(moment + 0.01, 2)
        await time.move_to(moment)
    await time.move_to(1.0)  # …then stalls until the next second
    while not all(task.done() for task in tasks):
        moment = round(max(moment, 1.0) + 0.01, 2)
        await time.move_to(moment)

    assert len(sent) == 25
    for at in sent:  # any second (a send exactly a second earlier is out of it)
        in_the_second_before = [s for s in sent if 0 <= round(at - s, 6) < 1.0]
        assert len(in_the_second_before) <= 10, (at, in_the_second_before)


async def test_discord_py_looks_for_idle_buckets_when_their_number_doubled_not_at_each_new_one() -> None:
    """A DM wave adds one bucket per DM channel; discord.py alone scans every bucket at each new one."""
    bot = discord.Client(intents=discord.Intents.none())
    http = bot.http
    scans = 0
    scan = http._try_clear_expired_ratelimits

    def counted_scan() -> None:
        nonlocal scans
        scans += 1
        scan()

    http._try_clear_expired_ratelimits = counted_scan  # type: ignore[method-assign]
    prune_idle_buckets_sparingly(bot)
    for n in range(1000):
        http.get_ratelimit(f"POST /channels/{n}/messages")
    assert scans == 2, "at 256 and at 512 buckets (discord.py alone: 745 scans)"
    assert len(http._buckets) == 1000, "all still in use: none pruned"

    five_minutes_ago = asyncio.get_running_loop().time() - 301
    for bucket in http._buckets.values():
        bucket._last_request = five_minutes_ago
    for n in range(1000, 1024):
        http.get_ratelimit(f"POST /channels/{n}/messages")
    assert scans == 3
    fresh = [f"POST /channels/{n}/messages" for n in range(1000, 1024)]
    assert list(http._buckets) == fresh, "at 1,024 buckets, the 1,000 idle ones are gone"
    await bot.close()
