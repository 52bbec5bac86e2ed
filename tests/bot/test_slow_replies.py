"""Slow work behind a click: the bot defers privately and answers by editing its "thinking" message."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text as sql

from gamesched.app import App
from tests.bot.conftest import Login, announcement, click, ephemeral_text, eventually, messages, schedule
from tests.world import World


async def test_a_slow_click_ends_with_an_answer_only_the_clicker_sees(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world, max_players=4)
    message = await announcement(api, game)
    bob = world.user_id("bob")
    interactions = bot_app.sandbox.interactions

    async def deferred() -> Any:
        return [p for p in interactions.pending.values() if (p.response or {}).get("type") == 5]

    # Hold the game's row lock: the join waits on it (as behind a busy database) until the bot has deferred.
    async with bot_app.db.uow(guild_id=world.guild_id()) as uow:
        await uow.session.execute(
            sql("SELECT id FROM games WHERE id = CAST(:id AS uuid) FOR UPDATE"), {"id": game["id"]}
        )
        clicking = asyncio.create_task(click(api, bob, message, f"game:join:{game['id']}"))
        [pending] = await eventually(deferred, within=5)
    answer = await asyncio.wait_for(clicking, 10)

    assert pending.response == {"type": 5, "data": {"flags": 64}}  # "thinking…", privately
    [reply] = answer["followups"]
    assert reply["original"] and reply["id"] == answer["message"]["id"]
    assert reply["content"] == "You're in **Catan night** — seat 1/4."
    assert reply["ephemeral"] and reply["flags"] & 64
    sandbox_message = bot_app.sandbox.state.messages[int(reply["id"])]
    assert sandbox_message.ephemeral_for == bob  # visible to the clicker alone
    assert all(m["id"] != reply["id"] for m in await messages(api, game["channel_id"]))
    # Answered by editing the original response, never by a followup (which Discord could make public).
    calls = [(c["method"], c["path"]) for c in bot_app.sandbox.rest_log if pending.token in c["path"]]
    assert [method for method, path in calls if "/webhooks/" in path] == ["PATCH"]
    assert calls[-1][1].endswith("/messages/@original")


async def test_the_jobs_a_change_hands_over_wait_while_a_click_is_being_answered(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process's dispatcher counts the bot's answers in flight: a change committed meanwhile (here a
    new game) runs its follow-up jobs here once the click is answered (however long that takes here)."""
    monkeypatch.setattr("gamesched.core.dispatcher.FOREGROUND_WAIT_SECONDS", 60.0)
    game = await schedule(login, world, max_players=4)
    message = await announcement(api, game)
    foreground = bot_app.dispatcher.foreground
    assert foreground is not None and foreground is getattr(bot_app.discord.bot, "foreground", None)

    async with bot_app.db.uow(guild_id=world.guild_id()) as uow:
        await uow.session.execute(
            sql("SELECT id FROM games WHERE id = CAST(:id AS uuid) FOR UPDATE"), {"id": game["id"]}
        )
        clicking = asyncio.create_task(click(api, world.user_id("bob"), message, f"game:join:{game['id']}"))

        async def answering() -> bool:
            return foreground.busy

        await eventually(answering, within=5)
        # Another game's change commits while the click waits: its jobs are handed over, and wait.
        other = await schedule(login, world, title="Second game", max_players=3)
        assert other["title"] == "Second game"
        waiting = [t for t in bot_app.dispatcher._background if t.get_name() == "queue-local-after-answers"]
        assert waiting, "the second game's follow-up jobs wait for the answer"
    answer = await asyncio.wait_for(clicking, 10)
    assert "seat 1/4" in ephemeral_text(answer)
    await announcement(api, other)  # they ran once the answer was out: the second game is announced
    assert not foreground.busy
