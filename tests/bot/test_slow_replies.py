"""Slow work behind a click: the bot defers privately and answers by editing its "thinking" message."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import text as sql

from gamesched.app import App
from tests.bot.conftest import Login, announcement, click, eventually, messages, schedule
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
