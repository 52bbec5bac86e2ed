"""Capacity: the one-process default against the scaled layout (two web processes, two bot shards, one worker)
on this machine, with the same load.

The sandbox Discord runs in its own process (rate limits off, so Discord's limits are not what is measured;
the docs' "Scaling" section puts them next to these figures). ``guilds`` guilds are made, spread over two
shards, each owned by a host of its own with ``members`` members besides; in each guild the host creates a
game (through the web processes in turn) with a 60-minute reminder. Measured:

- **clicks/s**: every member clicks Join on their guild's game at once; answered clicks over the time from
  the first click to the last answer, and each click's latency (interaction to callback, as Discord sees it);
- **reminders/s**: every game's reminder moved to one instant (host and members: ``members + 1`` DMs a game);
  DMs over the time from that instant to the last DM;
- the app processes' CPU time during each (summed over processes; the machine's cores bound it), and the
  most PostgreSQL connections the deployment held at once.

``python -m benchmarks.capacity [--quick]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from benchmarks import record
from benchmarks.harness import MOVE_REMINDERS, fresh_database, sandbox_process, summary
from benchmarks.layout import Deployment, cpu_seconds, scaled, single
from benchmarks.reliability.common import sql
from benchmarks.reminders import joined_long_ago
from tests.login import login_as

SHARDS = 2
#: (guilds, members per guild)
FULL = (40, 25)
QUICK = (10, 10)
SETTINGS = {"JOIN_DM_DELAY_SECONDS": "3600", "DISCORD_REQUESTS_PER_SECOND": "0"}
LEAD_SECONDS = 2.0


@dataclass
class Figures:
    layout: str
    processes: int
    guilds: int
    games: int
    clicks: int
    answered: int
    click_seconds: float
    click_latency: list[float]
    click_cpu: float
    dms: int
    dm_seconds: float
    dm_cpu: float
    connections: int

    @property
    def clicks_per_second(self) -> float:
        return self.answered / self.click_seconds

    @property
    def reminders_per_second(self) -> float:
        return self.dms / self.dm_seconds


async def make_guilds(api: httpx.AsyncClient, count: int, members: int) -> list[dict[str, Any]]:
    """``count`` guilds, alternately on each shard, each with its own host (the owner) and ``members``
    members shared by all of them; returns each guild with its host's username and its members' ids."""
    users = [(await api.post("/users", json={"username": f"cap_m{n}"})).json() for n in range(members)]
    guilds = []
    for g in range(count):
        host = (await api.post("/users", json={"username": f"cap_h{g}"})).json()
        made = await api.post(
            "/guilds",
            json={
                "name": f"Capacity {g}",
                "owner_id": host["id"],
                "bot": True,
                "shard": [g % SHARDS, SHARDS],
            },
        )
        made.raise_for_status()
        guild = made.json()
        for user in users:
            await api.put(f"/guilds/{guild['id']}/members/{user['id']}", json={})
        channel = next(c["id"] for c in guild["channels"] if c["name"] == "general")
        guilds.append(
            {**guild, "host": host["username"], "channel": channel, "members": [u["id"] for u in users]}
        )
    return guilds


@contextlib.asynccontextmanager
async def peak_connections(database: str) -> AsyncIterator[Callable[[], int]]:
    """Samples the connections to ``database`` every 0.1 s while open; yields the peak seen so far."""
    peak = 0

    async def sample() -> None:
        nonlocal peak
        while True:
            rows = await sql(
                database, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            peak = max(peak, int(rows[0][0]) - 1)  # not this sampler's own
            await asyncio.sleep(0.1)

    task = asyncio.create_task(sample())
    try:
        yield lambda: peak
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def total_cpu(deployment: Deployment) -> float:
    return sum(cpu_seconds(p) for p in deployment.processes if p.process.returncode is None)


async def announced(api: httpx.AsyncClient, channel: str, game_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for message in (await api.get(f"/channels/{channel}/messages")).json():
            if any(game_id in str(c) for c in message.get("components") or []):
                return dict(message)
        await asyncio.sleep(0.1)
    raise RuntimeError("a game was not announced within 60 s")


async def measure(name: str, deployment: Deployment, guilds: list[dict[str, Any]]) -> Figures:
    api, database = deployment.api, deployment.database
    when = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    games = []
    for n, guild in enumerate(guilds):
        web = deployment.webs[n % len(deployment.webs)]
        async with await login_as(web.base, guild["host"], sandbox_url=deployment.sandbox) as host:
            body = {
                "guild_id": guild["id"],
                "channel_id": guild["channel"],
                "title": f"cap {n}",
                "scheduled_at": when,
                "reminder_minutes": [60],
                "max_players": len(guild["members"]),
            }
            created = await host.post("/api/v1/games", json=body)
            if created.status_code != 201:
                raise RuntimeError(f"creating a game failed: {created.text[:300]}")
            games.append(created.json())
    messages = [await announced(api, g["channel"], game["id"]) for g, game in zip(guilds, games, strict=True)]

    async def click(user_id: str, message: dict[str, Any], game: dict[str, Any]) -> dict[str, Any]:
        interaction = {
            "type": "component",
            "user_id": user_id,
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "custom_id": f"game:join:{game['id']}",
        }
        response = await api.post("/interactions", json=interaction)
        return dict(response.json()) if response.status_code == 200 else {}

    async with peak_connections(database) as peak:
        cpu = total_cpu(deployment)
        began = time.monotonic()
        answers = await asyncio.gather(
            *(
                click(user, message, game)
                for guild, message, game in zip(guilds, messages, games, strict=True)
                for user in guild["members"]
            )
        )
        click_seconds = time.monotonic() - began
        click_cpu = total_cpu(deployment) - cpu
        latencies = [float(a["latency_ms"]) for a in answers if "latency_ms" in a]

        await asyncio.sleep(3)  # the announcements' edits after the storm are not measured
        await joined_long_ago(database)
        dms_expected = sum(len(g["members"]) + 1 for g in guilds)
        after = (await api.get("/dms")).json()
        last_seen = after[-1]["id"] if after else "0"
        cpu = total_cpu(deployment)
        due = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
        await sql(database, MOVE_REMINDERS, due, None)
        reminders: list[datetime] = []
        deadline = time.monotonic() + LEAD_SECONDS + 120
        while len(reminders) < dms_expected and time.monotonic() < deadline:
            for dm in (await api.get("/dms", params={"after": last_seen})).json():
                last_seen = dm["id"]
                if dm["content"].startswith("⏰"):
                    reminders.append(datetime.fromisoformat(dm["created_at"]))
            await asyncio.sleep(0.2)
        dm_cpu = total_cpu(deployment) - cpu
        connections = peak()
    if len(reminders) < dms_expected:
        raise RuntimeError(f"only {len(reminders)} of {dms_expected} reminder DMs arrived")
    return Figures(
        layout=name,
        processes=len(deployment.processes),
        guilds=len(guilds),
        games=len(games),
        clicks=len(answers),
        answered=len(latencies),
        click_seconds=click_seconds,
        click_latency=latencies,
        click_cpu=click_cpu,
        dms=len(reminders),
        dm_seconds=max((max(reminders) - due).total_seconds(), 0.001),
        dm_cpu=dm_cpu,
        connections=connections,
    )


async def run(guild_count: int, members: int) -> list[Figures]:
    results = []
    layouts = (("one process", single, {}), ("2 web + 2 shards + 1 worker", scaled, {"shards": SHARDS}))
    for name, deploy, options in layouts:
        async with (
            fresh_database("gs_bench_capacity") as database,
            sandbox_process() as sandbox,
            httpx.AsyncClient(base_url=f"{sandbox}/sandbox/api", timeout=60) as api,
        ):
            guilds = await make_guilds(api, guild_count, members)
            async with deploy(database, sandbox, **options, **SETTINGS) as deployment:
                results.append(await measure(name, deployment, guilds))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Capacity: one process against the scaled layout")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK[0]} guilds of {QUICK[1]} members")
    record.add_arguments(parser)
    args = parser.parse_args(argv)
    guild_count, members = QUICK if args.quick else FULL
    results = asyncio.run(run(guild_count, members))
    print(
        f"Capacity, sandbox in its own process, rate limits off: {guild_count} guilds over {SHARDS} shards,"
        f" a game each, {members} members each clicking Join at once, then every reminder due at once"
    )
    figures: record.Figures = {}
    for f in results:
        print(
            f"  {f.layout} ({f.processes} processes): {f.clicks} clicks, {f.clicks_per_second:.0f}/s"
            f" [{summary(f.click_latency)}], CPU {f.click_cpu / f.clicks * 1000:.1f} ms/click;"
            f" {f.dms} reminder DMs, {f.reminders_per_second:.0f}/s, CPU {f.dm_cpu / f.dms * 1000:.1f} ms/DM;"
            f" peak {f.connections} PostgreSQL connections"
        )
        figures[f.layout] = {
            "clicks_per_s": round(f.clicks_per_second, 1),
            **record.latency(f.click_latency),
            "cpu_ms_per_click": round(f.click_cpu / f.clicks * 1000, 2),
            "reminders_per_s": round(f.reminders_per_second, 1),
            "cpu_ms_per_dm": round(f.dm_cpu / f.dms * 1000, 2),
            "pg_connections": f.connections,
        }
    record.report("capacity", figures, save_baseline=args.save_baseline)


if __name__ == "__main__":
    main()
