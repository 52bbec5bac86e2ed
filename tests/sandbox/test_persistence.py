"""The sandbox keeps its world across restarts, and its ids never repeat: like Discord, which keeps every
message while our app restarts."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from discord_sandbox import WORLD_FILE_NAME, Sandbox, default_world
from discord_sandbox.state.snowflake import SnowflakeGenerator, snowflake_time

GAMESCHED = Path(sys.executable).with_name("gamesched")


def test_snowflakes_carry_the_clock_and_never_repeat_within_a_millisecond() -> None:
    now_ms = 1_795_000_000_000  # a fixed instant in 2026
    ids = SnowflakeGenerator(now_ms=lambda: now_ms)
    made = [ids.next_id() for _ in range(5000)]  # more than the 4096 a millisecond's counter holds
    assert made == sorted(set(made))
    assert snowflake_time(made[0]) == datetime.fromtimestamp(now_ms / 1000, tz=UTC)


def test_a_restored_world_hands_out_ids_after_every_saved_one(tmp_path: Path) -> None:
    clock = [1_795_000_000_000]
    first = Sandbox(world_file=tmp_path / WORLD_FILE_NAME)
    first.state.ids = SnowflakeGenerator(now_ms=lambda: clock[0])
    channel = next(c for g in first.state.guilds.values() for c in g.channels.values() if c.name == "general")
    alice = first.state.find_user("alice")
    assert alice is not None
    posted = first.create_message(channel.id, alice.id, {"content": "see you at eight"})
    first.save()

    second = Sandbox(world_file=tmp_path / WORLD_FILE_NAME)
    kept = second.state.live_message(channel.id, posted.id)
    assert kept is not None and kept.content == "see you at eight"
    restored = second.state.ids.last_id
    assert restored >= posted.id
    clock[0] -= 60_000  # the machine's clock went back a minute meanwhile
    second.state.ids = SnowflakeGenerator(now_ms=lambda: clock[0], after=restored)
    assert second.state.next_id() > posted.id


def test_an_unreadable_world_file_is_set_aside_and_the_default_world_used(tmp_path: Path) -> None:
    path = tmp_path / WORLD_FILE_NAME
    path.write_text('{"format": 1, "world": {"application": "nonsense"}}')
    sandbox = Sandbox(world_file=path)
    assert {g.name for g in sandbox.state.guilds.values()} == {
        g.name for g in default_world().guilds.values()
    }
    assert path.with_suffix(".unreadable.json").exists()


async def test_gamesched_sandbox_serves_only_the_sandbox_and_keeps_its_world(tmp_path: Path) -> None:
    env = {**os.environ, "GAMESCHED_DATA_DIR": str(tmp_path / "data")}

    async def start() -> tuple[asyncio.subprocess.Process, str]:
        process = await asyncio.create_subprocess_exec(
            str(GAMESCHED), "sandbox", "--port", "0", env=env, stdout=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        assert line.startswith("sandbox Discord: "), line
        return process, line.split("GAMESCHED_SANDBOX_URL=")[1].strip().rstrip(")")

    async def stop(process: asyncio.subprocess.Process) -> int:
        process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(process.wait(), 20)

    process, base = await start()
    try:
        async with httpx.AsyncClient(base_url=f"{base}/sandbox/api", timeout=10) as api:
            world = (await api.get("/world")).json()
            general = next(c["id"] for g in world["guilds"] for c in g["channels"] if c["name"] == "general")
            alice = next(u["id"] for u in world["users"] if u["username"] == "alice")
            posted = (
                await api.post(f"/channels/{general}/messages", json={"user_id": alice, "content": "hello"})
            ).json()
            assert (await api.get(f"{base}/")).status_code == 404  # no app here
    finally:
        assert await stop(process) == 0

    process, base = await start()
    try:
        async with httpx.AsyncClient(base_url=f"{base}/sandbox/api", timeout=10) as api:
            kept = (await api.get(f"/channels/{general}/messages")).json()
    finally:
        assert await stop(process) == 0
    assert [m["id"] for m in kept if m["content"] == "hello"] == [posted["id"]]
