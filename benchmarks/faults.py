"""DMs in flight when things break: a 20 s database outage, and SIGKILLs of the app, during reminder waves.

The sandbox Discord and the app each run in their own process (the sandbox keeps what it received while the
app dies). Each scenario builds a wave — ``games`` games with five new players each, the host alice — and
moves its reminders to one instant; the sandbox answers every REST call 0.2 s after it took effect, so
DMs are in flight when the fault lands.

- outage: once a tenth of the wave has arrived, the app's database refuses connections for 20 s (``ALTER
  DATABASE … ALLOW_CONNECTIONS false`` and every backend terminated, which is what the app sees of a stopped
  server), then comes back.
- sigkill: the app is killed (SIGKILL) five times, each time once more of the wave has arrived, and started
  again on the same database.

Counted afterwards: DMs expected, DMs delivered, DMs lost, DMs doubled (a person with the same reminder
twice), and resends (sends Discord answered with the first message because of the nonce: the window the
app could not close alone). Exit status 1 if a DM was lost or doubled.

``python -m benchmarks.faults [--games N]``
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from sqlalchemy import make_url

from benchmarks.harness import free_port, fresh_database, running_app, sandbox_process
from benchmarks.reminders import new_members, release_wave
from tests.db import admin_execute, asyncpg_url, resolve_server_url
from tests.login import login_as

GAMES = 50
PLAYERS = 5
OUTAGE_SECONDS = 20.0
KILLS = 5
APP_SETTINGS = {"JOIN_DM_DELAY_SECONDS": "3600", "DISCORD_REQUESTS_PER_SECOND": "0"}


@dataclass
class Outcome:
    scenario: str
    expected: int
    delivered: int
    doubled: int
    resends: int

    @property
    def lost(self) -> int:
        return self.expected - self.delivered

    def line(self) -> str:
        return (
            f"  {self.scenario:<28} {self.expected:5d} DMs: {self.delivered} delivered, {self.lost} lost,"
            f" {self.doubled} doubled; {self.resends} resends answered with the first message (nonce)"
        )


async def build_wave(base: str, sandbox: str, api: httpx.AsyncClient, games: int, tag: str) -> int:
    """Create the games (alice hosts); returns how many reminder DMs the wave sends."""
    world = (await api.get("/world")).json()
    guild = next(g for g in world["guilds"] if g["name"] == "Sandbox Guild")
    channel = next(c["id"] for c in guild["channels"] if c["name"] == "board-games")
    names = await new_members(api, guild["id"], games * PLAYERS, f"{tag}p")
    when = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    async with await login_as(base, "alice", sandbox_url=sandbox) as alice:
        for g in range(games):
            body = {
                "guild_id": guild["id"],
                "channel_id": channel,
                "title": f"{tag} {g}",
                "scheduled_at": when,
                "reminder_minutes": [60],
                "initial_participants": [f"@{n}" for n in names[g * PLAYERS : (g + 1) * PLAYERS]],
            }
            created = await alice.post("/api/v1/games", json=body)
            if created.status_code != 201:
                raise RuntimeError(f"creating a game failed: {created.text[:300]}")
    await asyncio.sleep(2)  # announcements settle; they are not what is measured
    return games * (PLAYERS + 1)


async def reminders(api: httpx.AsyncClient, tag: str) -> Counter[tuple[str, str]]:
    """(recipient, text) of every reminder DM of the wave ``tag`` the sandbox holds."""
    return Counter(
        (dm["recipient_id"], dm["content"])
        for dm in (await api.get("/dms")).json()
        if dm["content"].startswith("⏰") and f"**{tag} " in dm["content"]
    )


async def sends(api: httpx.AsyncClient) -> int:
    """Successful message creations in DM channels the REST log holds."""
    dm_channels = {dm["channel_id"] for dm in (await api.get("/dms")).json()}
    return sum(
        1
        for call in (await api.get("/log")).json()
        if call["method"] == "POST"
        and call["status"] == 200
        and call["path"].endswith("/messages")
        and call["path"].split("/")[-2] in dm_channels
    )


async def settle(api: httpx.AsyncClient, tag: str, expected: int, database: str) -> Counter[tuple[str, str]]:
    """Wait until the wave is delivered and no DM job is left pending or running (or two minutes pass)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        got = await reminders(api, tag)
        if len(got) >= expected and await _dm_jobs_left(database) == 0:
            return got
        await asyncio.sleep(0.5)
    return await reminders(api, tag)


async def _dm_jobs_left(database: str) -> int:
    conn = await asyncpg.connect(asyncpg_url(database))
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM jobs WHERE state IN ('pending', 'running')"
                " AND kind IN ('notifications.deliver', 'games.send_reminders', 'event.ReminderDue.send_reminders')"
            )
        )
    finally:
        await conn.close()


async def wait_for_share(api: httpx.AsyncClient, tag: str, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(await reminders(api, tag)) >= count:
            return
        await asyncio.sleep(0.05)


async def outage(games: int) -> Outcome:
    server_url, release = resolve_server_url()
    try:
        async with (
            fresh_database("gs_bench_outage") as database,
            sandbox_process() as sandbox,
            httpx.AsyncClient(base_url=f"{sandbox}/sandbox/api", timeout=60) as api,
            running_app(database, sandbox_url=sandbox, **APP_SETTINGS) as app,
        ):
            expected = await build_wave(app.base, sandbox, api, games, "outage")
            await api.delete("/log")
            await api.post("/faults", json={"answer_delay": 0.2})
            await release_wave(database, datetime.now(UTC) + timedelta(seconds=1))
            await wait_for_share(api, "outage", expected // 10)
            name = make_url(database).database
            await admin_execute(
                server_url,
                f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false',
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
            )
            await asyncio.sleep(OUTAGE_SECONDS)
            await admin_execute(server_url, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            got = await settle(api, "outage", expected, database)
            await api.post("/faults", json={"answer_delay": 0})
            return _outcome(f"database down {OUTAGE_SECONDS:.0f} s", expected, got, await sends(api))
    finally:
        release()


async def sigkills(games: int) -> Outcome:
    port = free_port()
    async with (
        fresh_database("gs_bench_sigkill") as database,
        sandbox_process() as sandbox,
        httpx.AsyncClient(base_url=f"{sandbox}/sandbox/api", timeout=60) as api,
    ):
        async with running_app(database, sandbox_url=sandbox, port=port, **APP_SETTINGS) as app:
            expected = await build_wave(app.base, sandbox, api, games, "sigkill")
            await api.delete("/log")
            await api.post("/faults", json={"answer_delay": 0.2})
            await release_wave(database, datetime.now(UTC) + timedelta(seconds=1))
            await wait_for_share(api, "sigkill", expected // (KILLS + 2))
            app.kill()
        for kill in range(2, KILLS + 1):
            async with running_app(database, sandbox_url=sandbox, port=port, **APP_SETTINGS) as app:
                await wait_for_share(api, "sigkill", expected * kill // (KILLS + 2))
                app.kill()
        async with running_app(database, sandbox_url=sandbox, port=port, **APP_SETTINGS):
            got = await settle(api, "sigkill", expected, database)
        await api.post("/faults", json={"answer_delay": 0})
        return _outcome(f"{KILLS} SIGKILLs", expected, got, await sends(api))


def _outcome(scenario: str, expected: int, got: Counter[tuple[str, str]], sent: int) -> Outcome:
    delivered = len(got)
    doubled = sum(n - 1 for n in got.values())
    return Outcome(scenario, expected, delivered, doubled, max(0, sent - delivered - doubled))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="DMs in flight during a database outage and SIGKILLs")
    parser.add_argument("--games", type=int, default=GAMES, help=f"games per wave, six DMs each ({GAMES})")
    args = parser.parse_args(argv)
    results = [asyncio.run(outage(args.games)), asyncio.run(sigkills(args.games))]
    print("Faults during reminder waves (sandbox and app in their own processes):")
    for result in results:
        print(result.line())
    return 1 if any(r.lost or r.doubled for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
