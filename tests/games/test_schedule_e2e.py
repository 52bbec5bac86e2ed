"""Scheduling end to end with the real clock: reminder latency, SIGKILL at any moment, two processes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from discord_sandbox import Sandbox
from gamesched.app import App
from tests.games.conftest import create_game
from tests.login import login_as
from tests.sandbox.conftest import serve
from tests.world import World, fetch_world

GAMESCHED = str(Path(sys.executable).with_name("gamesched"))
SECRET = "s" * 40


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AppProcess:
    """`gamesched run` in a child process, talking to a sandbox served by the test."""

    def __init__(self, *, database_url: str, sandbox_url: str, data_dir: Path) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GAMESCHED_")}
        self.env.update(
            GAMESCHED_DATABASE_URL=database_url.replace("+asyncpg", ""),
            GAMESCHED_SANDBOX_URL=sandbox_url,
            GAMESCHED_HTTP_PORT=str(self.port),
            GAMESCHED_SECRET_KEY=SECRET,
            GAMESCHED_DATA_DIR=str(data_dir),
            GAMESCHED_LOG_LEVEL="WARNING",
        )
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        # Popen returns at once; the wait for readiness below is asynchronous.
        self.process = subprocess.Popen([GAMESCHED, "run"], env=self.env, stdout=subprocess.DEVNULL)  # noqa: ASYNC220
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=self.base_url) as client:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, "gamesched exited during start"
                try:
                    if (await client.get("/health")).json().get("discord") == "connected":
                        return
                except (httpx.TransportError, ValueError):
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError("gamesched did not connect to the sandbox in 30 s")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
async def external_sandbox() -> AsyncIterator[str]:
    server, task, base_url = await serve(Sandbox(rate_limits=False))
    yield base_url
    server.should_exit = True
    await task


async def _reminder_dms(sandbox_url: str, user_id: int) -> Counter[str]:
    """Reminder DMs a user received, counted by game title."""
    async with httpx.AsyncClient(base_url=sandbox_url) as client:
        messages = (await client.get(f"/sandbox/api/users/{user_id}/dms")).json()
    titles: Counter[str] = Counter()
    for message in messages:
        if message["content"].startswith("⏰"):
            titles[message["content"].split("**")[1]] += 1
    return titles


async def _create_timed_games(
    base_url: str, sandbox_url: str, world: World, offsets: list[float]
) -> tuple[list[str], datetime]:
    """One game per offset whose 1-minute reminder comes due ``offset`` seconds from now."""
    now = datetime.now(UTC)
    titles = []
    async with await login_as(base_url, "alice", sandbox_url=sandbox_url) as alice:
        for n, offset in enumerate(offsets):
            title = f"Timed game {n}"
            starts = now + timedelta(seconds=60 + offset)
            await create_game(
                alice,
                world,
                title=title,
                scheduled_at=starts.isoformat(),
                reminder_minutes=[1],
                initial_participants=["@bob", "@dave"],
            )
            titles.append(title)
    return titles, now


async def _wait_for_reminders(sandbox_url: str, world: World, titles: list[str], within: float) -> None:
    deadline = time.monotonic() + within
    people = [world.user_id(n) for n in ("alice", "bob", "dave")]
    while time.monotonic() < deadline:
        counts = [await _reminder_dms(sandbox_url, user) for user in people]
        if all(set(titles) <= set(c) for c in counts):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"reminders missing after {within} s: {counts}")


@pytest.mark.slow
async def test_reminder_reaches_discord_within_a_second_of_its_due_time(sandbox_app: App) -> None:
    world = await fetch_world(sandbox_app.base_url)
    bob = world.user_id("bob")
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=70)
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        game = await create_game(
            alice, world, scheduled_at=starts.isoformat(), reminder_minutes=[1], initial_participants=["@bob"]
        )
        due = starts - timedelta(minutes=1)
        async with httpx.AsyncClient(base_url=sandbox_app.base_url) as control:
            while True:
                dms = (await control.get(f"/sandbox/api/users/{bob}/dms")).json()
                reminders = [m for m in dms if m["content"].startswith("⏰")]
                if reminders:
                    break
                assert datetime.now(UTC) < due + timedelta(seconds=5), "no reminder 5 s after its due time"
                await asyncio.sleep(0.02)
        lateness = (datetime.fromisoformat(reminders[0]["created_at"]) - due).total_seconds()
        print(f"\nreminder DM lateness (due → in the sandbox): {lateness * 1000:.0f} ms")
        assert 0 <= lateness < 1.0

        while (await alice.get(f"/api/v1/games/{game['id']}")).json()["status"] != "in_progress":
            assert datetime.now(UTC) < starts + timedelta(seconds=5), "the game did not start on time"
            await asyncio.sleep(0.1)
        started_late = (datetime.now(UTC) - starts).total_seconds()
        print(f"status in_progress {started_late * 1000:.0f} ms after the start time (polled every 100 ms)")


@pytest.mark.slow
async def test_sigkill_at_any_moment_loses_no_reminder_and_sends_none_twice(
    external_sandbox: str, database_url: str, tmp_path: Path
) -> None:
    world = await fetch_world(external_sandbox)
    app = AppProcess(database_url=database_url, sandbox_url=external_sandbox, data_dir=tmp_path)
    await app.start()
    try:
        titles, _ = await _create_timed_games(app.base_url, external_sandbox, world, [4, 6, 8, 10, 12, 14])
        kills = 0
        for pause in (1.5, 2.5, 1.0, 3.0):  # kills land before, between and during reminder bursts
            await asyncio.sleep(pause)
            app.kill()
            kills += 1
            await app.start()
        await _wait_for_reminders(external_sandbox, world, titles, within=30)
        await asyncio.sleep(1)
        for name in ("alice", "bob", "dave"):
            counts = await _reminder_dms(external_sandbox, world.user_id(name))
            assert {t: counts[t] for t in titles} == dict.fromkeys(titles, 1), f"{name}: {counts}"
        print(f"\n{len(titles) * 3} reminders, {kills} SIGKILLs: every reminder sent exactly once")
    finally:
        app.stop()


@pytest.mark.slow
async def test_two_processes_on_one_database_never_send_a_reminder_twice(
    external_sandbox: str, database_url: str, tmp_path: Path
) -> None:
    world = await fetch_world(external_sandbox)
    first = AppProcess(database_url=database_url, sandbox_url=external_sandbox, data_dir=tmp_path / "a")
    second = AppProcess(database_url=database_url, sandbox_url=external_sandbox, data_dir=tmp_path / "b")
    await first.start()
    await second.start()
    try:
        titles, _ = await _create_timed_games(
            first.base_url, external_sandbox, world, [3, 3, 3, 4, 4, 5, 5, 6]
        )
        await _wait_for_reminders(external_sandbox, world, titles, within=20)
        await asyncio.sleep(1.5)
        for name in ("alice", "bob", "dave"):
            counts = await _reminder_dms(external_sandbox, world.user_id(name))
            assert {t: counts[t] for t in titles} == dict.fromkeys(titles, 1), f"{name}: {counts}"
    finally:
        first.stop()
        second.stop()
