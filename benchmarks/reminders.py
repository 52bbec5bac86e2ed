"""Reminder waves: how late reminder DMs reach Discord when many come due in the same second.

The sandbox Discord runs in its own process (rate limits off), the app in another. ``games`` games are
created, each with five players (new members, so every DM goes to a different person) and the host; their
60-minute reminders are then moved to one instant a few seconds ahead (an UPDATE of the queue rows, which
wakes the dispatcher like any rescheduled job). As the app plans them, a reminder's job runs ten seconds
before its instant (``REMINDER_LEAD``; here at once, the instant being nearer) and queues the DMs due at the
instant: the lateness is the sending's, not the wording's. Before that, the DM channels the app opens
between the joins and a reminder (ten seconds after the joins) are opened, as they would be an hour ahead
in real use. Lateness is the sandbox's timestamp of each reminder DM minus that instant. Three runs per
size, except the 3,000-DM wave: one run (its 2,500 players' DMs are the sample; three would take ``make
bench`` two minutes more). The same waves against Discord's rate limits: ``dm_rate.py``.

``python -m benchmarks.reminders [--quick]``
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from benchmarks import record
from benchmarks.footprint import footprint
from benchmarks.harness import MOVE_REMINDERS, app_process, fresh_database, sandbox_process, summary
from tests.db import asyncpg_url
from tests.login import login_as

RUNS = 3
SIZES = (20, 100, 167, 500)  # games; each reminder wave is six DMs per game: 120, 600, 1,002 and 3,000 DMs
#: Waves of this many games or more run once.
ONCE_FROM = 500
PLAYERS = 5
LEAD_SECONDS = 3.0


#: Setup requests (new members, new games) in flight at once: the setup is not measured, only waited for.
SETUP_CONCURRENCY = 8


async def new_members(api: httpx.AsyncClient, guild_id: str, count: int, prefix: str) -> list[str]:
    """``count`` new users, members of the guild, named ``prefix0`` … in that order."""
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def member(n: int) -> str:
        async with gate:
            user = (await api.post("/users", json={"username": f"{prefix}{n}"})).json()
            await api.put(f"/guilds/{guild_id}/members/{user['id']}", json={})
            return str(user["username"])

    return list(await asyncio.gather(*(member(n) for n in range(count))))


@dataclass
class Wave:
    lateness: list[float]  # ms, each player's reminder DM
    cpu_seconds: float  # app CPU from the move of the jobs to the last DM
    dms: int  # every DM of the wave (players and hosts)
    rss_mb: float  # the app's resident memory afterwards


async def release_wave(database: str, due: datetime) -> int:
    """Move every pending reminder's moment to ``due`` (an UPDATE wakes the dispatcher like any rescheduled
    job): their jobs run at once, ``REMINDER_LEAD`` being longer than the benchmark's lead, and word the DMs,
    which go out at ``due``. Returns how many moved."""
    conn = await asyncpg.connect(asyncpg_url(database))
    try:
        moved = await conn.execute(MOVE_REMINDERS, due, None)
    finally:
        await conn.close()
    return int(moved.split()[-1])


async def joined_long_ago(database: str) -> None:
    """Let the time pass that lies between joining a game and its reminder: the DM channels the app opens
    meanwhile (``notifications.open_channels``, ten seconds after the joins) are opened now, and this waits
    until they are."""
    conn = await asyncpg.connect(asyncpg_url(database))
    try:
        await conn.execute(
            "UPDATE jobs SET due_at = now() WHERE kind = 'notifications.open_channels' AND state = 'pending'"
        )
        deadline = time.monotonic() + 120
        while await conn.fetchval(
            "SELECT count(*) FROM jobs WHERE kind = 'notifications.open_channels' AND state <> 'done'"
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("the DM channels were not opened within 120 s")
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def wave(
    database: str, app: httpx.AsyncClient, api: httpx.AsyncClient, guild: dict, games: int, run: int
) -> Wave:
    channel = next(c["id"] for c in guild["channels"] if c["name"] == "board-games")
    names = await new_members(api, guild["id"], games * PLAYERS, f"r{run}g{games}p")
    when = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def create(g: int) -> None:
        body = {
            "guild_id": guild["id"],
            "channel_id": channel,
            "title": f"Wave {run}.{g}",
            "scheduled_at": when,
            "reminder_minutes": [60],
            "initial_participants": [f"@{n}" for n in names[g * PLAYERS : (g + 1) * PLAYERS]],
        }
        async with gate:
            created = await app.post("/api/v1/games", json=body)
        if created.status_code != 201:
            raise RuntimeError(f"creating a game failed: {created.text[:300]}")

    await asyncio.gather(*(create(g) for g in range(games)))
    await asyncio.sleep(2)  # let the join DMs' jobs and announcements settle; they are not measured
    await joined_long_ago(database)
    world = (await api.get("/world")).json()
    ids = {u["username"]: u["id"] for u in world["users"]}
    recipients = [ids[n] for n in names]
    before = await footprint(app)
    due = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
    moved = await release_wave(database, due)
    if moved != games:
        raise RuntimeError(f"expected {games} reminder jobs, {moved}")
    deadline = time.monotonic() + LEAD_SECONDS + 120
    wanted = set(recipients)
    lateness: list[float] = []
    after = "0"
    while time.monotonic() < deadline:
        for dm in (await api.get("/dms", params={"after": after})).json():
            after = dm["id"]
            if dm["content"].startswith("⏰") and dm["recipient_id"] in wanted:
                sent = datetime.fromisoformat(dm["created_at"])
                lateness.append((sent - due).total_seconds() * 1000)
        if len(lateness) >= len(recipients):
            after = await footprint(app)
            return Wave(lateness, after.cpu_seconds - before.cpu_seconds, games * (PLAYERS + 1), after.rss_mb)
        await asyncio.sleep(0.5)
    raise RuntimeError(f"only {len(lateness)} of {len(recipients)} player reminders arrived")


async def run(sizes: Sequence[int], runs: int) -> dict[int, list[Wave]]:
    results: dict[int, list[Wave]] = {size: [] for size in sizes}
    async with (
        fresh_database("gs_bench_reminders") as database,
        sandbox_process() as sandbox,
        # Rate limits off on both sides: the sandbox's, and the app's own pacing under Discord's global limit.
        app_process(
            database, sandbox_url=sandbox, JOIN_DM_DELAY_SECONDS="3600", DISCORD_REQUESTS_PER_SECOND="0"
        ) as base,
        httpx.AsyncClient(base_url=f"{sandbox}/sandbox/api", timeout=60) as api,
    ):
        world = (await api.get("/world")).json()
        guild = next(g for g in world["guilds"] if g["name"] == "Sandbox Guild")
        async with await login_as(base, "alice", sandbox_url=sandbox) as alice:
            for r in range(runs):
                for size in sizes:
                    if r == 0 or size < ONCE_FROM:
                        results[size].append(await wave(database, alice, api, guild, size, r))
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Reminder waves: lateness of reminder DMs")
    parser.add_argument("--quick", action="store_true", help="one run, 20 games only")
    parser.add_argument("--games", type=int, nargs="+", help=f"wave sizes in games (default {SIZES})")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs per size (default {RUNS})")
    record.add_arguments(parser)
    args = parser.parse_args(argv)
    sizes, runs = ((20,), 1) if args.quick else (tuple(args.games or SIZES), args.runs)
    results = asyncio.run(run(sizes, runs))
    print(
        f"Reminder waves, sandbox in its own process, rate limits off, {runs} run(s) each"
        f" ({ONCE_FROM} games and more: one);"
        " lateness of the players' DMs, app CPU per DM, app RSS after the wave"
    )
    figures: record.Figures = {}
    for size, waves in results.items():
        lateness = [ms for w in waves for ms in w.lateness]
        cpu = sum(w.cpu_seconds for w in waves) / sum(w.dms for w in waves) * 1000
        rss = max(w.rss_mb for w in waves)
        print(
            f"  {size * (PLAYERS + 1):5d} DMs ({size} games): {summary(lateness)}"
            f"  CPU {cpu:.2f} ms/DM  RSS {rss:.0f} MB"
        )
        figures[f"{size * (PLAYERS + 1)} DMs"] = {
            **record.latency(lateness),
            "cpu_ms_per_dm": round(cpu, 2),
            "rss_mb": round(rss),
        }
    record.report("reminders", figures, save_baseline=args.save_baseline)


if __name__ == "__main__":
    main()
