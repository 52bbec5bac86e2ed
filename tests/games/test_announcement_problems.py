"""A refused announcement is said once per problem: what the game records and when it is announced."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from gamesched.app import App
from gamesched.games import Announcer
from tests.games.conftest import Login, create_game
from tests.world import World


async def events(app: App, name: str) -> int:
    async with app.db.uow(bypass_rls=True) as uow:
        found = await uow.session.scalar(
            text("SELECT count(*) FROM jobs WHERE kind LIKE :kind"),
            {"kind": f"event.{name}.signal_open_pages"},
        )
    return int(found or 0)


async def test_a_problem_is_announced_when_it_starts_or_changes_not_when_it_repeats(
    games_app: App, world: World, login: Login
) -> None:
    game = await create_game(await login("alice"), world)
    guild_id = world.guild_id()
    for _ in range(200):  # the bot posts the announcement first (a post that goes through clears a problem)
        if (await games_app.games.queries.snapshot(game["id"], guild_id=guild_id)).message_id:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the announcement was never posted")
    problems = games_app.service(Announcer).problems

    async def recorded() -> list[str] | None:
        return (await games_app.games.queries.snapshot(game["id"], guild_id=guild_id)).announcement_problem

    await problems.blocked(game["id"], guild_id, missing=[])  # refused, and the cache cannot tell why
    assert await recorded() == [] and await events(games_app, "AnnouncementBlocked") == 1
    await problems.blocked(game["id"], guild_id, missing=["embed_links", "send_messages"])
    assert await recorded() == ["send_messages", "embed_links"]  # explained now: no second word
    await problems.blocked(game["id"], guild_id, missing=[])  # a stale cache does not undo the explanation
    await problems.blocked(game["id"], guild_id, missing=["send_messages", "embed_links"])
    assert await recorded() == ["send_messages", "embed_links"]
    assert await events(games_app, "AnnouncementBlocked") == 1

    await problems.blocked(game["id"], guild_id, missing=["view_channel"])  # a different problem
    assert await events(games_app, "AnnouncementBlocked") == 2

    await problems.resolved(game["id"], guild_id)
    await problems.resolved(game["id"], guild_id)
    assert await recorded() is None and await events(games_app, "AnnouncementUnblocked") == 1
