"""The whole app in sandbox mode on a fake clock, so login tests can move time (token expiry, idle sessions)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gamesched.app import App
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from tests.conftest import serving, wait_for_discord


@pytest.fixture
async def auth_app(app_settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    """Like ``sandbox_app``, with every clock-driven part (sessions, login states) on ``clock``."""
    async with serving(app_settings.with_overrides(sandbox=True), clock=clock) as app:
        await wait_for_discord(app)
        yield app


@pytest.fixture
async def browser(auth_app: App) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-keeping client that does not follow redirects: a browser we can inspect."""
    async with httpx.AsyncClient(base_url=auth_app.base_url, timeout=10) as client:
        yield client


async def sandbox_ids(client: httpx.AsyncClient) -> dict[str, Any]:
    """Ids of the default world by name: users by username, guilds by name."""
    world = (await client.get("/sandbox/api/world")).json()
    ids: dict[str, Any] = {u["username"]: int(u["id"]) for u in world["users"]}
    ids |= {g["name"]: int(g["id"]) for g in world["guilds"]}
    return ids
