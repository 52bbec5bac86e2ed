"""What the reliability scenarios share: their world (a fresh database and the sandbox Discord in its own
process), a verdict that counts and checks, games, clicks and announcements, reminder waves tagged by title,
a watcher of the DMs the sandbox Discord holds, and a throwaway PostgreSQL cluster of its own."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from benchmarks.harness import MOVE_REMINDERS, free_port, fresh_database, sandbox_process
from benchmarks.reminders import new_members
from tests.db import asyncpg_url
from tests.login import login_as

PLAYERS = 5
#: The app's settings in every scenario: join DMs far off (they are not what is counted), no own pacing.
APP_SETTINGS = {"JOIN_DM_DELAY_SECONDS": "3600", "DISCORD_REQUESTS_PER_SECOND": "0"}
#: What a member is told when the database is out of reach (gamesched/core/errors.py).
TRY_AGAIN = "gamesched can't reach its database right now; try again in a moment."


@dataclass
class Verdict:
    """One scenario's figures (printed) and the checks that failed (each a sentence)."""

    scenario: str
    figures: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, line: str) -> None:
        self.figures.append(line)

    def check(self, ok: bool, failure: str) -> bool:
        if not ok:
            self.failures.append(failure)
        return ok

    @property
    def passed(self) -> bool:
        return not self.failures

    def render(self) -> str:
        head = f"{'PASS' if self.passed else 'FAIL'}  {self.scenario} ({self.seconds:.0f} s)"
        lines = [head, *(f"      {line}" for line in self.figures)]
        lines += [f"  !!  {failure}" for failure in self.failures]
        return "\n".join(lines)


@contextlib.asynccontextmanager
async def scenario_world(prefix: str) -> AsyncIterator[tuple[str, str, httpx.AsyncClient]]:
    """A fresh database (``prefix``: its name's start), the sandbox Discord in its own process and a client
    on its control API: ``(database URL, sandbox URL, control client)``."""
    async with (
        fresh_database(prefix) as database,
        sandbox_process() as sandbox,
        httpx.AsyncClient(base_url=f"{sandbox}/sandbox/api", timeout=60) as api,
    ):
        yield database, sandbox, api


async def member_ids(api: httpx.AsyncClient, guild_id: str, count: int, prefix: str) -> list[str]:
    """The user ids of ``count`` new members of the guild."""
    names = await new_members(api, guild_id, count, prefix)
    ids = {u["username"]: u["id"] for u in (await api.get("/world")).json()["users"]}
    return [ids[n] for n in names]


async def create_game(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /api/v1/games`` as ``client``; an error unless it is created."""
    created = await client.post("/api/v1/games", json=body)
    if created.status_code != 201:
        raise RuntimeError(f"creating a game failed: {created.text[:300]}")
    return dict(created.json())


async def click(
    api: httpx.AsyncClient, user_id: str, message: dict[str, Any], custom_id: str
) -> httpx.Response:
    """``user_id`` clicks the button ``custom_id`` of ``message``; the sandbox's answer (200 with the bot's
    response, 504 when the interaction failed)."""
    return await api.post(
        "/interactions",
        json={
            "type": "component",
            "user_id": user_id,
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "custom_id": custom_id,
        },
    )


def shown_text(answer: dict[str, Any]) -> str:
    """The text a member saw after a click: the response's, else the first follow-up's."""
    data = answer["response"].get("data") or {}
    texts = [data.get("content")] + [m.get("content") for m in answer.get("followups") or []]
    return next((t for t in texts if t), "(no text)")


async def find_announcement(api: httpx.AsyncClient, channel: str, game_id: str) -> dict[str, Any] | None:
    """The message of ``channel`` whose buttons belong to the game, if posted."""
    for message in (await api.get(f"/channels/{channel}/messages")).json():
        if any(game_id in str(c) for c in message.get("components") or []):
            return dict(message)
    return None


async def announcement(api: httpx.AsyncClient, channel: str, game_id: str) -> dict[str, Any]:
    message = await eventually(lambda: find_announcement(api, channel, game_id), within=20)
    if not message:
        raise RuntimeError(f"game {game_id} was not announced within 20 s")
    return dict(message)


async def sandbox_guild(api: httpx.AsyncClient) -> tuple[dict[str, Any], str]:
    """The Sandbox Guild and its #board-games channel id."""
    world = (await api.get("/world")).json()
    guild = next(g for g in world["guilds"] if g["name"] == "Sandbox Guild")
    return guild, next(c["id"] for c in guild["channels"] if c["name"] == "board-games")


#: Games per host: each host's reminders share one DM channel, which Discord (and the app's own pacing)
#: holds to five messages per five seconds; a single host of 167 games would stretch a wave over minutes.
GAMES_PER_HOST = 5


async def build_games(
    base: str, sandbox: str, api: httpx.AsyncClient, count: int, tag: str, *, hours_ahead: float = 2
) -> list[dict[str, Any]]:
    """``count`` games titled ``"{tag} {n}"``, each with five new players and a 60-minute reminder (six
    reminder DMs a game), hosted five by five by new members with the Moderator role."""
    guild, channel = await sandbox_guild(api)
    # Moderator: Manage Server makes a bot manager, who may host anywhere without host roles set up.
    host_role = next(r["id"] for r in guild["roles"] if r["name"] == "Moderator")
    names = await new_members(api, guild["id"], count * PLAYERS, f"{tag}p")
    when = (datetime.now(UTC) + timedelta(hours=hours_ahead)).isoformat()
    games = []
    for first in range(0, count, GAMES_PER_HOST):
        host = (await api.post("/users", json={"username": f"{tag}h{first}"})).json()
        await api.put(f"/guilds/{guild['id']}/members/{host['id']}", json={"roles": [host_role]})
        async with await login_as(base, host["username"], sandbox_url=sandbox) as client:
            for g in range(first, min(count, first + GAMES_PER_HOST)):
                body = {
                    "guild_id": guild["id"],
                    "channel_id": channel,
                    "title": f"{tag} {g}",
                    "scheduled_at": when,
                    "reminder_minutes": [60],
                    "initial_participants": [f"@{n}" for n in names[g * PLAYERS : (g + 1) * PLAYERS]],
                }
                games.append(await create_game(client, body))
    return games


async def sql(database: str, statement: str, *args: Any) -> Any:
    conn = await asyncpg.connect(asyncpg_url(database))
    try:
        if statement.lstrip().upper().startswith("SELECT"):
            return await conn.fetch(statement, *args)
        return await conn.execute(statement, *args)
    finally:
        await conn.close()


async def release(database: str, games: Sequence[dict[str, Any]], due: datetime) -> int:
    """Move the pending reminders of ``games`` to ``due`` (the UPDATE wakes the dispatcher through NOTIFY);
    returns how many moved."""
    keys = [f"game:{g['id']}:%" for g in games]
    moved = await sql(database, MOVE_REMINDERS, due, keys)
    return int(str(moved).split()[-1])


async def open_dm_channels(database: str) -> None:
    """Let the hour between the joins and the reminders pass for the DM channels: the app opens them now."""
    await sql(
        database,
        "UPDATE jobs SET due_at = now() WHERE kind = 'notifications.open_channels' AND state = 'pending'",
    )
    deadline = time.monotonic() + 120
    while (
        await sql(
            database,
            "SELECT count(*) FROM jobs WHERE kind = 'notifications.open_channels' AND state <> 'done'",
        )
    )[0][0]:
        if time.monotonic() > deadline:
            raise RuntimeError("the DM channels were not opened within 120 s")
        await asyncio.sleep(0.2)


async def dm_jobs_left(database: str) -> int:
    rows = await sql(
        database,
        "SELECT count(*) FROM jobs WHERE state IN ('pending', 'running')"
        " AND kind IN ('notifications.deliver', 'games.send_reminders', 'event.ReminderDue.send_reminders')"
        " AND due_at < now() + interval '10 minutes'",  # not the join DMs, an hour off
    )
    return int(rows[0][0])


class DmWatch:
    """The reminder DMs of the waves ``tags`` the sandbox holds, read incrementally (``/dms?after=``)."""

    def __init__(self, api: httpx.AsyncClient, *tags: str) -> None:
        self.api = api
        self.tags = tags
        self.after = "0"
        self.got: dict[str, Counter[tuple[str, str]]] = {tag: Counter() for tag in tags}
        #: Whether the last ``settle`` saw every DM job finished (a job left running is a stuck job).
        self.settled = True

    async def poll(self) -> None:
        for dm in (await self.api.get("/dms", params={"after": self.after})).json():
            self.after = dm["id"]
            if not dm["content"].startswith("⏰"):
                continue
            for tag in self.tags:
                if f"**{tag} " in dm["content"]:
                    self.got[tag][(dm["recipient_id"], dm["content"])] += 1

    def delivered(self, tag: str) -> int:
        return len(self.got[tag])

    def doubled(self, tag: str) -> int:
        return sum(n - 1 for n in self.got[tag].values())

    async def until(self, tag: str, count: int, *, within: float = 60) -> int:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            await self.poll()
            if self.delivered(tag) >= count:
                break
            await asyncio.sleep(0.05)
        return self.delivered(tag)

    async def settle(self, database: str, expected: dict[str, int], *, within: float = 120) -> None:
        """Until every wave is delivered and no DM job is left pending or running (or ``within`` passes)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            await self.poll()
            if all(self.delivered(t) >= n for t, n in expected.items()) and await dm_jobs_left(database) == 0:
                await asyncio.sleep(1)  # a late double would arrive now
                await self.poll()
                return
            await asyncio.sleep(0.3)
        # Not every DM arrived in time: stuck only if a DM job is still waiting (else DMs were lost, which
        # the wave's own check says).
        self.settled = await dm_jobs_left(database) == 0

    def judge(self, verdict: Verdict, tag: str, expected: int, *, name: str = "reminders") -> None:
        """Count the wave ``tag`` and fail the verdict if a DM of it was lost or doubled."""
        delivered, doubled = self.delivered(tag), self.doubled(tag)
        verdict.count(
            f"{name}: {expected} expected, {delivered} delivered, {expected - delivered} lost, {doubled} doubled"
        )
        verdict.check(delivered == expected, f"{name}: {expected - delivered} reminder DMs lost")
        verdict.check(doubled == 0, f"{name}: {doubled} reminder DMs doubled")

    def check_settled(self, verdict: Verdict) -> None:
        verdict.check(
            self.settled, "DM jobs were still pending or running two minutes after the wave (stuck)"
        )


async def nonce_resends(api: httpx.AsyncClient, delivered: int) -> int:
    """Sends of a DM Discord answered with the first message (the nonce): DM creations the REST log holds
    beyond the DMs the world holds. Counted after ``DELETE /log`` at the start of a wave."""
    dm_channels = {dm["channel_id"] for dm in (await api.get("/dms")).json()}
    sends = sum(
        1
        for call in (await api.get("/log")).json()
        if call["method"] == "POST"
        and call["status"] == 200
        and call["path"].endswith("/messages")
        and call["path"].split("/")[-2] in dm_channels
    )
    return max(0, sends - delivered)


async def eventually(check: Callable[[], Awaitable[Any]], within: float, every: float = 0.2) -> Any:
    deadline = time.monotonic() + within
    result = None
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(every)
    return result


def postgres_bin() -> Path:
    """The newest PostgreSQL server binaries Debian's packages installed (``postgresql-NN``)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError(
            "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: install Debian's postgresql package"
        )
    return Path(found[-1]).parent


class Cluster:
    """A PostgreSQL cluster of its own (initdb in a temporary directory, another port), to stop and start."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.bin = postgres_bin()

    @property
    def server_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    async def _run(self, *argv: str) -> None:
        # PostgreSQL refuses to run as root: as root, run it as the postgres system user.
        prefix = ("runuser", "-u", "postgres", "--") if os.geteuid() == 0 else ()
        process = await asyncio.create_subprocess_exec(
            *prefix, *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"{Path(argv[0]).name} failed: {output.decode(errors='replace')[-800:]}")

    async def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        await self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        )

    async def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off -c max_connections=200"
        )
        await self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    async def stop(self) -> None:
        await self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


@contextlib.asynccontextmanager
async def throwaway_cluster() -> AsyncIterator[Cluster]:
    with tempfile.TemporaryDirectory(prefix="gamesched-reliability-pg-") as tmp:
        cluster = Cluster(Path(tmp))
        await cluster.init()
        await cluster.start()
        try:
            yield cluster
        finally:
            with contextlib.suppress(RuntimeError):
                await cluster.stop()
