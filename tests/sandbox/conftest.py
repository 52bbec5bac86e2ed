"""A real sandbox served by uvicorn on a free port, and real discord.py clients logged in to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
import httpx
import pytest
import uvicorn
from litestar import Litestar

from discord_sandbox import Sandbox, build_sandbox_router, point_discord_py_at

BOT_TOKEN = "sandbox-bot-token"


class RecordingClient(discord.Client):
    """A discord.Client that remembers every event it dispatches, for assertions."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.events: list[tuple[str, tuple[Any, ...]]] = []

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        self.events.append((event, args))
        super().dispatch(event, *args, **kwargs)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip discord.py's 5-second pause before identifying again, to keep tests fast."""

    def seen(self, event: str) -> list[tuple[Any, ...]]:
        """Arguments of each dispatch of `event`, in order."""
        return [args for name, args in self.events if name == event]


def client_intents(*, members: bool = False) -> discord.Intents:
    """Default intents, plus the members intent if asked."""
    intents = discord.Intents.default()
    intents.members = members
    return intents


@dataclass
class SandboxServer:
    """A running sandbox: the object, its base URL and a client for the control API."""

    sandbox: Sandbox
    base_url: str
    api: httpx.AsyncClient

    def ids(self) -> dict[str, int]:
        """Handy ids of the default world by name: users, guilds (by name) and channels (`#name`)."""
        state = self.sandbox.state
        found: dict[str, int] = {u.username: u.id for u in state.users.values()}
        for guild in state.guilds.values():
            found[guild.name] = guild.id
            if guild.name == "Sandbox Guild":
                found.update({f"#{c.name}": c.id for c in guild.channels.values()})
                found.update({f"@{r.name}": r.id for r in guild.roles.values()})
        return found


async def serve(sandbox: Sandbox) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    """Serve the sandbox router on 127.0.0.1 with a free port; return the server, its task and base URL."""
    app = Litestar(route_handlers=[build_sandbox_router(sandbox)])
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, f"http://127.0.0.1:{port}"


@pytest.fixture
async def sandbox_server() -> AsyncIterator[SandboxServer]:
    """A fresh default-world sandbox per test, with discord.py pointed at it."""
    sandbox = Sandbox()
    server, task, base_url = await serve(sandbox)
    point_discord_py_at(base_url)
    async with httpx.AsyncClient(base_url=f"{base_url}/sandbox/api", timeout=10) as api:
        yield SandboxServer(sandbox=sandbox, base_url=base_url, api=api)
    server.should_exit = True
    await task


StartClient = Callable[..., Awaitable[Any]]


@pytest.fixture
async def start_client(sandbox_server: SandboxServer) -> AsyncIterator[StartClient]:
    """Log in real discord.py clients (closed after the test); waits for on_ready."""
    running: list[tuple[discord.Client, asyncio.Task[None]]] = []

    async def start(client: discord.Client | None = None, *, members: bool = False) -> Any:
        if client is None:
            client = RecordingClient(intents=client_intents(members=members), guild_ready_timeout=0.1)
        task = asyncio.create_task(client.start(BOT_TOKEN))
        running.append((client, task))
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({ready, task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            ready.cancel()
            task.result()
        assert ready in done, "client did not become ready"
        return client

    yield start
    for client, task in running:
        await client.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)


async def eventually(check: Callable[[], Any], within: float = 5.0) -> None:
    """Wait until `check()` is truthy."""
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
