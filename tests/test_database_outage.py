"""The database goes away for real (its connections break, new ones are refused) while the app runs: the JSON
API answers 503 with Retry-After, the dashboard a page that says so, Discord an ephemeral "try again"; once
the database is back everything works again without a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from gamesched.app import App
from gamesched.core.config import Settings
from tests.bot.conftest import announcement, click, command, ephemeral_text, serving_bot
from tests.db import admin_execute
from tests.db_proxy import DatabaseProxy
from tests.games.conftest import create_game
from tests.login import login_as
from tests.world import World, fetch_world

UNAVAILABLE = {
    "error": "unavailable",
    "message": "gamesched can't reach its database right now; try again in a moment.",
}


@pytest.fixture
async def app(app_settings: Settings, database_proxy: DatabaseProxy) -> AsyncIterator[App]:
    """The whole app (bot included) reaching its database through the relay."""
    async with serving_bot(app_settings.with_overrides(database_url=database_proxy.url)) as app:
        yield app


@pytest.fixture
async def world(app: App) -> World:
    return await fetch_world(app.base_url)


@pytest.fixture
async def alice(app: App) -> AsyncIterator[httpx.AsyncClient]:
    async with await login_as(app.base_url, "alice") as client:
        yield client


async def test_the_api_answers_503_with_retry_after_and_recovers(
    database_proxy: DatabaseProxy, alice: httpx.AsyncClient, world: World
) -> None:
    game = await create_game(alice, world)

    await database_proxy.cut()
    read = await alice.get(f"/api/v1/games/{game['id']}")
    join = await alice.post(f"/api/v1/games/{game['id']}/join")
    health = await alice.get("/health")
    await database_proxy.restore()
    again = await alice.get(f"/api/v1/games/{game['id']}")

    for response in (read, join):
        assert response.status_code == 503
        assert response.json() == UNAVAILABLE
        assert response.headers["retry-after"] == "5"
    assert health.status_code == 503 and health.json()["database"] == "unavailable"
    assert again.status_code == 200 and again.json()["id"] == game["id"]


async def test_the_dashboard_shows_a_page_that_says_the_database_is_out_of_reach(
    database_proxy: DatabaseProxy, alice: httpx.AsyncClient, world: World
) -> None:
    game = await create_game(alice, world)
    html = {"accept": "text/html"}

    await database_proxy.cut()
    page = await alice.get(f"/games/{game['id']}", headers=html)
    fragment = await alice.post(f"/games/{game['id']}/join", headers={**html, "hx-request": "true"})
    await database_proxy.restore()

    for response in (page, fragment):
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["retry-after"] == "5"
        assert "Temporarily unavailable" in response.text
        assert "gamesched can&#39;t reach its database right now; try again in a moment." in response.text
        assert "Traceback" not in response.text
    assert (await alice.get(f"/games/{game['id']}", headers=html)).status_code == 200


async def test_a_click_and_a_slash_command_get_an_ephemeral_try_again(
    app: App, database_proxy: DatabaseProxy, alice: httpx.AsyncClient, world: World
) -> None:
    game = await create_game(alice, world)
    bob = world.user_id("bob")
    async with httpx.AsyncClient(base_url=f"{app.base_url}/sandbox/api", timeout=15) as api:
        message = await announcement(api, game)

        await database_proxy.cut()
        clicked = await click(api, bob, message, f"game:join:{game['id']}")
        commanded = await command(api, bob, game["channel_id"], "list-games")
        await database_proxy.restore()
        joined = await click(api, bob, message, f"game:join:{game['id']}")

    assert commanded.status_code == 200, commanded.text  # answered within Discord's 3 seconds
    for answer in (clicked, commanded.json()):
        assert ephemeral_text(answer) == UNAVAILABLE["message"]
    assert ephemeral_text(joined).startswith("You're in")


async def test_a_database_that_refuses_connections_is_unavailable_too(
    sandbox_app: App, pg_server_url: str, database_url: str
) -> None:
    """The server is up, but this database turns every connection away and its open ones are ended."""
    name = make_url(database_url).database
    world = await fetch_world(sandbox_app.base_url)
    async with await login_as(sandbox_app.base_url, "alice") as alice:
        game: dict[str, Any] = await create_game(alice, world)
        await admin_execute(
            pg_server_url,
            f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false',
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
        )
        try:
            read = await alice.get(f"/api/v1/games/{game['id']}")
        finally:
            await admin_execute(pg_server_url, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        again = await alice.get(f"/api/v1/games/{game['id']}")
    assert read.status_code == 503 and read.json() == UNAVAILABLE
    assert again.status_code == 200
