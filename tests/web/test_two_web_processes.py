"""Two processes on one database with no Redis, as behind a load balancer: a page open on one follows changes
made through the other (live updates cross processes over PostgreSQL LISTEN/NOTIFY).

The second process talks to the first's sandbox as to Discord and shares its public URL; its dispatcher is
stopped, so the queue job that signals open pages surely runs in the first process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gamesched.app import App
from gamesched.core.config import Settings
from tests.conftest import serving
from tests.web.conftest import Login
from tests.web.test_pages import create_game
from tests.world import World


def address(app: App) -> str:
    assert app.listen_socket is not None
    host, port = app.listen_socket.getsockname()[:2]
    return f"http://{host}:{port}"


@pytest.fixture
async def second(web_app: App, app_settings: Settings, tmp_path: Path) -> AsyncIterator[App]:
    settings = app_settings.with_overrides(
        data_dir=tmp_path / "second", sandbox_url=web_app.base_url, public_url=web_app.base_url
    )
    async with serving(settings) as app:
        await app.dispatcher.stop(grace_seconds=1)
        yield app


async def test_a_join_through_one_process_reaches_a_page_open_on_the_other(
    web_app: App, second: App, world: World, login: Login
) -> None:
    assert web_app.settings.redis_url is None
    alice, bob = await login("alice"), await login("bob")
    game_id = await create_game(alice, world)
    on_second = httpx.AsyncClient(base_url=address(second), cookies=alice.cookies, timeout=10)
    async with (
        on_second,
        on_second.stream("GET", f"/games/{game_id}/live", headers={"accept": "text/event-stream"}) as stream,
    ):
        assert stream.status_code == 200
        lines = stream.aiter_lines()
        assert (await anext(lines)).startswith(": listening")
        assert (await bob.post(f"/api/v1/games/{game_id}/join")).status_code == 200

        async def next_event() -> str:
            async for line in lines:
                if line.startswith("event:"):
                    return line
            return ""

        assert await asyncio.wait_for(next_event(), 10) == "event: changed"
