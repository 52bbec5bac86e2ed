"""Who the bot really pings (the sandbox resolves mentions as Discord does): an announcement pings its notify
roles and nobody else, DMs and ephemeral replies ping nobody, and a host whose roles could not be pinged is
told why (real bot, sandbox)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from gamesched.app import App
from tests.bot.conftest import Login, announcement, click, dms, eventually, field, schedule
from tests.world import World

MENTION_EVERYONE = 1 << 17
NOBODY = {"users": [], "roles": [], "everyone": False}


async def set_role(api: httpx.AsyncClient, world: World, name: str, **fields: Any) -> None:
    response = await api.patch(f"/guilds/{world.guild_id()}/roles/{world.role_id(name)}", json=fields)
    assert response.status_code == 200, response.text


def role_permissions(world: World, name: str) -> int:
    return int(next(r["permissions"] for r in world.guild("Sandbox Guild")["roles"] if r["name"] == name))


async def test_an_announcement_pings_exactly_its_notify_roles_and_replies_and_dms_ping_nobody(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    player, host_role = world.role_id("Player"), world.role_id("Game Host")
    await set_role(api, world, "Player", mentionable=True)
    await set_role(api, world, "Game Host", mentionable=True)

    game = await schedule(
        login,
        world,
        title="Gloomhaven",
        max_players=4,
        notify_role_ids=[str(player), str(host_role)],
        initial_participants=["@bob"],  # named in the embed's roster: embeds never ping
    )
    posted = await announcement(api, game)
    reply = await click(api, world.user_id("dave"), posted, f"game:join:{game['id']}")
    edited = await announcement(api, game, where=lambda m: field(m, "Players (2/4)") is not None)
    join_dms = await eventually(lambda: dms(api, world.user_id("dave")))

    assert posted["content"] == f"<@&{player}> <@&{host_role}>"
    assert posted["pinged"] == {"users": [], "roles": [str(player), str(host_role)], "everyone": False}
    assert edited["pinged"] == posted["pinged"]
    assert reply["message"]["ephemeral"] and reply["message"]["pinged"] == NOBODY
    assert join_dms and all(m["pinged"] == NOBODY for m in join_dms)
    assert await pings_missed_events(bot_app, game["id"]) == 0  # nothing to tell the host


async def test_a_host_is_told_when_discord_does_not_ping_the_notify_roles(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    player, guild = world.role_id("Player"), world.guild_id()
    game = await schedule(
        login, world, title="Root", notify_role_ids=[str(player), str(guild)]
    )  # Player is not mentionable; @everyone needs Mention Everyone, which the bot lacks
    posted = await announcement(api, game)

    told = await eventually(lambda: _dm_texts(api, world.user_id("alice"), "didn't ping"))
    assert posted["content"] == f"<@&{player}> @everyone"
    assert posted["pinged"] == NOBODY
    assert told == [
        f"I announced **Root** in <#{game['channel_id']}>, but Discord didn't ping @Player and @everyone: "
        "I'm not allowed to mention them there. Make @Player mentionable (Server Settings → Roles → "
        "Allow anyone to @mention this role), or give me Mention @everyone, @here and All Roles in that "
        "channel (the only way for @everyone).\nServer: **Sandbox Guild**"
    ]


async def test_with_mention_everyone_the_bot_pings_any_role_and_nobody_is_told(
    bot_app: App, world: World, login: Login, api: httpx.AsyncClient
) -> None:
    player, guild = world.role_id("Player"), world.guild_id()
    bot_role = "gamesched"
    await set_role(api, world, bot_role, permissions=role_permissions(world, bot_role) | MENTION_EVERYONE)

    game = await schedule(login, world, title="Root", notify_role_ids=[str(player), str(guild)])
    posted = await announcement(api, game)

    assert posted["pinged"] == {"users": [], "roles": [str(player)], "everyone": True}
    assert await pings_missed_events(bot_app, game["id"]) == 0


async def pings_missed_events(app: App, game_id: str) -> int:
    """Once the game's announcement jobs are done: how many times it reported pings Discord did not make."""

    async def settled() -> bool:
        async with app.db.uow(bypass_rls=True) as uow:
            busy = await uow.session.scalar(
                text("SELECT count(*) FROM jobs WHERE dedupe_key = :key AND state IN ('pending', 'running')"),
                {"key": f"announce:{game_id}"},
            )
        return busy == 0

    await eventually(settled)
    async with app.db.uow(bypass_rls=True) as uow:
        found = await uow.session.scalar(
            text(
                "SELECT count(*) FROM jobs WHERE kind LIKE 'event.AnnouncementPingsMissed.%'"
                " AND payload->>'game_id' = :game_id"
            ),
            {"game_id": game_id},
        )
    return int(found or 0)


async def _dm_texts(api: httpx.AsyncClient, user_id: int, containing: str) -> list[str]:
    return [m["content"] for m in await dms(api, user_id) if containing in m["content"]]
