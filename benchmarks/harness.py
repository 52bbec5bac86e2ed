"""What the benchmarks share: processes (the sandbox Discord and the app, each its own process, as Discord is
remote in production), a fresh database, and percentiles."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from gamesched.games.schedule import REMINDER_LEAD
from tests.db import admin_execute, resolve_server_url, unique_name, with_database

#: Moves pending reminders to the moment ``$1`` (when their DMs go out), as the app plans them: the job runs
#: ``REMINDER_LEAD`` ahead (at once when that is past), its payload's ``at`` names the moment. ``$2``: the
#: dedupe-key patterns of the games concerned (``game:<id>:%``), or NULL for every game.
MOVE_REMINDERS = (
    f"UPDATE jobs SET due_at = $1::timestamptz - interval '{REMINDER_LEAD.total_seconds():g} seconds',"
    " payload = payload || jsonb_build_object('at', $1::timestamptz)"
    " WHERE kind = 'games.send_reminders' AND state = 'pending'"
    " AND ($2::text[] IS NULL OR dedupe_key LIKE ANY($2::text[]))"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(values: Sequence[float], unit: str = "ms") -> str:
    ordered = sorted(values)
    return (
        f"p50 {statistics.median(ordered):7.1f}  p95 {percentile(ordered, 95):7.1f}"
        f"  p99 {percentile(ordered, 99):7.1f} {unit}"
    )


@contextlib.asynccontextmanager
async def fresh_database(prefix: str) -> AsyncIterator[str]:
    """An empty database on the test PostgreSQL (127.0.0.1:5432, or an embedded one), dropped afterwards."""
    server_url, release = resolve_server_url()
    name = unique_name(prefix)
    await admin_execute(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_url, name)
    finally:
        await admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        release()


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAMESCHED_")}
    env.update(GAMESCHED_LOG_LEVEL="WARNING", GAMESCHED_SECRET_KEY="bench-" + "x" * 40, **extra)
    return env


@contextlib.asynccontextmanager
async def _process(argv: Sequence[str], env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    """``gamesched *argv``; its output is dropped, or appended to ``$GAMESCHED_BENCH_LOG`` when set (to see
    what a process said during a failed run; its log level is then INFO)."""
    log_path = os.environ.get("GAMESCHED_BENCH_LOG")
    output = open(log_path, "ab") if log_path else None  # noqa: SIM115, ASYNC230 - closed below; opening is instant
    if output is not None:
        env = {**env, "GAMESCHED_LOG_LEVEL": "INFO"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gamesched",
        *argv,
        env=env,
        stdout=output or asyncio.subprocess.DEVNULL,
        stderr=output or asyncio.subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
        if output is not None:
            output.close()


@contextlib.asynccontextmanager
async def sandbox_process() -> AsyncIterator[str]:
    """``gamesched sandbox`` in its own process with Discord's rate limits off; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="gamesched-bench-sandbox-") as tmp:
        env = _clean_env(GAMESCHED_DATA_DIR=str(Path(tmp) / "data"))
        async with _process(("sandbox", "--port", str(port)), env) as process:
            await _wait_for(f"{base}/sandbox/api/world", process, lambda r: r.status_code == 200)
            async with httpx.AsyncClient(base_url=base) as client:
                await client.post("/sandbox/api/faults", json={"rate_limits": False})
            yield base


@dataclass
class AppHandle:
    """A running ``gamesched run``: its base URL and its process (to SIGKILL it)."""

    base: str
    process: asyncio.subprocess.Process

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)


@contextlib.asynccontextmanager
async def app_process(database_url: str, *, sandbox_url: str, **settings: str) -> AsyncIterator[str]:
    """``gamesched run`` against the sandbox at ``sandbox_url``; yields its base URL once the bot is
    connected. ``settings``: more GAMESCHED_* variables by their suffix (e.g. JOIN_DM_DELAY_SECONDS="600")."""
    async with running_app(database_url, sandbox_url=sandbox_url, **settings) as app:
        yield app.base


@contextlib.asynccontextmanager
async def running_app(
    database_url: str,
    *,
    sandbox_url: str,
    port: int | None = None,
    ready: Callable[[], Awaitable[bool]] | None = None,
    **settings: str,
) -> AsyncIterator[AppHandle]:
    """Like ``app_process``, on a given port if wanted (a restart at the same address), with the process.

    ``ready``: when the process counts as started, for one whose roles (``ROLES="bot,worker"``) leave no
    health page saying the bot is connected; by default, that page."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="gamesched-bench-app-") as tmp:
        env = _clean_env(
            GAMESCHED_DATABASE_URL=database_url,
            GAMESCHED_DATA_DIR=str(Path(tmp) / "data"),
            GAMESCHED_SANDBOX_URL=sandbox_url,
            **{f"GAMESCHED_{name}": value for name, value in settings.items()},
        )
        async with _process(("run", "--port", str(port)), env) as process:
            if ready is not None:
                await _wait_until(ready, process)
            else:
                await _wait_for(
                    f"{base}/health",
                    process,
                    lambda r: r.status_code == 200 and r.json().get("discord") == "connected",
                )
            yield AppHandle(base, process)


async def _wait_until(ready: Callable[[], Awaitable[bool]], process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"the process exited with {process.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if await ready():
                return
        await asyncio.sleep(0.05)
    raise RuntimeError("the process was not ready within 60 s")


async def _wait_for(
    url: str, process: asyncio.subprocess.Process, ready: Callable[[httpx.Response], bool]
) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the process exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if ready(await client.get(url)):
                    return
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} was not ready within 60 s")
