"""Fixtures for the games tests: the whole sandbox app with the games routes, and logged-in people."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from gamesched.app import App
from tests.login import login_as
from tests.world import World, fetch_world


@pytest.fixture
async def games_app(sandbox_app: App) -> App:
    """The whole app in sandbox mode (real bot connected)."""
    return sandbox_app


@pytest.fixture
async def world(games_app: App) -> World:
    return await fetch_world(games_app.base_url)


Login = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def login(games_app: App) -> AsyncIterator[Login]:
    """``await login("alice")`` → a logged-in client (closed at the end of the test)."""
    clients: list[httpx.AsyncClient] = []

    async def log_in(username: str) -> httpx.AsyncClient:
        client = await login_as(games_app.base_url, username)
        clients.append(client)
        return client

    yield log_in
    for client in clients:
        await client.aclose()


def in_days(days: float = 2) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def game_body(world: World, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "guild_id": str(world.guild_id()),
        "channel_id": str(world.channel_id("board-games")),
        "title": "Catan night",
        "scheduled_at": in_days(),
    }
    body.update(overrides)
    return body


async def create_game(client: httpx.AsyncClient, world: World, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/games", json=game_body(world, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


def roster(game: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(confirmed display names, waitlisted display names) in order."""
    confirmed = [p["display_name"] for p in game["participants"] if p["status"] == "confirmed"]
    waitlist = [p["display_name"] for p in game["participants"] if p["status"] == "waitlisted"]
    return confirmed, waitlist
