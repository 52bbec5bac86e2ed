"""The whole app in sandbox mode with the bot's features attached, and helpers to act as Discord users."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from gamesched.app import App, build_app
from gamesched.core.clock import Clock
from gamesched.core.config import Settings
from gamesched.games import Announcer
from gamesched.serve import run_app
from tests.conftest import wait_for_discord
from tests.games.conftest import create_game
from tests.login import login_as
from tests.world import World, fetch_world

#: Short, so tests see join DMs quickly but can still leave "within the delay".
TEST_JOIN_DM_DELAY = 1.0


@contextlib.asynccontextmanager
async def serving_bot(
    settings: Settings,
    *,
    state: Any = None,
    join_dm_delay: float = TEST_JOIN_DM_DELAY,
    sandbox_url: str | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[App]:
    """Build the app, serve, wait for the bot and the command sync.

    ``state``: a sandbox world to start from (e.g. the previous run's, to model a restart in which
    Discord kept every message). ``sandbox_url``: talk to the sandbox another app serves (a second
    process of the same deployment) instead of serving one. ``clock``: the app's clock (a FakeClock moves
    queued work forward only when the test says so).
    """
    where = {"sandbox": True} if sandbox_url is None else {"sandbox": False, "sandbox_url": sandbox_url}
    app = await build_app(
        settings.with_overrides(**where, join_dm_delay_seconds=round(join_dm_delay)), clock=clock
    )
    if state is not None:
        app.sandbox.state = state
    stop = asyncio.Event()
    task = asyncio.create_task(run_app(app, stop, grace_seconds=2))
    try:
        await wait_for_discord(app)
        await asyncio.wait_for(app.commands_synced.wait(), 10)
        yield app
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def announcer(app: App) -> Announcer:
    return app.service(Announcer)


@pytest.fixture
async def bot_app(app_settings: Settings) -> AsyncIterator[App]:
    async with serving_bot(app_settings) as app:
        yield app


@pytest.fixture
async def world(bot_app: App) -> World:
    return await fetch_world(bot_app.base_url)


@pytest.fixture
async def api(bot_app: App) -> AsyncIterator[httpx.AsyncClient]:
    """The sandbox control API."""
    async with httpx.AsyncClient(base_url=f"{bot_app.base_url}/sandbox/api", timeout=15) as client:
        yield client


Login = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def login(bot_app: App) -> AsyncIterator[Login]:
    clients: list[httpx.AsyncClient] = []

    async def log_in(username: str) -> httpx.AsyncClient:
        client = await login_as(bot_app.base_url, username)
        clients.append(client)
        return client

    yield log_in
    for client in clients:
        await client.aclose()


# -- acting and looking ---------------------------------------------------------------------------------


async def schedule(login: Login, world: World, username: str = "alice", **fields: Any) -> dict[str, Any]:
    """Create a game through the JSON API as ``username``."""
    return await create_game(await login(username), world, **fields)


async def messages(api: httpx.AsyncClient, channel_id: int | str) -> list[dict[str, Any]]:
    response = await api.get(f"/channels/{channel_id}/messages")
    response.raise_for_status()
    return list(response.json())


async def dms(api: httpx.AsyncClient, user_id: int | str) -> list[dict[str, Any]]:
    response = await api.get(f"/users/{user_id}/dms")
    response.raise_for_status()
    return list(response.json())


async def eventually(
    check: Callable[[], Awaitable[Any]], *, within: float = 10.0, every: float = 0.05
) -> Any:
    """Wait until ``check()`` returns something truthy, and return it."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s (last: {result!r})")
        await asyncio.sleep(every)


async def announcement(
    api: httpx.AsyncClient,
    game: dict[str, Any],
    *,
    where: Callable[[dict[str, Any]], bool] = bool,
    within: float = 10.0,
) -> dict[str, Any]:
    """The bot's message announcing ``game`` (once ``where`` holds for it)."""

    async def found() -> dict[str, Any] | None:
        for message in await messages(api, game["channel_id"]):
            if any(game["id"] in (c.get("custom_id") or "") for c in buttons(message)) and where(message):
                return message
        return None

    result: dict[str, Any] = await eventually(found, within=within)
    return result


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for row in message.get("components") or [] for item in row.get("components") or []]


def field(message: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    for f in message["embeds"][0].get("fields") or []:
        if f["name"].startswith(prefix):
            return dict(f)
    return None


def roster_lines(message: dict[str, Any], prefix: str) -> list[str]:
    """Lines of a roster field and its continuation columns."""
    fields = message["embeds"][0].get("fields") or []
    lines: list[str] = []
    collecting = False
    for f in fields:
        if f["name"].startswith(prefix):
            collecting = True
        elif collecting and f["name"] != "\u200b":
            break
        if collecting:
            lines += [line for line in f["value"].split("\n") if line.strip("\u200b")]
    return lines


async def click(
    api: httpx.AsyncClient, user_id: int | str, message: dict[str, Any], custom_id: str
) -> dict[str, Any]:
    response = await api.post(
        "/interactions",
        json={
            "type": "component",
            "user_id": str(user_id),
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "custom_id": custom_id,
        },
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def command(
    api: httpx.AsyncClient, user_id: int | str, channel_id: int | str, name: str, **options: Any
) -> httpx.Response:
    return await api.post(
        "/interactions",
        json={
            "type": "command",
            "user_id": str(user_id),
            "channel_id": str(channel_id),
            "name": name,
            "options": options,
        },
    )


def ephemeral_text(answer: dict[str, Any]) -> str:
    """The text of an ephemeral reply (the response itself, or the followup after a deferral)."""
    data = answer["response"]["data"] or {}
    if data.get("content"):
        assert data.get("flags", 0) & 64, answer
        return str(data["content"])
    for message in answer.get("followups") or []:
        if message.get("content"):
            return str(message["content"])
    raise AssertionError(f"no ephemeral text in {answer!r}")
