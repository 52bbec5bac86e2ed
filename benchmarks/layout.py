"""Deployments of several ``gamesched run`` processes on one database and one sandbox Discord: the one-process
default, and the scaled layout — two web processes, a bot process per Discord shard (each also running the
queue jobs that need its shard's gateway view) and a worker, every one with its ``GAMESCHED_ROLES``, no Redis.
Used by ``benchmarks.capacity`` and the end-to-end test of the layout (tests/test_scaled_layout.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx

from benchmarks.harness import AppHandle, free_port, running_app
from benchmarks.reliability.common import sql


@dataclass
class Deployment:
    database: str
    sandbox: str
    api: httpx.AsyncClient
    stack: contextlib.AsyncExitStack
    settings: dict[str, str]
    #: Processes with the web role (their base URLs are where people log in).
    webs: list[AppHandle] = field(default_factory=list)
    #: The bot process of each shard (scaled layout only).
    shards: dict[int, AppHandle] = field(default_factory=dict)
    #: Every process, for their CPU time.
    processes: list[AppHandle] = field(default_factory=list)
    shard_count: int = 0

    async def start_shard(self, shard: int) -> AppHandle:
        """Shard ``shard``'s process (bot and worker roles), ready once its gateway session is connected."""
        before = {s["session_id"] for s in (await self.api.get("/gateway")).json()}

        async def connected() -> bool:
            sessions = (await self.api.get("/gateway")).json()
            return any(
                s["connected"] and s["shard"] == [shard, self.shard_count] and s["session_id"] not in before
                for s in sessions
            )

        handle = await self.stack.enter_async_context(
            running_app(
                self.database,
                sandbox_url=self.sandbox,
                ready=connected,
                ROLES="bot,worker",
                SHARD_COUNT=str(self.shard_count),
                SHARD_IDS=str(shard),
                **self.settings,
            )
        )
        self.shards[shard] = handle
        self.processes.append(handle)
        return handle

    async def start_web(self) -> AppHandle:
        """A web-only process: ready when its health page answers (it has no Discord connection to report)."""
        port = free_port()

        async def healthy() -> bool:
            async with httpx.AsyncClient(timeout=2) as client:
                return (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200

        handle = await self.stack.enter_async_context(
            running_app(
                self.database,
                sandbox_url=self.sandbox,
                port=port,
                ready=healthy,
                ROLES="web",
                **self.settings,
            )
        )
        self.webs.append(handle)
        self.processes.append(handle)
        return handle

    async def start_worker(self) -> AppHandle:
        """A worker-only process: ready once its dispatcher listens for queue notifications."""
        before = await listening_dispatchers(self.database)

        async def dispatching() -> bool:
            return await listening_dispatchers(self.database) > before

        handle = await self.stack.enter_async_context(
            running_app(
                self.database, sandbox_url=self.sandbox, ready=dispatching, ROLES="worker", **self.settings
            )
        )
        self.processes.append(handle)
        return handle


async def listening_dispatchers(database: str) -> int:
    """Dispatchers listening on the database (the last statement of their LISTEN connection)."""
    rows = await sql(
        database,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND query LIKE 'LISTEN %gamesched_jobs%'",
    )
    return int(rows[0][0])


@contextlib.asynccontextmanager
async def scaled(
    database: str, sandbox: str, *, webs: int = 2, shards: int = 2, **settings: str
) -> AsyncIterator[Deployment]:
    """The scaled layout: a worker first (it migrates the database), then a process per shard, then the web
    processes."""
    async with (
        httpx.AsyncClient(base_url=f"{sandbox}/sandbox/api", timeout=60) as api,
        contextlib.AsyncExitStack() as stack,
    ):
        deployment = Deployment(database, sandbox, api, stack, settings, shard_count=shards)
        await deployment.start_worker()
        await asyncio.gather(*(deployment.start_shard(shard) for shard in range(shards)))
        for _ in range(webs):
            await deployment.start_web()
        yield deployment


@contextlib.asynccontextmanager
async def single(database: str, sandbox: str, **settings: str) -> AsyncIterator[Deployment]:
    """The default: one process with every role."""
    async with (
        httpx.AsyncClient(base_url=f"{sandbox}/sandbox/api", timeout=60) as api,
        contextlib.AsyncExitStack() as stack,
    ):
        deployment = Deployment(database, sandbox, api, stack, settings)
        handle = await stack.enter_async_context(running_app(database, sandbox_url=sandbox, **settings))
        deployment.webs.append(handle)
        deployment.processes.append(handle)
        yield deployment


def cpu_seconds(handle: AppHandle) -> float:
    """CPU time the process has used so far (user + system), from /proc."""
    with open(f"/proc/{handle.process.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
