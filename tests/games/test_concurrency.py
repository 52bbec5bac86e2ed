"""Races: a hundred people clicking Join on a ten-seat game at the same moment, over HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gamesched.app import App
from gamesched.core.config import Settings
from tests.conftest import serving, wait_for_discord
from tests.games.conftest import create_game
from tests.login import login_as
from tests.world import World, fetch_world

PLAYERS = 100
SEATS = 10
DOUBLE_CLICKERS = 20


@pytest.fixture
async def race_app(app_settings: Settings) -> AsyncIterator[App]:
    """The sandbox app without the sandbox's Discord rate limits: a hundred logins in a few seconds would
    otherwise hit the OAuth token endpoint's limit, which is not what this test is about."""
    async with serving(app_settings.with_overrides(sandbox=True), sandbox_rate_limits=False) as app:
        await wait_for_discord(app)
        yield app


async def _new_members(app: App, world: World, count: int) -> list[str]:
    names = [f"racer{i:03d}" for i in range(count)]
    async with httpx.AsyncClient(base_url=app.base_url) as control:

        async def add(name: str) -> None:
            user = (await control.post("/sandbox/api/users", json={"username": name})).json()
            member = await control.put(
                f"/sandbox/api/guilds/{world.guild_id()}/members/{user['id']}", json={}
            )
            assert member.status_code == 200, member.text

        await asyncio.gather(*(add(name) for name in names))
    return names


async def _log_in_all(app: App, names: list[str]) -> list[httpx.AsyncClient]:
    gate = asyncio.Semaphore(20)

    async def one(name: str) -> httpx.AsyncClient:
        async with gate:
            for attempt in range(5):
                try:
                    # Twenty logins at once share the app's one event loop (and, under pytest-xdist, the
                    # machine with another worker): each request may take longer than login_as's usual 10 s.
                    # The login is this test's setup; what it checks is the clicks, below.
                    client = await login_as(app.base_url, name, request_timeout=60)
                except AssertionError:  # a member the bot has not seen yet: try again shortly
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.2)
                else:
                    # A new client with the same session: the login's keep-alive connections may have
                    # been closed by the server while the other 99 logged in.
                    async with client:
                        return httpx.AsyncClient(
                            base_url=app.base_url,
                            cookies=client.cookies,
                            headers={"x-csrftoken": client.cookies["csrftoken"]},
                            timeout=60,
                        )
        raise AssertionError("unreachable")

    return list(await asyncio.gather(*(one(name) for name in names)))


@pytest.mark.long
async def test_hundred_simultaneous_joins_on_ten_seats_give_ten_confirmed_and_ninety_waitlisted_in_click_order(
    race_app: App,
) -> None:
    world = await fetch_world(race_app.base_url)
    async with await login_as(race_app.base_url, "alice") as alice:
        game = await create_game(alice, world, max_players=SEATS)
    started = time.perf_counter()
    names = await _new_members(race_app, world, PLAYERS)
    clients = await _log_in_all(race_app, names)
    setup_seconds = time.perf_counter() - started
    try:
        # Everyone has the game page open (this also keeps their connections fresh), then clicks at once.
        pages = await asyncio.gather(*(client.get(f"/api/v1/games/{game['id']}") for client in clients))
        assert {page.status_code for page in pages} == {200}
        path = f"/api/v1/games/{game['id']}/join"
        started = time.perf_counter()
        clicks = [client.post(path) for client in clients] + [c.post(path) for c in clients[:DOUBLE_CLICKERS]]
        responses = await asyncio.gather(*clicks)
        join_seconds = time.perf_counter() - started
        assert [r.status_code for r in responses] == [200] * len(responses), {
            r.text for r in responses if r.status_code != 200
        }

        final = (await clients[0].get(f"/api/v1/games/{game['id']}")).json()
    finally:
        for client in clients:
            await client.aclose()

    assert final["confirmed_count"] == SEATS
    assert final["waitlist_count"] == PLAYERS - SEATS
    people = [p for p in final["participants"]]
    assert len({p["discord_id"] for p in people}) == PLAYERS, "nobody is on the roster twice"

    # Click order: the roster is in join order, and what each player was told at their click still holds.
    joined = [p["joined_at"] for p in people]
    assert joined == sorted(joined)
    told: dict[str, tuple[Any, Any]] = {}
    for response in responses[:PLAYERS]:
        body = response.json()
        me = next(
            p
            for p in body["participants"]
            if p["status"] == body["viewer_status"] and p["position"] == body["viewer_position"]
        )
        told[me["discord_id"]] = (body["viewer_status"], body["viewer_position"])
    assert {p["discord_id"]: (p["status"], p["position"]) for p in people} == told
    print(
        f"\n100 joins: setup {setup_seconds:.2f}s, {len(responses)} concurrent clicks answered in {join_seconds:.2f}s"
    )
