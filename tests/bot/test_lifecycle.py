"""Announcements across restarts, moves, deletions by hand and the bot leaving a server."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import text

from gamesched.app import App, build_app
from gamesched.core.config import Settings
from gamesched.discord import DiscordRefused
from gamesched.games import announcement_check
from gamesched.serve import run_app
from tests.bot.conftest import (
    Login,
    announcement,
    announcer,
    click,
    dms,
    ephemeral_text,
    eventually,
    field,
    messages,
    schedule,
    serving_bot,
)
from tests.games.conftest import create_game, in_days
from tests.login import login_as
from tests.world import World, fetch_world


async def test_buttons_on_an_old_message_still_work_after_a_restart(app_settings: Settings) -> None:
    async with serving_bot(app_settings) as first:
        world = await fetch_world(first.base_url)
        async with await login_as(first.base_url, "alice") as alice:
            game = await create_game(alice, world)
        async with httpx.AsyncClient(base_url=f"{first.base_url}/sandbox/api") as api:
            message = await announcement(api, game)

    # The sandbox's world persists in the data dir: Discord keeps its messages while we restart.
    async with (
        serving_bot(app_settings) as second,
        httpx.AsyncClient(base_url=f"{second.base_url}/sandbox/api", timeout=10) as api,
    ):
        answer = await click(api, world.user_id("bob"), message, f"game:join:{game['id']}")
        assert ephemeral_text(answer) == "You're in **Catan night** — seat 1/10."
        edited = await announcement(api, game, where=lambda m: field(m, "Players (1/10)") is not None)
    assert edited["id"] == message["id"]  # the same message, edited in place


async def test_an_announcement_deleted_while_the_app_was_down_is_posted_again_and_the_host_told(
    app_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(announcement_check, "BATCH", 1)  # one game per job: the walk goes on page by page
    async with serving_bot(app_settings) as first:
        world = await fetch_world(first.base_url)
        async with await login_as(first.base_url, "alice") as alice:
            kept_game = await create_game(alice, world, title="Kept", scheduled_at=in_days(2))
            lost_game = await create_game(alice, world, title="Lost", scheduled_at=in_days(3))  # 2nd page
        async with httpx.AsyncClient(base_url=f"{first.base_url}/sandbox/api") as api:
            kept = await announcement(api, kept_game)
            lost = await announcement(api, lost_game)
        discord_world = first.sandbox.state
    # While the app is down, someone deletes one announcement in Discord.
    discord_world.messages[int(lost["id"])].deleted = True

    async with (
        serving_bot(app_settings, state=discord_world) as second,
        httpx.AsyncClient(base_url=f"{second.base_url}/sandbox/api", timeout=10) as api,
    ):
        again = await announcement(api, lost_game, where=lambda m: m["id"] != lost["id"])

        async def told() -> list[str]:
            return [
                m["content"] for m in await dms(api, world.user_id("alice")) if "was deleted" in m["content"]
            ]

        [text] = await eventually(told)
        still = [m["id"] for m in await messages(api, kept["channel_id"])]
    assert "**Lost**" in text
    assert kept["id"] in still and again["id"] in still  # the other post is left alone
    assert still.count(again["id"]) == 1


async def test_an_announcement_deleted_by_hand_is_posted_again_and_the_host_told(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world)
    first = await announcement(api, game)

    assert (await api.delete(f"/channels/{first['channel_id']}/messages/{first['id']}")).status_code in (
        200,
        204,
    )

    again = await announcement(api, game, where=lambda m: m["id"] != first["id"])
    stored = (await (await login("alice")).get(f"/api/v1/games/{game['id']}")).json()
    assert stored["message_id"] == again["id"]

    async def told() -> list[str]:
        return [m["content"] for m in await dms(api, world.user_id("alice")) if "was deleted" in m["content"]]

    [text] = await eventually(told)
    assert "**Catan night**" in text


async def test_a_cancelled_games_announcement_deleted_by_hand_stays_gone(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world)
    await announcement(api, game)
    alice = await login("alice")
    await alice.delete(f"/api/v1/games/{game['id']}")
    cancelled = await announcement(api, game, where=lambda m: "Cancelled" in m["embeds"][0]["footer"]["text"])

    await api.delete(f"/channels/{cancelled['channel_id']}/messages/{cancelled['id']}")
    await asyncio.sleep(1.5)

    assert [m for m in await messages(api, game["channel_id"]) if m["embeds"]] == []
    assert not [m for m in await dms(api, world.user_id("alice")) if "was deleted" in m["content"]]


async def test_a_game_moved_to_another_channel_is_announced_there_instead(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world)
    old = await announcement(api, game)
    rpg = world.channel_id("rpg")

    alice = await login("alice")
    response = await alice.patch(f"/api/v1/games/{game['id']}", json={"channel_id": str(rpg)})
    assert response.status_code == 200, response.text

    new = await announcement(api, {**game, "channel_id": str(rpg)})

    async def old_gone() -> bool:
        return all(m["id"] != old["id"] for m in await messages(api, old["channel_id"]))

    await eventually(old_gone)
    assert new["channel_id"] == str(rpg)
    await asyncio.sleep(0.5)
    assert not [m for m in await dms(api, world.user_id("alice")) if "was deleted" in m["content"]]


async def test_after_the_bot_leaves_a_server_its_games_are_no_longer_announced(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world)
    message = await announcement(api, game)
    bot_id = world.raw["bot_user"]["id"]
    assert (await api.delete(f"/guilds/{world.guild_id()}/members/{bot_id}")).status_code in (200, 204)
    await eventually(lambda: _bot_gone(bot_app, world.guild_id()))

    # Something asks for a refresh (e.g. an event still in the queue): the job finishes without posting.
    await announcer(bot_app).schedule_refresh(game["id"], world.guild_id())
    await eventually(lambda: _refresh_done(bot_app, game["id"]))

    [still] = [m for m in await messages(api, game["channel_id"]) if m["id"] == message["id"]]
    assert still["edited_at"] is None
    kept = await bot_app.games.queries.snapshot(game["id"], guild_id=world.guild_id())
    assert kept.title == "Catan night" and kept.message_id == message["id"]  # history kept


async def _bot_gone(app: App, guild_id: int) -> bool:
    assert app.discord.bot is not None
    return app.discord.bot.get_guild(guild_id) is None


async def _refresh_done(app: App, game_id: str) -> bool:
    async with app.engine.connect() as conn:
        states = (
            (
                await conn.execute(
                    text("SELECT state FROM jobs WHERE dedupe_key = :key ORDER BY id"),
                    {"key": f"announce:{game_id}"},
                )
            )
            .scalars()
            .all()
        )
    return bool(states) and all(state == "done" for state in states)


async def test_a_members_intent_discord_refuses_stops_the_app_with_what_to_switch_on(
    app_settings: Settings,
) -> None:
    app = await build_app(app_settings.with_overrides(sandbox=True, discord_members_intent=True))
    app.sandbox.state.application.flags = 0  # the developer portal has no privileged intent switched on
    with pytest.raises(DiscordRefused) as refused:
        await asyncio.wait_for(run_app(app, asyncio.Event(), grace_seconds=2), 30)  # stops by itself
    assert "Server Members Intent" in str(refused.value)
    assert "GAMESCHED_DISCORD_MEMBERS_INTENT=false" in str(refused.value)


async def test_after_its_gateway_session_times_out_the_bot_identifies_again_and_answers_clicks(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    game = await schedule(login, world)
    message = await announcement(api, game)
    timed_out = (await api.post("/gateway", json={"time_out_sessions": True})).json()
    assert timed_out["timed_out"] == 1

    async def identified_again() -> bool:
        sessions = (await api.get("/gateway")).json()
        return any(s["connected"] for s in sessions) and bot_app.discord.status == "connected"

    await eventually(identified_again)
    answer = await click(api, world.user_id("bob"), message, f"game:join:{game['id']}")
    assert ephemeral_text(answer) == "You're in **Catan night** — seat 1/10."
