"""DMs that come due after the game moved on: a queued or delayed DM about a game goes out only while what it
says is still true (the game is on, the person holds that seat), and a join DM never follows the reminder.

The app runs on a FakeClock: the join DM's delay and the fallback's gathering pass only when the test moves
the clock and runs what is due, so "nothing was sent" is checked without waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text as sql

from gamesched.app import App
from gamesched.core.clock import FakeClock
from gamesched.core.config import Settings
from gamesched.notifications import DirectMessage, DMRequest, StillRelevant
from tests.bot.conftest import Login, announcement, click, dms, eventually, messages, schedule, serving_bot
from tests.login import login_as
from tests.world import fetch_world

JOIN_DM_DELAY = 60.0
_BUSY = sql("SELECT count(*) FROM jobs WHERE state = 'running' OR (state = 'pending' AND due_at <= :now)")


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def bot_app(app_settings: Settings, fake_clock: FakeClock) -> AsyncIterator[App]:
    async with serving_bot(app_settings, join_dm_delay=JOIN_DM_DELAY, clock=fake_clock) as app:
        yield app


async def _texts(api: httpx.AsyncClient, user_id: int) -> list[str]:
    return [m["content"] for m in await dms(api, user_id)]


async def _settle(app: App, clock: FakeClock) -> None:
    """Run everything due now, and what that queues, to the end. (``run_due`` alone can return while the
    dispatcher's own loop has claimed a job it has not started yet: the jobs table is the judge.)"""
    while True:
        await app.dispatcher.run_due()
        async with app.db.uow(bypass_rls=True) as uow:
            busy = await uow.session.scalar(_BUSY, {"now": clock.now()})
        if not busy:
            return
        await asyncio.sleep(0.02)


async def _pass(app: App, clock: FakeClock, seconds: float) -> None:
    """Let ``seconds`` go by and run everything that came due, and what that queued, to the end."""
    clock.advance(seconds=seconds)
    await _settle(app, clock)


async def _posted(app: App, clock: FakeClock, api: httpx.AsyncClient, game: dict[str, Any]) -> dict[str, Any]:
    # The game's event is handled now; the announcement refresh it queues is coalesced a moment later.
    await _pass(app, clock, 0)
    await _pass(app, clock, 1)
    return await announcement(api, game)


async def _cancel(app: App, clock: FakeClock, game: dict[str, Any]) -> None:
    async with await login_as(app.base_url, "alice") as alice:
        response = await alice.delete(f"/api/v1/games/{game['id']}")
        assert response.status_code == 200, response.text
    await _settle(app, clock)


async def test_no_join_dm_after_the_game_was_cancelled_within_the_delay(
    bot_app: App, fake_clock: FakeClock, login: Login, api: httpx.AsyncClient
) -> None:
    world = await fetch_world(bot_app.base_url)
    game = await schedule(login, world, max_players=6)
    message = await _posted(bot_app, fake_clock, api, game)
    carol = world.user_id("carol")
    await click(api, carol, message, f"game:join:{game['id']}")
    await _pass(bot_app, fake_clock, 0)  # the join is recorded and its DM scheduled
    await _cancel(bot_app, fake_clock, game)

    [cancelled] = await eventually(lambda: _texts(api, carol))
    assert "was cancelled" in cancelled
    await _pass(bot_app, fake_clock, JOIN_DM_DELAY + 1)
    assert await _texts(api, carol) == [cancelled]


async def test_players_carried_into_a_game_hear_nothing_of_their_seat_once_it_is_cancelled(
    bot_app: App, fake_clock: FakeClock, login: Login, api: httpx.AsyncClient
) -> None:
    """A clone carries players over: the game starts with them (join DMs scheduled), then is cancelled."""
    world = await fetch_world(bot_app.base_url)
    game = await schedule(login, world, initial_participants=["@bob", "@carol"])
    await _pass(bot_app, fake_clock, 0)
    await _cancel(bot_app, fake_clock, game)
    for name in ("bob", "carol"):
        [cancelled] = await eventually(lambda n=name: _texts(api, world.user_id(n)))
        assert "was cancelled" in cancelled
    await _pass(bot_app, fake_clock, JOIN_DM_DELAY + 1)
    for name in ("bob", "carol"):
        assert [t for t in await _texts(api, world.user_id(name)) if "You're in" in t] == []


async def test_a_dm_queued_before_the_cancel_is_dropped_when_it_comes_due(
    bot_app: App, fake_clock: FakeClock, login: Login, api: httpx.AsyncClient
) -> None:
    """A DM already in the queue (waiting its turn) when the game is cancelled: delivery checks its condition
    when it gets to it, in one look-up for the batch."""
    world = await fetch_world(bot_app.base_url)
    game = await schedule(login, world, initial_participants=["@bob", "@carol"])
    await _pass(bot_app, fake_clock, 0)
    base = {"guild_id": world.guild_id(), "kind": "promoted", "game_id": game["id"]}
    requests = [
        DMRequest(
            user_id=world.user_id(name),
            dedupe_key=f"promoted:{game['id']}:{name}",
            message=DirectMessage(content=f"Good news, {name}: a seat opened up."),
            only_if=StillRelevant(seat="confirmed"),
            **base,
        )
        for name in ("bob", "carol")
    ]
    async with bot_app.db.uow(guild_id=world.guild_id()) as uow:
        await bot_app.notifier.request_many(
            uow.session, requests, due_at=fake_clock.now() + timedelta(seconds=5)
        )
    await _cancel(bot_app, fake_clock, game)
    await _pass(bot_app, fake_clock, JOIN_DM_DELAY + 1)
    for name in ("bob", "carol"):
        texts = await _texts(api, world.user_id(name))
        assert len(texts) == 1 and "was cancelled" in texts[0], texts


async def test_no_closed_dm_fallback_in_the_channel_for_a_game_cancelled_meanwhile(
    bot_app: App, fake_clock: FakeClock, login: Login, api: httpx.AsyncClient
) -> None:
    world = await fetch_world(bot_app.base_url)
    game = await schedule(login, world, max_players=1, initial_participants=["@bob"])
    message = await _posted(bot_app, fake_clock, api, game)
    mallory = world.user_id("mallory")  # does not accept DMs
    await click(api, mallory, message, f"game:join:{game['id']}")
    await _pass(bot_app, fake_clock, 0)
    await _pass(bot_app, fake_clock, JOIN_DM_DELAY + 1)  # her waitlist DM is refused; the fallback gathers
    await _cancel(bot_app, fake_clock, game)
    await _pass(bot_app, fake_clock, 5)

    async def fallbacks() -> list[str]:
        return [
            m["content"] for m in await messages(api, game["channel_id"]) if f"<@{mallory}>" in m["content"]
        ]

    [posted] = await eventually(fallbacks)
    assert "was cancelled" in posted
    assert "waitlist" not in posted


async def test_a_join_dm_does_not_follow_the_reminder_on_a_short_notice_game(
    bot_app: App, fake_clock: FakeClock, login: Login, api: httpx.AsyncClient
) -> None:
    world = await fetch_world(bot_app.base_url)
    starts = fake_clock.now() + timedelta(minutes=15, seconds=30)
    game = await schedule(login, world, scheduled_at=starts.isoformat(), reminder_minutes=[15])
    message = await _posted(bot_app, fake_clock, api, game)
    carol = world.user_id("carol")
    await click(api, carol, message, f"game:join:{game['id']}")
    await _pass(bot_app, fake_clock, 0)

    await _pass(bot_app, fake_clock, 31)  # the reminder is due before the join DM
    [reminder] = await eventually(lambda: _texts(api, carol))
    assert "starts" in reminder and "You have seat 1" in reminder
    await _pass(bot_app, fake_clock, JOIN_DM_DELAY)
    assert await _texts(api, carol) == [reminder]
