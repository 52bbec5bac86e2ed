"""A DM wave against Discord's rate limits: how close to the allowed rate it runs, and whether it hits a 429.

The sandbox Discord (its own process) enforces what Discord does: 50 requests per second for the bot's token,
5 messages per 5 s in each channel. 500 new members play in 100 games (five each; each game's host is a
player of the next game), every game with five reminders; their join DMs go out first, with the limits off,
so each person's DM channel is open, as it is for anyone the bot has written to before. Then the limits go
on and all 500 reminders are moved to one instant: 3,000 DMs (the largest of the reminder waves of
``reminders.py``), six per person, in the same second.

Reported: how long the wave took from its first DM to its last, the bot's requests per second over that
time against the 50 allowed, the 429s Discord answered (the app paces itself at
``GAMESCHED_DISCORD_REQUESTS_PER_SECOND``, 48 by default), and the DMs' lateness (p50 / p95 / p99 ms after
the instant they were due: at 48/s the last of 3,000 cannot be sooner than about a minute). One run.

``python -m benchmarks.dm_rate [--games N]`` (``--games 40``: the 1,200-DM wave of earlier rounds)
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from benchmarks import record
from benchmarks.harness import app_process, fresh_database, sandbox_process
from benchmarks.reminders import SETUP_CONCURRENCY, new_members, release_wave
from tests.login import login_as

GAMES = 100
PLAYERS = 5
REMINDERS = [60, 50, 40, 30, 20]
GLOBAL_LIMIT = 50  # requests per second, Discord's (and the sandbox's) global limit


@dataclass
class RateRun:
    dms: int
    people: int
    seconds: float
    requests: int
    rate_limited: int
    lateness: list[float]  # ms after the instant the wave was due, every DM

    def line(self) -> str:
        rate = self.requests / self.seconds
        return (
            f"  {self.dms} DMs to {self.people} people in {self.seconds:.1f} s: {rate:.1f} requests/s"
            f" ({rate / GLOBAL_LIMIT:.0%} of the {GLOBAL_LIMIT}/s allowed), {self.rate_limited} answers 429"
        )


async def build(base: str, sandbox: str, api: httpx.AsyncClient, games: int) -> int:
    world = (await api.get("/world")).json()
    guild = next(g for g in world["guilds"] if g["name"] == "Sandbox Guild")
    channel = next(c["id"] for c in guild["channels"] if c["name"] == "board-games")
    names = await new_members(api, guild["id"], games * PLAYERS, "rate")
    ids = {u["username"]: u["id"] for u in (await api.get("/world")).json()["users"]}
    when = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def create(alice: httpx.AsyncClient, g: int) -> None:
        body = {
            "guild_id": guild["id"],
            "channel_id": channel,
            "title": f"Rate {g}",
            "scheduled_at": when,
            "host_id": ids[names[((g + 1) % games) * PLAYERS]],
            "reminder_minutes": REMINDERS,
            "initial_participants": [f"@{n}" for n in names[g * PLAYERS : (g + 1) * PLAYERS]],
        }
        async with gate:
            created = await alice.post("/api/v1/games", json=body)
        if created.status_code != 201:
            raise RuntimeError(f"creating a game failed: {created.text[:300]}")

    async with await login_as(base, "alice", sandbox_url=sandbox) as alice:
        await asyncio.gather(*(create(alice, g) for g in range(games)))
    return games * len(REMINDERS) * (PLAYERS + 1)


class NewDMs:
    """The DMs the sandbox received since the last look (``/dms?after=``): a look during the wave costs the
    sandbox the new DMs only. Listing all of them every second stalled the sandbox for longer each time, and
    the requests that queued meanwhile then reached its fixed one-second window together (1-4 answers 429
    per wave that no sender could have avoided)."""

    def __init__(self, api: httpx.AsyncClient, prefix: str) -> None:
        self.api, self.prefix = api, prefix
        self.after = "0"
        self.seen: list[datetime] = []

    async def look(self) -> list[datetime]:
        for dm in (await self.api.get("/dms", params={"after": self.after})).json():
            self.after = dm["id"]
            if dm["content"].startswith(self.prefix):
                self.seen.append(datetime.fromisoformat(dm["created_at"]))
        return self.seen


async def run(games: int) -> RateRun:
    async with (
        fresh_database("gs_bench_dm_rate") as database,
        sandbox_process() as sandbox,
        app_process(database, sandbox_url=sandbox, JOIN_DM_DELAY_SECONDS="0") as base,
        httpx.AsyncClient(base_url=f"{sandbox}/sandbox/api", timeout=60) as api,
    ):
        expected = await build(base, sandbox, api, games)
        deadline = time.monotonic() + 120
        joins = NewDMs(api, "")
        while time.monotonic() < deadline:  # the join DMs: every person's DM channel is open afterwards
            if len(await joins.look()) >= games * PLAYERS:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)
        await api.post("/faults", json={"rate_limits": True})
        await api.delete("/log")
        due = datetime.now(UTC) + timedelta(seconds=3)
        await release_wave(database, due)
        deadline = time.monotonic() + 300
        sent: list[datetime] = []
        reminders = NewDMs(api, "⏰")
        reminders.after = joins.after
        while time.monotonic() < deadline:
            sent = await reminders.look()
            if len(sent) >= expected:
                break
            await asyncio.sleep(1)
        log = (await api.get("/log")).json()
        await api.post("/faults", json={"rate_limits": False})
    if len(sent) < expected:
        raise RuntimeError(f"only {len(sent)} of {expected} reminder DMs arrived")
    first, last = min(sent), max(sent)
    during = [c for c in log if first <= datetime.fromisoformat(c["at"]) <= last]
    return RateRun(
        dms=len(sent),
        people=games * PLAYERS,
        lateness=[(at - due).total_seconds() * 1000 for at in sent],
        seconds=(last - first).total_seconds(),
        requests=len(during),
        rate_limited=sum(1 for c in log if c["status"] == 429),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A DM wave against Discord's rate limits")
    parser.add_argument("--games", type=int, default=GAMES, help=f"games, 30 DMs each (default {GAMES})")
    parser.add_argument("--quick", action="store_true", help="20 games: 600 DMs")
    record.add_arguments(parser)
    args = parser.parse_args(argv)
    result = asyncio.run(run(20 if args.quick else args.games))
    print("DM wave with the sandbox's Discord rate limits on (global 50/s, 5 per 5 s per channel):")
    print(result.line())
    rate = result.requests / result.seconds
    figures = {
        f"{result.dms} DMs, limits on": {
            **record.latency(result.lateness),
            "seconds": round(result.seconds, 1),
            "requests_per_s": round(rate, 1),
            "share_of_limit": round(rate / GLOBAL_LIMIT, 3),
            "answers_429": result.rate_limited,
        }
    }
    record.report("dm_rate", figures, save_baseline=args.save_baseline)


if __name__ == "__main__":
    main()
